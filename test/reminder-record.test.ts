import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { PersonLeaveSchema, PersonSchema, ReminderRecordSchema, type Campaign, type ReminderRecord } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { createLogger } from '../src/logger.js'
import { responsiveness } from '../src/read-model/responsiveness.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { addLedgerItem, chatAs, seedCampaignPeople } from './helpers/ledger-fixture.js'
import { bj } from './helpers/responsiveness-history.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * The reminder record through the real sweep and the real delivery worker, on Monday 2015-09-07
 * (a working day; 9月3日–5日 were a holiday):
 * - #A 吴芳/孙丽 (后港镇), due Thursday 9月10日: due-3 today, to 吴芳;
 * - #B 赵磊/李娜 (城关镇), due 9月10日: due-3 today, to 赵磊 — on leave, 陈静 his deputy;
 * - #C 吴芳/孙丽, due 8月26日: 7 working days overdue today (8/27, 8/28, 8/31, 9/1, 9/2, 9/6, 9/7):
 *   overdue-1 to 吴芳 and 孙丽, escalate-3 to 孙丽 (head), escalate-7 to 组织部 in the summary.
 */
describe(`the reminder record on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let campaign: Campaign
  let clock: Date
  let items: { a: number; b: number; c: number }

  function worker(quiet = { startMinute: 21 * 60, endMinute: 10 * 60 }) {
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock.getTime() })
    return createDeliveryWorker({ dataSource: ds, transport: createWeComTransport(client, {}), logger: createLogger('silent'), quietHours: quiet, now: () => clock, random: () => 0, batchSize: 50 })
  }
  const records = async () =>
    (await ds.getRepository(ReminderRecordSchema).find({ order: { id: 'ASC' } })).map((r: ReminderRecord) => ({ item: r.ledgerItemId, stage: r.stage, to: r.personId, for: r.forPersonId, audience: r.audience, delivered: r.deliveredAt, queued: r.queuedAt }))

  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    const seeded = await seedCampaignPeople(ds, '2015-07-01')
    campaign = seeded.campaign
    const add = (unitId: number, person: string, leader: string, dueDate: string) => addLedgerItem(ds, campaign.id, unitId, { person, leader }, { dueDate, originalDueDate: dueDate })
    items = {
      a: (await add(seeded.hougang, 'wufang', 'sunli', '2015-09-10')).id,
      b: (await add(seeded.chengguan, 'zhaolei', 'lina', '2015-09-10')).id,
      c: (await add(seeded.hougang, 'wufang', 'sunli', '2015-08-26')).id,
    }
    const person = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
    await ds.getRepository(PersonLeaveSchema).save({ personId: await person('zhaolei'), deputyId: await person('chenjing'), until: '2015-09-11', endedAt: null })
    fake = await startFakeWeCom({ now: () => clock.getTime() })
    clock = bj('2015-09-07', '09:05')
  })
  afterEach(async () => {
    await fake.close()
    await db.close()
  })

  it('writes one row per item, stage and recipient with the digest, the deputy for the person on leave, 组织部 with the summary', async () => {
    const ids = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.userid, p.id]))
    // Two sweeps at the same moment (two instances): one set of rows.
    await Promise.all([runSweep(ds, clock), runSweep(ds, clock)])
    const queued = bj('2015-09-07', '09:05')
    const rows = (await records()).map((r) => [r.item, r.stage, r.to, r.for, r.audience, r.delivered, r.queued.getTime() === queued.getTime()])
    expect(rows.sort((x, y) => String(x).localeCompare(String(y)))).toEqual(
      [
        [items.a, 'due-3', ids.get('wufang'), null, 'unit', null, true],
        [items.b, 'due-3', ids.get('chenjing'), ids.get('zhaolei'), 'unit', null, true],
        [items.c, 'overdue-1', ids.get('wufang'), null, 'unit', null, true],
        [items.c, 'overdue-1', ids.get('sunli'), null, 'unit', null, true],
        [items.c, 'escalate-3', ids.get('sunli'), null, 'unit', null, true],
        [items.c, 'escalate-7', ids.get('wangjian'), null, 'org', null, true],
      ].sort((x, y) => String(x).localeCompare(String(y))),
    )
    // The next sweep the same day adds nothing.
    await runSweep(ds, bj('2015-09-07', '15:00'))
    expect(await records()).toHaveLength(6)
  })

  it('counts a reminder held by quiet hours from its delivery, and never one WeCom refused', async () => {
    await runSweep(ds, clock)
    // QUIET_HOURS 21:00–10:00: nothing goes at 09:05.
    expect((await worker().runOnce()).sent).toBe(0)
    expect((await records()).every((r) => r.delivered === null)).toBe(true)
    // 孙丽 is not in the app's visible range any more: WeCom answers invaliduser for her.
    fake.invalidUsers.add('sunli')
    clock = bj('2015-09-07', '10:00')
    await worker().runOnce()
    const byPerson = new Map<number | null, Date | null>()
    const ids = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.userid, p.id]))
    for (const r of await records()) byPerson.set(r.to, r.delivered)
    expect(byPerson.get(ids.get('wufang')!)).toEqual(bj('2015-09-07', '10:00'))
    expect(byPerson.get(ids.get('chenjing')!)).toEqual(bj('2015-09-07', '10:00'))
    expect(byPerson.get(ids.get('wangjian')!)).toEqual(bj('2015-09-07', '10:00'))
    expect(byPerson.get(ids.get('sunli')!)).toBeNull()

    // 吴芳 answers #A at 10:30 and #C at 11:00; 陈静 answers #B, on 赵磊's behalf, at 14:00.
    clock = bj('2015-09-07', '10:30')
    const chat = chatAs(ds, () => clock)
    expect((await chat('wufang', `进度 ${items.a} 50% 已制定方案`)).text).toContain(`#${items.a}`)
    clock = bj('2015-09-07', '11:00')
    await chat('wufang', `进度 ${items.c} 30% 正在整改`)
    clock = bj('2015-09-07', '14:00')
    await chat('chenjing', `进度 ${items.b} 20% 已对接`)
    clock = bj('2015-09-07', '15:00')
    const r = await responsiveness(ds, campaign, { month: '2015-09' }, clock, { people: true })
    const people = Object.fromEntries(r.people.map((p) => [p.name, { times: p.response.times.map((t) => Number(t.toFixed(4))), onBehalf: p.onBehalf }]))
    // From 10:00, not from 09:05 when the digests were queued: 0.5 h and 1 h; 陈静 4 h, counted against her, not 赵磊.
    expect(people).toEqual({ 吴芳: { times: [0.5, 1], onBehalf: 0 }, 陈静: { times: [4], onBehalf: 1 } })
    // 后港镇's #C: overdue-1 from 吴芳's delivery (孙丽's never came); escalate-3 reached nobody.
    expect(r.units.find((u) => u.unitName === '后港镇')!.response).toMatchObject({ reminders: 2, times: [0.5, 1] })
  })
})
