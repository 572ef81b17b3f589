import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { createLogger } from '../src/logger.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

describe(`the delivery worker while the ${dialect} database fails`, () => {
  let db: MigratedDatabase

  beforeAll(async () => {
    db = await createMigratedDatabase()
  })
  afterAll(async () => {
    await db?.close()
  })

  it('asks a failing database ever less often (a locked SQLite file blocks the whole process each time)', async () => {
    const failures: number[] = []
    const logger = createLogger('error', { write: (line: string) => void (JSON.parse(line).msg === 'delivery batch failed' && failures.push(Date.now())) })
    const client = createWeComClient({ baseUrl: 'http://127.0.0.1:9', corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret' })
    const worker = createDeliveryWorker({ dataSource: db.dataSource, transport: createWeComTransport(client, {}), logger, quietHours: { startMinute: 0, endMinute: 0 }, pollIntervalMs: 50 })
    // Every batch fails: the table it claims from is not there.
    await db.dataSource.query('ALTER TABLE outbox_message RENAME TO outbox_message_gone')
    worker.start()
    await new Promise((resolve) => setTimeout(resolve, 1600))
    await worker.stop()
    // 50 ms, doubled after each failure: failures at about 0, 0.1, 0.3, 0.7 and 1.5 s (not 30 at 50 ms).
    expect(failures.length).toBeGreaterThanOrEqual(3)
    expect(failures.length).toBeLessThanOrEqual(6)
    const gaps = failures.slice(1).map((at, i) => at - failures[i]!)
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]! * 2)
  })
})
