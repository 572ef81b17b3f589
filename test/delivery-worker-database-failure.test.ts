import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Like } from 'typeorm'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { enqueue } from '../src/outbox/enqueue.js'
import type { Transport } from '../src/delivery/transport.js'
import { OutboxMessageSchema } from '../src/db/entities/index.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { createLogger } from '../src/logger.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { text } from '../src/wecom/messages.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

describe(`the delivery worker while the ${dialect} database fails`, () => {
  let db: MigratedDatabase

  const outbox = () => db.dataSource.getRepository(OutboxMessageSchema)
  /** The database is gone for the worker: the table it works on is not there. */
  const goAway = () => db.dataSource.query('ALTER TABLE outbox_message RENAME TO outbox_message_gone')
  const comeBack = () => db.dataSource.query('ALTER TABLE outbox_message_gone RENAME TO outbox_message')

  beforeAll(async () => {
    db = await createMigratedDatabase()
    await seedRoster(db.dataSource, '县委组织部', [{ userid: 'wangjian', name: '王健', roles: ['org_admin'] }])
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
    await goAway()
    try {
      worker.start()
      await new Promise((resolve) => setTimeout(resolve, 1600))
      await worker.stop()
    } finally {
      await comeBack()
    }
    // 50 ms, doubled after each failure: failures at about 0, 0.1, 0.3, 0.7 and 1.5 s (not 30 at 50 ms).
    expect(failures.length).toBeGreaterThanOrEqual(3)
    expect(failures.length).toBeLessThanOrEqual(6)
    const gaps = failures.slice(1).map((at, i) => at - failures[i]!)
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]! * 2)
  })

  /**
   * The database goes away while messages are with WeCom (CI, database-outage fault test: a
   * notification sent just before MariaDB went down stayed `sending` for the 5-minute claim
   * timeout). Each send's outcome is recorded when the database is back — sent, refused for a
   * retry, refused for good (and then alerted) — nothing is sent twice, and the row claimed but
   * not begun goes out at the next batch.
   */
  it('records the outcomes of the sends in flight when the database went away, before claiming anything new, and sends the rows it had not begun', async () => {
    const put = (key: string, user: string) => db.dataSource.transaction((m) => enqueue(m, { dedupeKey: key, subject: { kind: 'other', id: null }, to: { users: [user] }, message: text(`消息 ${key}`) }, new Date()))
    for (const [key, user] of [['gone:sent', 'alpha'], ['gone:refused', 'bravo'], ['gone:invalid', 'delta'], ['gone:unbegun', 'charlie']] as const) await put(key, user)
    const sends: string[] = []
    // The first three sends are with WeCom at once; the database goes away before any answers.
    let arrive: () => void
    const allInFlight = new Promise<void>((resolve) => {
      let arrived = 0
      arrive = () => void (++arrived === 3 && resolve())
    })
    const databaseGone = allInFlight.then(goAway)
    const transport: Transport = {
      name: 'wecom',
      async send(row) {
        sends.push(row.dedupeKey)
        if (row.dedupeKey.startsWith('gone:') && row.dedupeKey !== 'gone:unbegun' && sends.length <= 3) {
          arrive()
          await databaseGone
        }
        if (row.dedupeKey === 'gone:refused') throw Object.assign(new Error('WeCom 系统繁忙 (-1)'), { retryable: true })
        if (row.dedupeKey === 'gone:invalid') throw Object.assign(new Error('WeCom 参数错误 (40008)'), { retryable: false })
        return { msgids: [`msg-${row.id}`], invalidUsers: [], unlicensedUsers: [] }
      },
    }
    const worker = createDeliveryWorker({ dataSource: db.dataSource, transport, logger: createLogger('silent'), quietHours: { startMinute: 0, endMinute: 0 }, concurrency: 3 })
    try {
      await expect(worker.runOnce()).rejects.toThrow()
      const whileGone = (await db.dataSource.query("SELECT dedupe_key AS k, status FROM outbox_message_gone WHERE dedupe_key LIKE 'gone:%' ORDER BY id")) as { k: string; status: string }[]
      expect(whileGone.map((r) => `${r.k}=${r.status}`)).toEqual(['gone:sent=sending', 'gone:refused=sending', 'gone:invalid=sending', 'gone:unbegun=sending'])
      // Still gone: nothing more is sent.
      await expect(worker.runOnce()).rejects.toThrow()
      expect([...sends].sort()).toEqual(['gone:invalid', 'gone:refused', 'gone:sent'])
    } finally {
      await comeBack()
    }

    // Back: the three outcomes are written, the unbegun row and the alert for the dead one go out.
    const result = await worker.runOnce()
    expect(result).toMatchObject({ claimed: 2, sent: 2 })
    expect(sends.slice(3).sort()).toEqual(['alert:dead:' + (await outbox().findOneByOrFail({ dedupeKey: 'gone:invalid' })).id, 'gone:unbegun'].sort())
    const rows = await outbox().find({ where: { dedupeKey: Like('gone:%') }, order: { id: 'ASC' } })
    expect(rows.map((r) => [r.dedupeKey, r.status, r.attempts, r.claimedBy, r.wecomMsgid])).toEqual([
      ['gone:sent', 'sent', 1, null, `msg-${rows[0]!.id}`],
      // A retryable refusal: pending for a later attempt, its attempt counted.
      ['gone:refused', 'pending', 1, null, null],
      ['gone:invalid', 'dead', 1, null, null],
      ['gone:unbegun', 'sent', 1, null, `msg-${rows[3]!.id}`],
    ])
    expect(rows[1]!.lastError).toContain('-1')
    expect(rows[1]!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 10_000)
    await worker.stop()
  })

  it('retries a message whose send failed on the database (a stored file not readable) instead of giving it up', async () => {
    await db.dataSource.transaction((m) => enqueue(m, { dedupeKey: 'file:unreadable', subject: { kind: 'other', id: null }, to: { users: ['echo'] }, message: text('月报') }, new Date()))
    const transport: Transport = {
      name: 'wecom',
      async send() {
        // What reading a stored file meets while the database fails, before anything is sent.
        await db.dataSource.query('SELECT content FROM stored_file_chunk_gone')
        throw new Error('unreachable')
      },
    }
    const worker = createDeliveryWorker({ dataSource: db.dataSource, transport, logger: createLogger('silent'), quietHours: { startMinute: 0, endMinute: 0 } })
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, retried: 1, dead: 0 })
    expect(await outbox().findOneByOrFail({ dedupeKey: 'file:unreadable' })).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringContaining('stored_file_chunk_gone') })
  })
})
