import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Like } from 'typeorm'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { enqueue } from '../src/delivery/enqueue.js'
import type { Transport } from '../src/delivery/transport.js'
import { OutboxMessageSchema } from '../src/domain/entities/index.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { createLogger } from '../src/logger.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { text } from '../src/wecom/messages.js'
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
    await db.dataSource.query('ALTER TABLE outbox_message_gone RENAME TO outbox_message')
  })

  /**
   * The database goes away while a message is with WeCom (CI, database-outage fault test: a
   * notification sent just before MariaDB went down stayed `sending` for the 5-minute claim
   * timeout). The send's outcome is recorded when the database is back, nothing is sent twice,
   * and the rows claimed but not begun go out at the next batch.
   */
  it('records a send whose outcome the database could not take, before claiming anything new, and sends the rows it had not begun', async () => {
    const outbox = db.dataSource.getRepository(OutboxMessageSchema)
    const put = (key: string, user: string) => db.dataSource.transaction((m) => enqueue(m, { dedupeKey: key, to: { users: [user] }, message: text(`消息 ${key}`) }, new Date()))
    await put('gone:sent', 'alpha')
    await put('gone:refused', 'bravo')
    await put('gone:unbegun', 'charlie')
    const sends: string[] = []
    let broken = false
    const transport: Transport = {
      name: 'wecom',
      async send(row) {
        sends.push(row.dedupeKey)
        if (!broken) {
          // WeCom takes the first two messages; the database goes away meanwhile.
          broken = row.dedupeKey === 'gone:refused'
          if (broken) await db.dataSource.query('ALTER TABLE outbox_message RENAME TO outbox_message_gone')
        }
        if (row.dedupeKey === 'gone:refused') throw Object.assign(new Error('WeCom 系统繁忙 (-1)'), { retryable: true })
        return { msgids: [`msg-${row.id}`], invalidUsers: [], unlicensedUsers: [] }
      },
    }
    const worker = createDeliveryWorker({ dataSource: db.dataSource, transport, logger: createLogger('silent'), quietHours: { startMinute: 0, endMinute: 0 }, concurrency: 1 })

    // alpha is sent and recorded; bravo is refused by WeCom but the refusal cannot be recorded.
    await expect(worker.runOnce()).rejects.toThrow()
    const whileGone = (await db.dataSource.query("SELECT dedupe_key AS k, status FROM outbox_message_gone WHERE dedupe_key LIKE 'gone:%' ORDER BY id")) as { k: string; status: string }[]
    expect(whileGone.map((r) => `${r.k}=${r.status}`)).toEqual(['gone:sent=sent', 'gone:refused=sending', 'gone:unbegun=sending'])
    // Still gone: nothing is claimed or sent, the outcome is kept.
    await expect(worker.runOnce()).rejects.toThrow()
    expect(sends).toEqual(['gone:sent', 'gone:refused'])

    await db.dataSource.query('ALTER TABLE outbox_message_gone RENAME TO outbox_message')
    const result = await worker.runOnce()
    expect(result).toMatchObject({ claimed: 1, sent: 1 })
    expect(sends).toEqual(['gone:sent', 'gone:refused', 'gone:unbegun'])
    const rows = await outbox.find({ where: { dedupeKey: Like('gone:%') }, order: { id: 'ASC' } })
    expect(rows.map((r) => [r.dedupeKey, r.status, r.attempts, r.claimedBy])).toEqual([
      ['gone:sent', 'sent', 1, null],
      // A retryable refusal: pending for a later attempt (not dead, not sent), its attempt counted.
      ['gone:refused', 'pending', 1, null],
      ['gone:unbegun', 'sent', 1, null],
    ])
    expect(rows[1]!.lastError).toContain('-1')
    await worker.stop()
  })
})
