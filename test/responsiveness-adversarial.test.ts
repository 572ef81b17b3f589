import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { createCampaign } from '../src/domain/campaign/create-campaign.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { PersonLeaveSchema, PersonSchema, ProblemCategorySchema, ReminderRecordSchema, type Campaign } from '../src/db/entities/index.js'
import { sqlInstant } from '../src/db/sql-instant.js'
import { createLogger } from '../src/logger.js'
import { responsiveness } from '../src/read-model/responsiveness.js'
import { hoursText } from '../src/read-model/responsiveness-text.js'
import { OfficeClock } from '../src/time/office-hours.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { addLedgerItem, chatAs, seedCampaignPeople } from './helpers/ledger-fixture.js'
import { bj, HISTORY_NOW, seedHistory } from './helpers/responsiveness-history.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * An adversarial review of the responsiveness figures (docs/responsiveness.md): each test states
 * what the document says and checks it on the real read model, sweep, delivery worker and chat.
 * The campaign starts 2015-07-01 with 城关镇 (张伟 head, 李娜 leader, 陈静 liaison, 赵磊 staff) and
 * 后港镇 (孙丽 head, 吴芳 staff); 王健 is 组织部, 刘洋 the inspection group.
 */
describe(`responsiveness against its definitions on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let campaign: Campaign
  let chengguan: number
  let hougang: number
  let ids: Map<string, number>

  const person = (userid: string) => ids.get(userid)!

  /** A reminder record as the sweep writes it and the delivery worker marks it. */
  const remind = (
    itemId: number,
    unitId: number,
    stage: string,
    dueDate: string,
    to: string,
    delivered: Date | null,
    options: { audience?: 'unit' | 'org'; queued?: Date; forPerson?: string; key?: string; campaignId?: number } = {},
  ) =>
    ds.query(
      `INSERT INTO reminder_record (campaign_id, ledger_item_id, unit_id, stage, stage_days, due_date, audience, person_id, for_person_id, outbox_key, queued_at, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        options.campaignId ?? campaign.id, itemId, unitId, stage, stageDays(stage), dueDate, options.audience ?? 'unit', person(to), options.forPerson ? person(options.forPerson) : null,
        options.key ?? `digest:${to}:${itemId}:${stage}`, sqlInstant(ds, options.queued ?? delivered ?? new Date(0)), delivered === null ? null : sqlInstant(ds, delivered),
      ],
    )
  /** A history row as item-lifecycle.ts (or an import) writes it. */
  const history = (itemId: number, kind: string, by: string | null, at: Date) =>
    ds.query('INSERT INTO progress_update (ledger_item_id, person_id, kind, old_status, new_status, old_progress, new_progress, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      itemId, by === null ? null : person(by), kind, 'in_progress', kind === 'rectified' ? 'rectified' : 'in_progress', 40, kind === 'rectified' ? 100 : 60, '说明', sqlInstant(ds, at),
    ])
  const item = async (unitId: number, who: string, leader: string, dueDate: string) => (await addLedgerItem(ds, campaign.id, unitId, { person: who, leader }, { dueDate, originalDueDate: dueDate })).id

  /** The campaign and its people, no items (or, with `history`, responsiveness-history.ts's September). */
  const seed = async (options: { history?: boolean } = {}) => {
    ;({ campaign, chengguan, hougang } = options.history ? await seedHistory(ds) : await seedCampaignPeople(ds, '2015-07-01'))
    ids = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.userid, p.id]))
  }

  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
  })
  afterEach(async () => {
    await db.close()
  })

  describe('defects', () => {
    it('counts a stage delivered to two people across a month boundary once, in the month of its first delivery', async () => {
      await seed()
      const i = await item(hougang, 'wufang', 'sunli', '2015-09-29')
      // overdue-1: 吴芳 got it on 9月30日; 孙丽's copy was retried and went out after National Day.
      await remind(i, hougang, 'overdue-1', '2015-09-29', 'wufang', bj('2015-09-30', '16:00'))
      await remind(i, hougang, 'overdue-1', '2015-09-29', 'sunli', bj('2015-10-08', '09:00'))
      const now = bj('2015-10-20', '10:00')
      const september = await responsiveness(ds, campaign, { month: '2015-09' }, now)
      const october = await responsiveness(ds, campaign, { month: '2015-10' }, now, { people: true })
      expect(september.county.response!.reminders).toBe(1)
      // For a person, each record delivered to them: 孙丽's is October's.
      expect(october.people.map((p) => [p.name, p.response.reminders])).toEqual([['孙丽', 1]])
      // docs/responsiveness.md: a unit's reminder is one stage of one item and due date, counted once, from the earliest delivery among its records.
      expect(october.county.response!.reminders).toBe(0)
    })

    it('counts an item escalated to 组织部 once, in the month its summary first went out', async () => {
      await seed()
      await seedRoster(ds, '县委组织部', [{ userid: 'zhoumin', name: '周敏', roles: ['org_admin'] }])
      ids = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.userid, p.id]))
      const i = await item(hougang, 'wufang', 'sunli', '2015-09-18')
      await remind(i, hougang, 'escalate-7', '2015-09-18', 'wangjian', bj('2015-09-30', '16:00'), { audience: 'org', key: 'summary:2015-09-30' })
      await remind(i, hougang, 'escalate-7', '2015-09-18', 'zhoumin', bj('2015-10-08', '09:00'), { audience: 'org', key: 'summary:2015-09-30' })
      const now = bj('2015-10-20', '10:00')
      expect((await responsiveness(ds, campaign, { month: '2015-09' }, now)).county.escalatedToOrg).toBe(1)
      // docs/responsiveness.md: 反复督促 counts items escalated to 组织部 in the period; this one was escalated in September.
      expect((await responsiveness(ds, campaign, { month: '2015-10' }, now)).county.escalatedToOrg).toBe(0)
    })

    it('shows a second campaign’s months before its own first record as 无记录', async () => {
      await seed()
      const first = await item(chengguan, 'zhaolei', 'lina', '2015-09-10')
      await remind(first, chengguan, 'due-3', '2015-09-10', 'zhaolei', bj('2015-09-07', '09:05'))
      const { campaign: second } = await ds.transaction((m) => createCampaign(m, loadPlan(DEFAULT_PLAN), '2016-07-01'))
      const i = await item(chengguan, 'zhaolei', 'lina', '2016-09-09')
      await ds.query('UPDATE ledger_item SET campaign_id = ? WHERE id = ?', [second.id, i])
      // The second campaign's records begin on 2016年9月6日.
      await remind(i, chengguan, 'due-3', '2016-09-09', 'zhaolei', bj('2016-09-06', '09:05'), { campaignId: second.id })
      const now = bj('2016-10-10', '10:00')
      const august = await responsiveness(ds, second, { month: '2016-08' }, now)
      // docs/responsiveness.md: a month that ended before the campaign's first record is shown as 无记录.
      expect(august.period.noRecord).toBe(true)
      expect(august.county.response).toBeNull()
      expect((await chatAs(ds, now)('wangjian', '时效 8月')).text.split('\n')[1]).toBe('提醒响应：无记录')
    })

    it('records a stage the deputy receives as the item’s own leader as theirs, not as taken for the person on leave', async () => {
      await seed()
      // 吴芳 is on leave with 孙丽 as deputy; 孙丽 is also #i's responsible leader, so overdue-1 reaches her in her own right.
      const i = await item(hougang, 'wufang', 'sunli', '2015-09-02')
      await ds.getRepository(PersonLeaveSchema).save({ personId: person('wufang'), deputyId: person('sunli'), until: '2015-09-11', endedAt: null })
      await runSweep(ds, bj('2015-09-07', '09:05'))
      const rows = (await ds.getRepository(ReminderRecordSchema).find()).filter((r) => r.ledgerItemId === i).map((r) => [r.stage, r.personId, r.forPersonId])
      // reminder-records.ts: "a stage they get themselves is not on anyone's behalf" (docs/responsiveness.md: for_person_id only when a deputy took it).
      expect(rows).toEqual([['overdue-1', person('sunli'), null]])
    })

    it('gives a unit the same figures in its own view as in the county’s ranking after an item moved to another unit', async () => {
      await seed()
      const i = await item(chengguan, 'zhaolei', 'lina', '2015-09-10')
      await remind(i, chengguan, 'due-3', '2015-09-10', 'zhaolei', bj('2015-09-07', '09:05'))
      await history(i, 'progress', 'zhaolei', bj('2015-09-07', '10:05'))
      // A re-import names 后港镇 for the item (ledger-import-write.ts updateItem writes unit_id).
      await ds.query('UPDATE ledger_item SET unit_id = ? WHERE id = ?', [hougang, i])
      const now = bj('2015-09-30', '10:00')
      const county = await responsiveness(ds, campaign, { month: '2015-09' }, now)
      const own = await responsiveness(ds, campaign, { month: '2015-09' }, now, { unitId: chengguan })
      const countyRow = county.units.find((u) => u.unitId === chengguan)!.response!
      expect(countyRow).toMatchObject({ reminders: 1, unanswered: 0, times: [1] })
      // docs/responsiveness.md: one definition each, every surface the same read model; 时效 城关镇 must not contradict the ranking.
      expect(own.units.find((u) => u.unitId === chengguan)!.response).toEqual(countyRow)
    })

    it('counts an extension request from the moment it was made, by the service’s clock like every other action', async () => {
      await seed()
      const i = await item(chengguan, 'zhaolei', 'lina', '2015-09-10')
      await remind(i, chengguan, 'due-3', '2015-09-10', 'zhaolei', bj('2015-09-07', '10:00'))
      const chat = chatAs(ds, bj('2015-09-07', '10:30'))
      expect((await chat('zhaolei', `延期 ${i} 9月30日 需协调资金`)).text).toContain('延期申请')
      const r = await responsiveness(ds, campaign, { month: '2015-09' }, bj('2015-09-08', '10:00'))
      // docs/responsiveness.md: an extension request (延期) is an action; 10:00 → 10:30 is 0.5 office hours.
      expect(r.county.response).toMatchObject({ reminders: 1, times: [0.5], unanswered: 0, pending: 0 })
    })

    it('ranks a unit that never acted slower than one that acted late, with the same share unanswered', async () => {
      await seed()
      for (const [unit, who, leader] of [
        [chengguan, 'zhaolei', 'lina'],
        [chengguan, 'zhaolei', 'lina'],
        [hougang, 'wufang', 'sunli'],
        [hougang, 'wufang', 'sunli'],
      ] as const) {
        const i = await item(unit, who, leader, '2015-09-10')
        await remind(i, unit, 'due-3', '2015-09-10', who, bj('2015-09-07', '09:00'))
        // 后港镇 acts a week later (unanswered: after 27 office hours); 城关镇 never does.
        if (unit === hougang) await history(i, 'progress', who, bj('2015-09-14', '09:00'))
      }
      const r = await responsiveness(ds, campaign, { month: '2015-09' }, bj('2015-09-30', '10:00'))
      const byName = (name: string) => r.units.find((u) => u.unitName === name)!.response!
      expect([byName('城关镇'), byName('后港镇')].map((f) => [f.unanswered, f.decided, f.times.length])).toEqual([
        [2, 2, 0],
        [2, 2, 2],
      ])
      // docs/responsiveness.md, Ranking: slowest first; a unit with no response at all is slower than any median.
      expect(r.units.map((u) => [u.unitName, u.rank])).toEqual([
        ['城关镇', 1],
        ['后港镇', 2],
      ])
    })

    it('answers a month that is not one (13月, 0月, 2015年13月) with the month’s forms, not as an unknown unit', async () => {
      await seed({ history: true })
      const chat = chatAs(ds, HISTORY_NOW)
      for (const typed of ['13月', '0月', '2015年13月']) {
        // A person who typed 13月 asked for a month (docs/chat-input.md forms); "没有「13月」这个单位" is wrong.
        expect((await chat('wangjian', `时效 ${typed}`)).text).toContain('不是月份')
      }
    })

    it('does not claim a 无记录 month had no reminder due for a decision', async () => {
      await seed({ history: true })
      const text = (await chatAs(ds, HISTORY_NOW)('wangjian', '时效 7月')).text
      expect(text.split('\n')[1]).toBe('提醒响应：无记录')
      // docs/responsiveness.md: the reminder figures of a month before the records read 无记录; the ranking is one of them.
      expect(text).not.toContain('没有已到判定时点的提醒')
    })

    it('pages 组织部’s ranked units with 更多, 15 lines a page', async () => {
      await seed()
      await seedUnits(ds, campaign, person('zhaolei'), person('lina'), 25)
      const chat = chatAs(ds, bj('2015-09-30', '10:00'))
      const ranks = (text: string) => text.split('\n').filter((line) => /^\d+\. /.test(line)).map((line) => Number(line.split('.')[0]))
      // docs/chat.md, Long lists: 15 lines a page — the first holds the county's four lines and the heading.
      expect(ranks((await chat('wangjian', '时效 9月')).text)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(ranks((await chat('wangjian', '更多')).text)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25])
    })

    it('answers 5,000 ranked units on every database, keeping the pages that fit for 更多, in rank order, and says where it stops', async () => {
      await seed()
      await seedUnits(ds, campaign, person('zhaolei'), person('lina'), 5000)
      const now = bj('2015-09-30', '10:00')
      expect((await responsiveness(ds, campaign, { month: '2015-09' }, now)).units.filter((u) => u.rank !== null)).toHaveLength(5000)
      const chat = chatAs(ds, now)
      // MariaDB's TEXT holds 64 KB of kept pages: docs/chat.md, Long lists, keeps what fits and says so (it failed before).
      let text = (await chat('wangjian', '时效 9月')).text
      const ranks: number[] = []
      for (let page = 0; page < 1000; page++) {
        ranks.push(...text.split('\n').filter((line) => /^\d+\. /.test(line)).map((line) => Number(line.split('.')[0])))
        if (!text.includes('发送「更多」')) break
        text = (await chat('wangjian', '更多')).text
      }
      expect(text.split('\n').at(-1)).toMatch(/^（列表共 \d+ 页，只保留到第 \d+ 页；请缩小范围后重新查询）$/)
      expect(ranks.length).toBeGreaterThan(300)
      expect(ranks).toEqual(Array.from({ length: ranks.length }, (_, k) => k + 1))
    }, 240_000)
  })

  describe('edges that held', () => {
    it('counts office hours at 08:30 and 17:30 exactly, midnight on a holiday, an action at the delivery instant, not one before it, and a month’s last instant', async () => {
      await seed()
      const cases: [string, Date, Date | null][] = [
        ['2015-09-07 08:30 → 17:30: nine hours', bj('2015-09-07', '08:30'), bj('2015-09-07', '17:30')],
        ['17:30 → next morning 08:30: nothing', bj('2015-09-07', '17:30'), bj('2015-09-08', '08:30')],
        ['midnight on the holiday 9月3日 → 9月6日 09:00', bj('2015-09-03', '00:00'), bj('2015-09-06', '09:00')],
        ['an action at the same instant', bj('2015-09-08', '10:00'), bj('2015-09-08', '10:00')],
        ['an action 1 ms before: none', bj('2015-09-09', '10:00'), new Date(bj('2015-09-09', '10:00').getTime() - 1)],
        ['September’s last instant, never answered', new Date(bj('2015-10-01', '00:00').getTime() - 1), null],
      ]
      for (const [, delivered, action] of cases) {
        const i = await item(chengguan, 'zhaolei', 'lina', '2015-10-30')
        await remind(i, chengguan, 'due-3', '2015-10-30', 'zhaolei', delivered)
        if (action) await history(i, 'progress', 'zhaolei', action)
      }
      const now = bj('2015-10-20', '10:00')
      const september = await responsiveness(ds, campaign, { month: '2015-09' }, now)
      expect(september.county.response).toMatchObject({ reminders: 6, times: [0, 0, 0.5, 9], decided: 6, unanswered: 2, pending: 0 })
      expect(hoursText(9)).toBe('1.0 个工作日')
      expect((await responsiveness(ds, campaign, { month: '2015-10' }, now)).county.response!.reminders).toBe(0)
      // The document's example: Friday 19:00 before the Dragon Boat holiday (6月20日–22日) to Tuesday 09:00.
      expect(new OfficeClock().hoursBetween(bj('2015-06-19', '19:00'), bj('2015-06-23', '09:00'))).toBeCloseTo(0.5, 9)
    })

    it('takes no import, edit, 延期 approval, 销号 or 退回 for an action', async () => {
      await seed()
      const i = await item(chengguan, 'zhaolei', 'lina', '2015-09-10')
      await remind(i, chengguan, 'due-3', '2015-09-10', 'zhaolei', bj('2015-09-07', '09:00'))
      await history(i, 'created', null, bj('2015-09-07', '09:30'))
      await history(i, 'edited', null, bj('2015-09-07', '10:00'))
      await history(i, 'extended', 'wangjian', bj('2015-09-07', '10:30'))
      await history(i, 'closed', 'wangjian', bj('2015-09-07', '11:00'))
      await history(i, 'reopened', 'wangjian', bj('2015-09-07', '11:30'))
      const r = await responsiveness(ds, campaign, { month: '2015-09' }, bj('2015-09-30', '10:00'))
      expect(r.county.response).toMatchObject({ reminders: 1, times: [], decided: 1, unanswered: 1 })
    })

    it('refuses other units to a unit’s leaders, however the month is glued on, and quotes hostile names short', async () => {
      await seed({ history: true })
      const chat = chatAs(ds, HISTORY_NOW)
      expect((await chat('sunli', '时效 城关镇9月')).text).toBe('您只能查看本单位（后港镇）的时效；全县排名由县委组织部查看。')
      expect((await chat('lina', '时效 后港镇 全程')).text).toBe('您只能查看本单位（城关镇）的时效；全县排名由县委组织部查看。')
      expect((await chat('wangjian', "时效 城关镇'; DROP TABLE unit; --")).text).toBe('没有「城关镇\'; DROP TABLE uni…」这个单位。您是不是指「城关镇」？')
      expect((await chat('wangjian', `时效 ${'城'.repeat(3000)}`)).text).toBe(`没有「${'城'.repeat(20)}…」这个单位。`)
      // Full-width digits are the same month.
      expect((await chat('wangjian', '时效 城关镇 ９月')).text).toBe((await chat('wangjian', '时效 城关镇 9月')).text)
      expect(Number((await ds.query('SELECT COUNT(*) AS n FROM unit'))[0].n)).toBeGreaterThan(2)
    })

  })

  describe('through the sweep and the delivery worker', () => {
    let fake: FakeWeCom
    let clock: Date

    function worker(options: { concurrency?: number } = {}) {
      const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock.getTime() })
      return createDeliveryWorker({ dataSource: ds, transport: createWeComTransport(client, {}), logger: createLogger('silent'), quietHours: { startMinute: 21 * 60, endMinute: 8 * 60 }, now: () => clock, random: () => 0, batchSize: 50, ...options })
    }
    const delivered = async () => (await ds.getRepository(ReminderRecordSchema).find({ order: { id: 'ASC' } })).map((r) => [r.personId, r.stage, r.deliveredAt?.getTime() ?? null])
    const failOn = (table: string, when: string | null) =>
      ds.query(
        dialect === 'mysql'
          ? `CREATE TRIGGER fail_${table} BEFORE UPDATE ON ${table} FOR EACH ROW ${when ? `BEGIN IF NEW.${when} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'database unavailable'; END IF; END` : "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'database unavailable'"}`
          : `CREATE TRIGGER fail_${table} BEFORE UPDATE ON ${table}${when ? ` WHEN NEW.${when}` : ''} BEGIN SELECT RAISE(ABORT, 'database unavailable'); END`,
      )
    const recover = (table: string) => ds.query(`DROP TRIGGER fail_${table}`)

    beforeEach(async () => {
      fake = await startFakeWeCom({ now: () => clock.getTime() })
      clock = bj('2015-09-07', '09:05')
    })
    afterEach(async () => {
      await fake.close()
    })

    it('keeps a delivery time the database failed to record, and records it when the database answers', async () => {
      await seed()
      await item(hougang, 'wufang', 'sunli', '2015-09-10')
      await runSweep(ds, clock)
      await failOn('reminder_record', null)
      clock = bj('2015-09-07', '10:00')
      // The delivery time is written with the outbox row's status: both wait for the database.
      const w = worker()
      await expect(w.runOnce()).rejects.toThrow()
      await recover('reminder_record')
      clock = bj('2015-09-07', '10:20')
      await w.runOnce()
      // docs/responsiveness.md: delivered_at is set when the worker records the message sent; the digest went out at 10:00.
      expect(await delivered()).toEqual([[person('wufang'), 'due-3', bj('2015-09-07', '10:00').getTime()]])
    })

    it('records the send time after a failed outcome write, on catch-up (held)', async () => {
      await seed()
      await item(hougang, 'wufang', 'sunli', '2015-09-10')
      await runSweep(ds, clock)
      await failOn('outbox_message', "status = 'sent'")
      clock = bj('2015-09-07', '10:00')
      const w = worker()
      await expect(w.runOnce()).rejects.toThrow()
      await recover('outbox_message')
      clock = bj('2015-09-07', '10:20')
      await w.runOnce()
      expect(await delivered()).toEqual([[person('wufang'), 'due-3', bj('2015-09-07', '10:00').getTime()]])
    })

    it('counts a delivery retried after a failure from the attempt that went out (held)', async () => {
      await seed()
      await item(hougang, 'wufang', 'sunli', '2015-09-10')
      await runSweep(ds, clock)
      fake.inject({ kind: 'http', status: 502 }, 1, 'message/send')
      clock = bj('2015-09-07', '10:00')
      const w = worker({ concurrency: 1 })
      expect((await w.runOnce()).retried).toBe(1)
      expect(await delivered()).toEqual([[person('wufang'), 'due-3', null]])
      clock = bj('2015-09-07', '11:00')
      await w.runOnce()
      expect(await delivered()).toEqual([[person('wufang'), 'due-3', bj('2015-09-07', '11:00').getTime()]])
    })

    it('gives an administrator WeCom refused on the summary’s plain-text copy no delivery', async () => {
      await seed()
      await seedRoster(ds, '县委组织部', [{ userid: 'zhoumin', name: '周敏', roles: ['org_admin'], viaWechat: true }])
      ids = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.userid, p.id]))
      // Seven working days overdue on 9月7日: escalated to 组织部 with the day's summary (王健 as a card or markdown, 周敏 in plain text).
      await item(hougang, 'wufang', 'sunli', '2015-08-26')
      await runSweep(ds, clock)
      fake.invalidUsers.add('zhoumin')
      clock = bj('2015-09-07', '10:00')
      await worker().runOnce()
      const org = (await ds.getRepository(ReminderRecordSchema).find({ where: { audience: 'org' } })).map((r) => [r.personId, r.deliveredAt?.getTime() ?? null])
      // docs/responsiveness.md: a recipient WeCom refused (invaliduser) has no delivery.
      expect(org.sort()).toEqual([[person('wangjian'), bj('2015-09-07', '10:00').getTime()], [person('zhoumin'), null]].sort())
    })
  })
})

function stageDays(stage: string): number {
  const [kind, days] = stage.split('-') as [string, string]
  return kind === 'due' ? -Number(days) : Number(days)
}

/**
 * `count` more participating units 测试单位00001…, each with one item due 9月10日 whose due-3
 * reached it on 9月7日 09:00 and was never answered: every unit is ranked, by name.
 */
async function seedUnits(ds: DataSource, campaign: Campaign, personId: number, leaderId: number, count: number): Promise<void> {
  const category = await ds.getRepository(ProblemCategorySchema).findOneByOrFail({ campaignId: campaign.id, number: 3 })
  const names = Array.from({ length: count }, (_, k) => `测试单位${String(k + 1).padStart(5, '0')}`)
  const insert = async (table: string, columns: string[], rows: unknown[][]) => {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500)
      await ds.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ')}`, chunk.flat())
    }
  }
  await insert('unit', ['name', 'kind'], names.map((name) => [name, 'town']))
  const units = ((await ds.query("SELECT id, name FROM unit WHERE name LIKE '测试单位%'")) as { id: number }[]).map((u) => Number(u.id))
  await insert('campaign_unit', ['campaign_id', 'unit_id', 'role'], units.map((id) => [campaign.id, id, 'participant']))
  await insert(
    'ledger_item',
    ['campaign_id', 'unit_id', 'category_id', 'problem', 'measures', 'target', 'due_date', 'original_due_date', 'responsible_person_id', 'responsible_leader_id', 'status', 'progress', 'is_public', 'is_typical_case'],
    units.map((id) => [campaign.id, id, category.id, '干部作风问题', '成立专班', '按期完成', '2015-09-10', '2015-09-10', personId, leaderId, 'in_progress', 40, false, false]),
  )
  const items = (await ds.query("SELECT i.id, i.unit_id FROM ledger_item i JOIN unit u ON u.id = i.unit_id WHERE u.name LIKE '测试单位%'")) as { id: number; unit_id: number }[]
  const delivered = sqlInstant(ds, bj('2015-09-07', '09:00'))
  await insert(
    'reminder_record',
    ['campaign_id', 'ledger_item_id', 'unit_id', 'stage', 'stage_days', 'due_date', 'audience', 'person_id', 'for_person_id', 'outbox_key', 'queued_at', 'delivered_at'],
    items.map((i) => [campaign.id, Number(i.id), Number(i.unit_id), 'due-3', -3, '2015-09-10', 'unit', personId, null, `digest:bulk:${i.id}`, delivered, delivered]),
  )
}
