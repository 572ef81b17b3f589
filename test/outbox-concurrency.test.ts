import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDataSource } from '../src/db/create-data-source.js'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { enqueue } from '../src/outbox/enqueue.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { OutboxMessageSchema } from '../src/db/entities/index.js'
import { createLogger } from '../src/logger.js'
import { text } from '../src/wecom/messages.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const MESSAGES = 1000

describe(`two workers on one ${dialect} database`, () => {
  let db: MigratedDatabase
  let second: DataSource
  let fake: FakeWeCom

  beforeAll(async () => {
    db = await createMigratedDatabase()
    second = await createDataSource(db.target)
    await second.initialize()
    fake = await startFakeWeCom()
    await db.dataSource.transaction(async (manager) => {
      for (let i = 0; i < MESSAGES; i += 1) {
        await enqueue(manager, { dedupeKey: `m${i}`, subject: { kind: 'other', id: null }, to: { users: [`member${i}`] }, message: text(`第${i}条`) }, new Date(Date.now() - 1000))
      }
    })
  })
  afterAll(async () => {
    await fake?.close()
    await second?.destroy()
    await db?.close()
  })

  it(`deliver ${MESSAGES} messages, each exactly once`, async () => {
    const run = async (dataSource: DataSource, name: string) => {
      const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret' })
      const worker = createDeliveryWorker({
        dataSource,
        transport: createWeComTransport(client, {}),
        logger: createLogger('silent'),
        quietHours: { startMinute: 0, endMinute: 0 },
        workerId: name,
        batchSize: 25,
      })
      let sent = 0
      for (;;) {
        const result = await worker.runOnce()
        sent += result.sent
        if (result.claimed === 0) return sent
      }
    }
    const [a, b] = await Promise.all([run(db.dataSource, 'worker-a'), run(second, 'worker-b')])
    expect(a + b).toBe(MESSAGES)
    // Both took a share: the claims really competed.
    expect(Math.min(a, b)).toBeGreaterThan(0)
    expect(fake.delivered).toHaveLength(MESSAGES)
    expect(new Set(fake.delivered.map((d) => d.touser[0])).size).toBe(MESSAGES)
    expect(fake.delivered.some((d) => d.suppressed)).toBe(false)
    expect(await db.dataSource.getRepository(OutboxMessageSchema).countBy({ status: 'sent' })).toBe(MESSAGES)
  })
})
