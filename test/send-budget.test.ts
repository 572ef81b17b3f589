import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDataSource } from '../src/db/create-data-source.js'
import { createDeliveryWorker, type DeliveryWorker } from '../src/delivery/delivery-worker.js'
import { enqueue, type OutgoingMessage } from '../src/outbox/enqueue.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { OutboxMessageSchema } from '../src/db/entities/index.js'
import { createLogger } from '../src/logger.js'
import { text } from '../src/wecom/messages.js'
import { MEMBER_WINDOWS, readyTimes } from '../src/wecom/rate-limiter.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 2015-08-31 10:00 Beijing time: a working morning, outside quiet hours. */
const MORNING = Date.parse('2015-08-31T02:00:00Z')

describe('readyTimes: sliding windows', () => {
  it('lets the 31st send in a minute go one millisecond after the first has left the window, whatever the minute boundaries', () => {
    // 30 sends spread over 10:00:45–10:01:14: a fixed per-minute counter would let 30 more go at 10:01:15.
    const sent = Array.from({ length: 30 }, (_, i) => MORNING + 45_000 + i * 1000)
    const now = MORNING + 75_000
    expect(readyTimes(sent, MEMBER_WINDOWS, now)).toEqual([MORNING + 105_001])
    // The next four wait for the next four sends to leave it.
    expect(readyTimes(sent, MEMBER_WINDOWS, now, 4)).toEqual([105_001, 106_001, 107_001, 108_001].map((t) => MORNING + t))
  })

  it('keeps to 1,000 an hour even when no minute is full', () => {
    const sent = Array.from({ length: 1000 }, (_, i) => MORNING + i * 3_000)
    const now = MORNING + 3_000_000
    expect(readyTimes(sent, MEMBER_WINDOWS, now)).toEqual([MORNING + 3_600_001])
    expect(readyTimes(sent.slice(1), MEMBER_WINDOWS, now)).toEqual([now])
  })
})

describe(`one member budget for two workers on one ${dialect} database`, () => {
  let db: MigratedDatabase
  let second: DataSource
  let fake: FakeWeCom
  let clock: number

  /** A worker as each service instance has one: its own WeCom client (and token, and in-process limiter). */
  function instance(dataSource: DataSource, name: string, batchSize = 50): DeliveryWorker {
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock })
    return createDeliveryWorker({
      dataSource,
      transport: createWeComTransport(client, { lianxi: 'robot-key-1' }),
      logger: createLogger('silent'),
      quietHours: { startMinute: 0, endMinute: 0 },
      now: () => new Date(clock),
      workerId: name,
      batchSize,
    })
  }
  const put = (message: Omit<OutgoingMessage, 'subject'>) => db.dataSource.transaction((m) => enqueue(m, { subject: { kind: 'other', id: null }, ...message }, new Date(clock)))
  const toMember = (userid: string, n: number, tag = 'm') => Array.from({ length: n }, (_, i) => put({ dedupeKey: `${tag}:${userid}:${i}`, to: { users: [userid] }, message: text(`第${i + 1}条 ${tag}`) }))
  const delivered = (userid: string) => fake.delivered.filter((d) => !d.suppressed && d.touser.includes(userid))
  /** Runs a worker, a simulated second at a time, until every row is sent (at most `seconds`). */
  async function drain(worker: DeliveryWorker, seconds = 300): Promise<void> {
    for (let i = 0; i < seconds && (await statuses()).some((s) => s !== 'sent'); i += 1) {
      await worker.runOnce()
      clock += 1000
    }
  }
  const statuses = async () => (await db.dataSource.getRepository(OutboxMessageSchema).find({ order: { id: 'ASC' } })).map((r) => r.status)

  beforeAll(async () => {
    db = await createMigratedDatabase()
    second = await createDataSource(db.target)
    await second.initialize()
  })
  afterAll(async () => {
    await second?.destroy()
    await db?.close()
  })
  beforeEach(async () => {
    // Deleting the outbox rows deletes their send slots too.
    await db.dataSource.getRepository(OutboxMessageSchema).createQueryBuilder().delete().execute()
    clock = MORNING
    fake = await startFakeWeCom({ now: () => clock })
    return () => fake.close()
  })

  it('sends one member 30 messages a minute in all, not 30 per instance; the rest go later, none dropped by WeCom', async () => {
    await Promise.all(toMember('zhangwei', 45))
    const [a, b] = await Promise.all([instance(db.dataSource, 'a', 20).runOnce(), instance(second, 'b', 20).runOnce()])
    expect(a.claimed + b.claimed).toBe(40)
    expect(a.sent + b.sent).toBe(30)
    expect(delivered('zhangwei')).toHaveLength(30)
    expect(fake.delivered.flatMap((d) => d.overLimit)).toEqual([])
    // A minute later the rest, 15 more: within the next window.
    clock += 60_001
    await drain(instance(db.dataSource, 'c'))
    expect(delivered('zhangwei')).toHaveLength(45)
    expect(fake.delivered.flatMap((d) => d.overLimit)).toEqual([])
    expect(await statuses()).toEqual(Array(45).fill('sent'))
  })

  it('remembers the sends of an instance that restarted', async () => {
    await Promise.all(toMember('lina', 31))
    expect(await instance(db.dataSource, 'before-restart').runOnce()).toMatchObject({ sent: 30, deferred: 1 })
    // A new process: new client, new worker. The 31st still waits for the first to leave the window.
    clock += 30_000
    const pending = await db.dataSource.getRepository(OutboxMessageSchema).findOneByOrFail({ status: 'pending' })
    await db.dataSource.getRepository(OutboxMessageSchema).update({ id: pending.id }, { nextAttemptAt: new Date(clock) })
    expect(await instance(second, 'after-restart').runOnce()).toMatchObject({ claimed: 1, sent: 0, deferred: 1 })
    expect((await db.dataSource.getRepository(OutboxMessageSchema).findOneByOrFail({ id: pending.id })).nextAttemptAt.getTime()).toBe(MORNING + 60_001)
    expect(delivered('lina')).toHaveLength(30)
    expect(fake.delivered.flatMap((d) => d.overLimit)).toEqual([])
  })

  it('gives the last slot of a minute to one of two workers racing for it, round after round', async () => {
    for (let round = 0; round < 5; round += 1) {
      const member = `racer${round}`
      await Promise.all(toMember(member, 29, 'early'))
      while ((await instance(db.dataSource, 'filler').runOnce()).claimed > 0);
      await Promise.all(toMember(member, 2, 'last'))
      // Each worker takes one of the two rows and both go for the 30th slot at once.
      const [a, b] = await Promise.all([instance(db.dataSource, 'a', 1).runOnce(), instance(second, 'b', 1).runOnce()])
      expect([a.claimed, b.claimed]).toEqual([1, 1])
      expect([a.sent + b.sent, a.deferred + b.deferred]).toEqual([1, 1])
      expect(delivered(member)).toHaveLength(30)
      clock += 61_000
    }
    expect(fake.delivered.flatMap((d) => d.overLimit)).toEqual([])
  })

  it('counts a send whose answer was lost (WeCom may have taken it), not one WeCom refused', async () => {
    await Promise.all(toMember('wuwei', 28))
    await instance(db.dataSource, 'a').runOnce()
    await put({ dedupeKey: 'refused', to: { users: ['wuwei'] }, message: text('被拒绝的一条') })
    fake.inject({ kind: 'errcode', errcode: -1 }, 1, 'message/send')
    expect(await instance(db.dataSource, 'a').runOnce()).toMatchObject({ retried: 1 })
    await put({ dedupeKey: 'lost', to: { users: ['wuwei'] }, message: text('答复丢失的一条') })
    fake.inject({ kind: 'deliver-then-drop' }, 1, 'message/send')
    expect(await instance(db.dataSource, 'a').runOnce()).toMatchObject({ retried: 1 })
    // 28 + the lost one: WeCom took 29; one slot is left, and the refused one (due in 15 s) has none.
    await put({ dedupeKey: 'next', to: { users: ['wuwei'] }, message: text('第30条') })
    await put({ dedupeKey: 'after', to: { users: ['wuwei'] }, message: text('第31条') })
    expect(await instance(second, 'b').runOnce()).toMatchObject({ sent: 1, deferred: 1 })
    expect(fake.delivered.flatMap((d) => d.overLimit)).toEqual([])
  })

  it('sends a group robot 20 messages a minute in all, and the rest a minute later', async () => {
    for (let i = 0; i < 26; i += 1) await put({ dedupeKey: `robot:${i}`, to: { robot: 'lianxi' }, message: text(`通报 第${i + 1}条`) })
    const [a, b] = await Promise.all([instance(db.dataSource, 'a', 13).runOnce(), instance(second, 'b', 13).runOnce()])
    expect(a.sent + b.sent).toBe(20)
    expect(a.deferred + b.deferred).toBe(6)
    clock += 60_001
    await drain(instance(db.dataSource, 'c'))
    expect(fake.robotMessages).toHaveLength(26)
    // WeCom never had to refuse one.
    expect(fake.requests.filter((r) => r.api === 'webhook/send').map((r) => r.outcome)).toEqual(Array(26).fill(0))
  })

  it('forgets sends older than the duplicate-check interval', async () => {
    await Promise.all(toMember('pruned', 3))
    await instance(db.dataSource, 'a').runOnce()
    const slots = () => db.dataSource.query('SELECT id FROM send_slot') as Promise<unknown[]>
    expect(await slots()).toHaveLength(3)
    clock += 4 * 3_600_000 + 60_000
    await instance(db.dataSource, 'b').runOnce()
    expect(await slots()).toHaveLength(0)
  })
})
