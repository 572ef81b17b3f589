import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { In, IsNull, type DataSource } from 'typeorm'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import type { Transport } from '../src/delivery/transport.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { OutboxMessageSchema, PersonSchema, ReminderRecordSchema } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { createLogger } from '../src/logger.js'
import { enqueue } from '../src/outbox/enqueue.js'
import { text } from '../src/wecom/messages.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { countStatements } from './helpers/count-statements.js'
import { addLedgerItem, seedCampaignPeople } from './helpers/ledger-fixture.js'
import { bj } from './helpers/responsiveness-history.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * The worker asks the database in rounds (docs/delivery.md, Rounds): the outcomes of several
 * sends in one transaction, the next rows' slots in the same one. The guarantees are those of
 * one row at a time.
 */
describe(`outcomes written together on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  const clock = bj('2015-09-07', '09:05')
  const outbox = () => ds.getRepository(OutboxMessageSchema)
  const put = (key: string, user: string) => ds.transaction((m) => enqueue(m, { dedupeKey: key, subject: { kind: 'other', id: null }, to: { users: [user] }, message: text(`消息 ${key}`) }, clock))
  /** The database is gone for the worker: the table it writes outcomes to is not there. */
  const goAway = () => ds.query('ALTER TABLE outbox_message RENAME TO outbox_message_gone')
  const comeBack = () => ds.query('ALTER TABLE outbox_message_gone RENAME TO outbox_message')
  const slots = async () => (await ds.query('SELECT outbox_id, settled FROM send_slot ORDER BY outbox_id')) as { outbox_id: number; settled: number | boolean }[]

  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fake = await startFakeWeCom({ now: () => clock.getTime() })
  })
  afterEach(async () => {
    await fake.close()
    await db.close()
  })

  it('sends 60 messages each once with fewer than half the statements, every slot settled', async () => {
    for (let i = 0; i < 60; i += 1) await put(`many:${i}`, `member${i}`)
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock.getTime() })
    const worker = createDeliveryWorker({ dataSource: ds, transport: createWeComTransport(client, {}), logger: createLogger('silent'), quietHours: { startMinute: 0, endMinute: 0 }, now: () => clock, batchSize: 60 })
    const statements = countStatements(ds)
    expect(await worker.runOnce()).toMatchObject({ claimed: 60, sent: 60 })
    // One row at a time took 8 (SQLite) or 9 (MariaDB): claim renewal and slots, outcome, settling.
    // Now a round's transaction serves the senders whose answers came together.
    expect(statements.count / 60).toBeLessThan(4)
    expect(new Set(fake.delivered.map((d) => d.touser.join())).size).toBe(60)
    expect(fake.delivered).toHaveLength(60)
    expect((await outbox().find()).every((r) => r.status === 'sent' && r.claimedBy === null && r.wecomMsgid)).toBe(true)
    const taken = await slots()
    expect(taken).toHaveLength(60)
    expect(taken.every((s) => Number(s.settled) === 1)).toBe(true)
  })

  /**
   * The sweep's digests, sent at once; the database goes away before their outcomes are written
   * together. Nothing more is sent while it is away; when it is back, catch-up writes every
   * outcome of that write — each digest sent, its reminders delivered in the same transaction,
   * the refused one retried — before anything new is claimed.
   */
  it('keeps a write of several outcomes that failed and writes every one of them, reminders included, when the database is back', async () => {
    const seeded = await seedCampaignPeople(ds, '2015-07-01')
    const add = (unitId: number, person: string, leader: string, dueDate: string) => addLedgerItem(ds, seeded.campaign.id, unitId, { person, leader }, { dueDate, originalDueDate: dueDate })
    await add(seeded.hougang, 'wufang', 'sunli', '2015-08-26')
    await add(seeded.chengguan, 'zhaolei', 'lina', '2015-09-10')
    await runSweep(ds, clock)
    const digests = await outbox().find({ where: { subjectKind: 'digest' }, order: { id: 'ASC' } })
    expect(digests.length).toBeGreaterThanOrEqual(3)
    await put('refused', 'zhouqiang')
    const due = await outbox().find({ order: { id: 'ASC' } })
    expect(due.length).toBeLessThanOrEqual(8)

    const sends: string[] = []
    let arrived = 0
    let allArrived!: () => void
    const inFlight = new Promise<void>((resolve) => (allArrived = resolve))
    const gone = inFlight.then(goAway)
    const transport: Transport = {
      name: 'wecom',
      async send(row) {
        sends.push(row.dedupeKey)
        if (++arrived === due.length) allArrived()
        await gone
        if (row.dedupeKey === 'refused') throw Object.assign(new Error('WeCom 系统繁忙 (-1)'), { retryable: true })
        return { msgids: [`msg-${row.id}`], invalidUsers: [], unlicensedUsers: [] }
      },
    }
    // One sender per row: every row is reserved with the claim, so the outcomes are written together once all have been sent.
    const worker = createDeliveryWorker({ dataSource: ds, transport, logger: createLogger('silent'), quietHours: { startMinute: 0, endMinute: 0 }, now: () => clock, concurrency: due.length })
    try {
      await expect(worker.runOnce()).rejects.toThrow()
      await expect(worker.runOnce()).rejects.toThrow()
      const whileGone = (await ds.query("SELECT status FROM outbox_message_gone WHERE status <> 'sending'")) as unknown[]
      expect(whileGone).toEqual([])
      expect(await ds.getRepository(ReminderRecordSchema).countBy({ deliveredAt: IsNull() })).toBe(await ds.getRepository(ReminderRecordSchema).count())
    } finally {
      await comeBack()
    }
    expect([...sends].sort()).toEqual(due.map((r) => r.dedupeKey).sort())

    const statements = countStatements(ds)
    const before = statements.count
    await worker.runOnce()
    // Nothing was sent twice.
    expect([...sends].sort()).toEqual(due.map((r) => r.dedupeKey).sort())
    const after = await outbox().find({ where: { id: In(due.map((r) => r.id)) }, order: { id: 'ASC' } })
    expect(after.map((r) => [r.dedupeKey, r.status, r.claimedBy, r.attempts])).toEqual(due.map((r) => [r.dedupeKey, r.dedupeKey === 'refused' ? 'pending' : 'sent', null, 1]))
    expect(after.filter((r) => r.status === 'sent').every((r) => r.wecomMsgid === `msg-${r.id}`)).toBe(true)
    // Every reminder the digests carried is delivered, at the digest's send.
    const people = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.id, p.userid]))
    const records = await ds.getRepository(ReminderRecordSchema).find()
    expect(records.length).toBeGreaterThan(0)
    expect(records.filter((r) => r.deliveredAt === null).map((r) => people.get(r.personId!))).toEqual([])
    // Every send's slot settled (the refusal's error does not say nothing arrived): none counts as a send of unknown outcome.
    const taken = await slots()
    expect(taken).toHaveLength(due.length)
    expect(taken.every((s) => Number(s.settled) === 1)).toBe(true)
    // The outcomes in one write: a handful of statements, not a few per row.
    expect(statements.count - before).toBeLessThan(due.length * 2 + 10)
  })

  it('writes the others when one row of a write was taken over by another worker, and leaves that one alone', async () => {
    for (const user of ['alpha', 'bravo', 'charlie', 'delta']) await put(`over:${user}`, user)
    let arrived = 0
    const transport: Transport = {
      name: 'wecom',
      async send(row) {
        // After the claim timeout another worker took bravo's row over while this one was sending.
        if (++arrived === 4) await ds.query("UPDATE outbox_message SET claimed_by = 'other#1' WHERE dedupe_key = 'over:bravo'")
        return { msgids: [`msg-${row.id}`], invalidUsers: [], unlicensedUsers: [] }
      },
    }
    const worker = createDeliveryWorker({ dataSource: ds, transport, logger: createLogger('silent'), quietHours: { startMinute: 0, endMinute: 0 }, now: () => clock, concurrency: 4 })
    expect(await worker.runOnce()).toMatchObject({ claimed: 4, sent: 3 })
    const rows = await outbox().find({ order: { id: 'ASC' } })
    expect(rows.map((r) => [r.dedupeKey, r.status, r.claimedBy])).toEqual([
      ['over:alpha', 'sent', null],
      ['over:bravo', 'sending', 'other#1'],
      ['over:charlie', 'sent', null],
      ['over:delta', 'sent', null],
    ])
  })

  /**
   * A row reserved ahead whose send has not begun within a second (WeCom answers slowly) has its
   * reservation renewed first: its slot then says when the send really began, so an unanswered
   * send is never counted from more than a second before it began.
   */
  it('renews a reservation whose send did not begin within a second, and sends from then', async () => {
    for (const user of ['alpha', 'bravo', 'charlie', 'delta']) await put(`slow:${user}`, user)
    let now = clock.getTime()
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => now })
    const wecom = createWeComTransport(client, {})
    const began: Record<string, number> = {}
    const transport: Transport = {
      name: 'wecom',
      async send(row) {
        began[row.dedupeKey] = now
        const receipt = await wecom.send(row)
        // Each answer takes 1.5 s.
        now += 1500
        return receipt
      },
    }
    // One sender: the first row is reserved with the claim, the other three together after its send.
    const worker = createDeliveryWorker({ dataSource: ds, transport, logger: createLogger('silent'), quietHours: { startMinute: 0, endMinute: 0 }, now: () => new Date(now), concurrency: 1 })
    expect(await worker.runOnce()).toMatchObject({ claimed: 4, sent: 4 })
    const rows = await outbox().find({ order: { id: 'ASC' } })
    // bravo went at once after its reservation; charlie and delta waited 1.5 s and 3 s for the sender: renewed, sent from then.
    expect(rows.map((r) => r.sentAt!.getTime() - clock.getTime())).toEqual([0, 1500, 3000, 4500])
    expect(rows.map((r) => began[r.dedupeKey]! - clock.getTime())).toEqual([0, 1500, 3000, 4500])
    expect(fake.delivered).toHaveLength(4)
  })
})
