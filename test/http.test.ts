import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/http/create-app.js'
import { createLogger } from '../src/logger.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

describe(`the HTTP app on ${dialect}`, () => {
  let db: MigratedDatabase
  let server: Server
  let base: string
  const logLines: string[] = []

  beforeAll(async () => {
    db = await createMigratedDatabase()
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk))
        done()
      },
    })
    const app = createApp({
      dataSource: db.dataSource,
      logger: createLogger('info', sink),
      deliveryMode: 'console',
      now: () => new Date('2015-08-31T01:05:00Z'),
    })
    server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server?.close()
    await db?.close()
  })

  it('answers /healthz: the process is up', async () => {
    const response = await fetch(`${base}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok', delivery: 'console', time: '2015-08-31T01:05:00.000Z' })
  })

  it('answers 405 for a wrong method and 404 for an unknown path', async () => {
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405)
    expect((await fetch(`${base}/nothing-here`)).status).toBe(404)
  })

  it('keeps answering /healthz when the database is gone: liveness, not readiness (that is the admin /readyz)', async () => {
    await db.dataSource.destroy()
    const response = await fetch(`${base}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'ok' })
  })
})
