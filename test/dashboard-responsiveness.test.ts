import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PersonSchema, ProgressUpdateSchema, ReminderRecordSchema } from '../src/db/entities/index.js'
import { markRemindersDelivered } from '../src/domain/reminders/reminder-records.js'
import { overviewResponsiveness } from '../src/read-model/dashboard-overview.js'
import { responsivenessCache } from '../src/read-model/overview-cache.js'
import { consoleDashboard, devSignIn, textOf, type Browser } from './helpers/dashboard.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** Monday 31 August 2015, 15:00 Beijing: the dashboard's clock. 24–28 and 31 August are working days. */
const NOW = new Date('2015-08-31T15:00:00+08:00')
const at = (time: string) => new Date(`${time}+08:00`)
const HOSTILE = '东城<b>街道</b>'

/** The text of a page's 响应时效 panel, a line per heading, paragraph and row (a row's name and figures joined by "："). */
function panelText(body: string): string[] {
  const start = body.indexOf('<section class="card" id="responsiveness">')
  if (start < 0) throw new Error('no 响应时效 panel')
  const section = body.slice(start, body.indexOf('</section>', start))
  return textOf(section.replace(/<\/dt>/g, '：').replace(/<\/(dd|h2|h3|p)>/g, '\n'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

/** The links of the panel, in order. */
function panelLinks(body: string): string[] {
  const start = body.indexOf('<section class="card" id="responsiveness">')
  const section = body.slice(start, body.indexOf('</section>', start))
  return [...section.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]!)
}

/**
 * The 响应时效 panels (docs/responsiveness.md, Where they are shown; docs/dashboard.md, 总览 and
 * 单位) from a hand-written history of reminders and actions, every figure worked out by hand in
 * office hours (08:30–17:30 on working days, nine to a working day).
 */
describe(`the dashboard's 响应时效 panels on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let dash: Awaited<ReturnType<typeof consoleDashboard>>
  const units: Record<string, number> = {}
  const sessions = new Map<string, Browser>()

  async function as(userid: string): Promise<Browser> {
    let b = sessions.get(userid)
    if (!b) sessions.set(userid, (b = await devSignIn(dash.base, userid)))
    return b
  }
  const page = async (userid: string, path: string) => {
    const answer = await (await as(userid)).go(path)
    expect(answer.status, `${userid} ${path}`).toBe(200)
    return answer.body
  }
  const personId = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id

  /** A reminder of one stage of an item to one person, queued at `queued` and delivered at `delivered` (null: not yet). */
  async function reminder(item: number, unitId: number, stage: string, stageDays: number, dueDate: string, userid: string, queued: string, delivered: string | null, outboxKey = `digest:${userid}:${queued}`) {
    await ds.getRepository(ReminderRecordSchema).insert({
      campaignId: fixture.campaign.id,
      ledgerItemId: item,
      unitId,
      stage,
      stageDays,
      dueDate,
      audience: 'unit',
      personId: await personId(userid),
      forPersonId: null,
      outboxKey,
      queuedAt: at(queued),
      deliveredAt: delivered === null ? null : at(delivered),
    })
  }
  /** A progress report (an action) by a person. */
  async function progress(item: number, userid: string | null, time: string) {
    await ds.getRepository(ProgressUpdateSchema).insert({
      ledgerItemId: item,
      personId: userid === null ? null : await personId(userid),
      kind: 'progress',
      oldStatus: 'in_progress',
      newStatus: 'in_progress',
      oldProgress: 40,
      newProgress: 50,
      note: '推进中',
      createdAt: at(time),
    })
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    const { campaign, chengguan, hougang } = fixture
    // 城关镇's items: #overdue (due 25 August: 赵磊, leader 李娜), #soon (due 2 September: 陈静).
    const { overdue, soon } = fixture.items
    // 城关镇, #overdue: due-1 to 赵磊 (Mon 24th 09:00) and to 李娜 (09:30: the same stage, the unit reminded once),
    // overdue-1 to 赵磊 (Wed 26th 09:00), escalate-3 to the head 张伟 (Fri 28th 09:00).
    await reminder(overdue, chengguan, 'due-1', -1, '2015-08-25', 'zhaolei', '2015-08-24T09:00:00', '2015-08-24T09:00:00')
    await reminder(overdue, chengguan, 'due-1', -1, '2015-08-25', 'lina', '2015-08-24T09:00:00', '2015-08-24T09:30:00')
    await reminder(overdue, chengguan, 'overdue-1', 1, '2015-08-25', 'zhaolei', '2015-08-26T09:00:00', '2015-08-26T09:00:00')
    await reminder(overdue, chengguan, 'escalate-3', 3, '2015-08-25', 'zhangwei', '2015-08-28T09:00:00', '2015-08-28T09:00:00')
    // An imported progress row (no person) on the 24th is no action; 赵磊 acts on the 26th at 11:00 and on the 31st at 10:00.
    await progress(overdue, null, '2015-08-24T10:00:00')
    await progress(overdue, 'zhaolei', '2015-08-26T11:00:00')
    await progress(overdue, 'zhaolei', '2015-08-31T10:00:00')
    // #soon: due-3 to 陈静, queued Thursday evening, held by quiet hours, delivered Friday 08:00; no action yet.
    await reminder(soon, chengguan, 'due-3', -3, '2015-09-02', 'chenjing', '2015-08-27T20:00:00', '2015-08-28T08:00:00')

    // Five more units, an item each due Tuesday 1 September, its due-3 delivered Thursday 27th 09:00, answered at:
    const others: [string, string, string, string][] = [
      ['后港镇', 'sunli', 'wufang', '2015-08-27T15:00:00'],
      ['南湖镇', 'nanhuhead', 'nanhustaff', '2015-08-28T10:30:00'],
      ['西城街道', 'xichenghead', 'xichengstaff', '2015-08-27T13:00:00'],
      [HOSTILE, 'dongchenghead', 'dongchengstaff', '2015-08-27T10:00:00'],
      ['北山乡', 'beishanhead', 'beishanstaff', '2015-08-27T09:30:00'],
    ]
    const names: Record<string, [string, string]> = { nanhuhead: ['周敏', '郑华'], xichenghead: ['冯涛', '何平'], dongchenghead: ['许亮', '韩梅'], beishanhead: ['曹阳', '彭丽'] }
    for (const [name, head, staff, answered] of others) {
      const unitId = name === '后港镇' ? hougang : await seedRoster(ds, name, [{ userid: head, name: names[head]![0], roles: ['unit_head'] }, { userid: staff, name: names[head]![1], roles: ['staff'] }])
      units[name] = unitId
      const item = await addLedgerItem(ds, campaign.id, unitId, { leader: head, person: staff }, { dueDate: '2015-09-01', originalDueDate: '2015-09-01' })
      await reminder(item.id, unitId, 'due-3', -3, '2015-09-01', staff, '2015-08-27T09:00:00', '2015-08-27T09:00:00')
      await progress(item.id, staff, answered)
      // 北山乡's due-1 (Monday 31st) is queued at 08:00 and not delivered yet: it counts nowhere until it is.
      if (name === '北山乡') await reminder(item.id, unitId, 'due-1', -1, '2015-09-01', staff, '2015-08-31T08:00:00', null, 'digest:beishan:due-1')
    }
    units['城关镇'] = chengguan
    // A unit without any reminder.
    units['县信访局'] = await seedRoster(ds, '县信访局', [{ userid: 'qianjin', name: '钱进', roles: ['unit_head'] }])

    dash = await consoleDashboard(ds, () => NOW)
  })
  afterAll(async () => {
    await dash?.close()
    await db?.close()
  })

  // The period: August so far; the first record was queued on the 24th.
  const PERIOD = '2015年8月，截至8月31日 15:00；提醒记录自8月24日起'

  /*
   * 城关镇, by hand. #overdue's stages, each from its first delivery: due-1 (24th 09:00), overdue-1
   * (26th 09:00), escalate-3 (28th 09:00); its actions: 26th 11:00 and 31st 10:00 (the imported row is none).
   * - due-1: first action 26th 11:00 = 8.5 + 9 + 2.5 = 20 office hours, but after overdue-1 came: 未响应.
   * - overdue-1: 26th 11:00, 2 hours, before escalate-3: answered.
   * - escalate-3: 31st 10:00 = 8.5 (Fri) + 1.5 (Mon) = 10 hours, within 27: answered.
   * #soon's due-3, delivered 08:00 Friday (counted from 08:30): no action, its 27 hours end with 1 September: 待响应.
   * 4 reminders; times [2, 10, 20]: median (2nd) 10 h = 1.1 个工作日, 90th (3rd) 20 h = 2.2 个工作日; 未响应 1/3, 待响应 1.
   * On time: of the items due in August and past (#overdue), none rectified: 0/1 against either date.
   * Overdue load: #overdue, 4 working days late (26, 27, 28, 31 August). One escalate-3: 1 item to the head.
   */
  const CHENGGUAN = [
    '提醒响应：提醒 4 次，响应中位 1.1 个工作日，90分位 2.2 个工作日，未响应 1/3，待响应 1',
    '按期整改率：原定时限 0%（0/1），延期后 0%（0/1）',
    '逾期负荷：4 个工作日（逾期 1 项）',
    '反复督促：升级至单位负责人 1 项，升级至组织部 0 项，延期两次以上 0 项',
  ]
  /*
   * The other five, one reminder each from 27th 09:00: 后港镇 15:00 = 6 h; 南湖镇 28th 10:30 = 8.5 + 2 =
   * 10.5 h = 1.2 个工作日; 西城街道 13:00 = 4 h; 东城街道 10:00 = 1 h; 北山乡 09:30 = 0.5 h; all answered.
   * Ranking, slowest first: 城关镇 (1/3 unanswered), then the others (0 unanswered) by median:
   * 南湖镇, 后港镇, 西城街道, 东城街道; 北山乡 is the sixth and not shown.
   * The county: 9 reminders, times [0.5, 1, 2, 4, 6, 10, 10.5, 20]: median (4th) 4 h, 90th (8th) 20 h;
   * 未响应 1/8, 待响应 1; the ledger figures are 城关镇's (the other items fall due in September).
   */
  const COUNTY = [
    '提醒响应：提醒 9 次，响应中位 4.0 小时，90分位 2.2 个工作日，未响应 1/8，待响应 1',
    '按期整改率：原定时限 0%（0/1），延期后 0%（0/1）',
    '逾期负荷：4 个工作日（逾期 1 项）',
    '反复督促：升级至单位负责人 1 项，升级至组织部 0 项，延期两次以上 0 项',
  ]
  const SLOWEST = [
    '1. 城关镇：提醒 4，未响应 1/3，待响应 1，中位 1.1 个工作日，90分位 2.2 个工作日；逾期负荷 4',
    '2. 南湖镇：提醒 1，未响应 0/1，中位 1.2 个工作日，90分位 1.2 个工作日；逾期负荷 0',
    '3. 后港镇：提醒 1，未响应 0/1，中位 6.0 小时，90分位 6.0 小时；逾期负荷 0',
    '4. 西城街道：提醒 1，未响应 0/1，中位 4.0 小时，90分位 4.0 小时；逾期负荷 0',
    `5. ${HOSTILE}：提醒 1，未响应 0/1，中位 1.0 小时，90分位 1.0 小时；逾期负荷 0`,
  ]

  it('总览 for 组织部: the county’s month and its five slowest units, each linked to its page, in 时效’s words', async () => {
    const body = await page('wangjian', '/dash')
    expect(panelText(body)).toEqual(['响应时效', `全县 · ${PERIOD}`, ...COUNTY, '响应最慢的单位（未响应比例高者在前，再按响应中位）', ...SLOWEST, '最慢的 5 个，共 6 个单位参与排名'])
    expect(panelLinks(body)).toEqual(['城关镇', '南湖镇', '后港镇', '西城街道', HOSTILE].map((name) => `/dash/units/${units[name]}`))
    // The hostile name is escaped as the page escapes every name.
    expect(body).toContain(`<a href="/dash/units/${units[HOSTILE]}">东城&lt;b>街道&lt;/b></a>`)
    expect(body).not.toContain('<b>街道')
    // Chat's 时效 says the same, line for line.
    const chat = (await chatAs(ds, NOW)('wangjian', '时效')).text.split('\n')
    expect(chat[0]).toBe(`**响应时效 · 全县（${PERIOD}）**`)
    for (const line of [...COUNTY, ...SLOWEST.slice(0, 4)]) expect(chat).toContain(line)
  })

  it('总览 for a unit head: their unit’s own figures, never the county’s or the ranking', async () => {
    expect(panelText(await page('zhangwei', '/dash'))).toEqual(['响应时效', `本单位 · ${PERIOD}`, '城关镇', ...CHENGGUAN])
    expect(panelLinks(await page('zhangwei', '/dash'))).toEqual([`/dash/units/${fixture.chengguan}`])
    // 后港镇: one reminder answered in 6 hours; nothing due in August (—).
    expect(panelText(await page('sunli', '/dash'))).toEqual([
      '响应时效',
      `本单位 · ${PERIOD}`,
      '后港镇',
      '提醒响应：提醒 1 次，响应中位 6.0 小时，90分位 6.0 小时，未响应 0/1',
      '按期整改率：原定时限 —，延期后 —',
      '逾期负荷：0 个工作日（逾期 0 项）',
      '反复督促：升级至单位负责人 0 项，升级至组织部 0 项，延期两次以上 0 项',
    ])
  })

  /*
   * 城关镇's people, each reminder to them counted against them:
   * - 李娜: due-1 at 24th 09:30, first action 26th 11:00 = 8 + 9 + 2.5 = 19.5 h = 2.2 个工作日, after overdue-1: 未响应 1/1.
   * - 赵磊: due-1 (20 h, 未响应) and overdue-1 (2 h): median (1st of [2, 20]) 2.0 小时, 未响应 1/2.
   * - 张伟: escalate-3, 10 h = 1.1 个工作日, 0/1.
   * - 陈静: due-3, 待响应, no time yet.
   * Slowest first: by the share unanswered (1, 1/2, 0, none decided).
   */
  const PEOPLE = ['李娜：提醒 1，未响应 1/1，中位 2.2 个工作日', '赵磊：提醒 2，未响应 1/2，中位 2.0 小时', '张伟：提醒 1，未响应 0/1，中位 1.1 个工作日', '陈静：提醒 1，未响应 0/0，待响应 1，中位 —']

  it('a unit’s page: the unit’s figures and its people’s, for 组织部 and the unit’s head alike, as 时效 ‹单位›', async () => {
    const expected = ['响应时效', PERIOD, ...CHENGGUAN, '各责任人（慢者在前）', ...PEOPLE]
    expect(panelText(await page('wangjian', `/dash/units/${fixture.chengguan}`))).toEqual(expected)
    expect(panelText(await page('zhangwei', `/dash/units/${fixture.chengguan}`))).toEqual(expected)
    const chat = (await chatAs(ds, NOW)('zhangwei', '时效')).text.split('\n')
    expect(chat[0]).toBe(`**响应时效 · 城关镇（${PERIOD}）**`)
    for (const line of [...CHENGGUAN, ...PEOPLE]) expect(chat).toContain(line)
    // Another unit's head is refused the page, as before.
    expect((await (await as('sunli')).go(`/dash/units/${fixture.chengguan}`)).status).toBe(403)
    // A unit never reminded: 无提醒, and no one listed.
    expect(panelText(await page('wangjian', `/dash/units/${units['县信访局']}`))).toEqual([
      '响应时效',
      PERIOD,
      '提醒响应：无提醒',
      '按期整改率：原定时限 —，延期后 —',
      '逾期负荷：0 个工作日（逾期 0 项）',
      '反复督促：升级至单位负责人 0 项，升级至组织部 0 项，延期两次以上 0 项',
      '各责任人（慢者在前）',
      '本期还没有提醒到该单位人员。',
    ])
  })

  it('总览 shows a reminder as soon as it is delivered and an action as soon as it is made (the kept 总览 is not shown)', async () => {
    expect(panelText(await page('wangjian', '/dash')).slice(2, 3)).toEqual([COUNTY[0]])
    /*
     * 北山乡's due-1 is delivered at 14:00: a 10th reminder, 待响应 (its window runs into September);
     * its due-3 is still answered (09:30 on the 27th, before due-1 came). The county: 未响应 1/8, 待响应 2.
     */
    await markRemindersDelivered(ds.manager, 'digest:beishan:due-1#1', at('2015-08-31T14:00:00'), ['beishanstaff'])
    const delivered = panelText(await page('wangjian', '/dash'))
    expect(delivered[2]).toBe('提醒响应：提醒 10 次，响应中位 4.0 小时，90分位 2.2 个工作日，未响应 1/8，待响应 2')
    expect(delivered.at(-1)).toBe('最慢的 5 个，共 6 个单位参与排名')
    /*
     * 陈静 reports progress on #soon now (15:00): its due-3 (from Friday 08:30) answered in 9 + 6.5 = 15.5 h.
     * 城关镇: times [2, 10, 15.5, 20], median (2nd) 10 h, 90th (4th) 20 h; 未响应 1/4.
     * The county: times [0.5, 1, 2, 4, 6, 10, 10.5, 15.5, 20]: median (5th) 6 h, 90th (9th) 20 h; 未响应 1/9, 待响应 1 (北山乡's).
     */
    const reply = await chatAs(ds, NOW)('chenjing', `进度 ${fixture.items.soon} 80% 已制定首问负责制方案`)
    expect(reply.refused).toBeUndefined()
    const acted = panelText(await page('wangjian', '/dash'))
    expect(acted.slice(2, 6)).toEqual(['提醒响应：提醒 10 次，响应中位 6.0 小时，90分位 2.2 个工作日，未响应 1/9，待响应 1', ...COUNTY.slice(1)])
    expect(acted[7]).toBe('1. 城关镇：提醒 4，未响应 1/4，中位 1.1 个工作日，90分位 2.2 个工作日；逾期负荷 4')
    // 陈静: 15.5 h = 1.7 个工作日, now slower than 张伟 (the same share unanswered, a longer median).
    expect(panelText(await page('zhangwei', `/dash/units/${fixture.chengguan}`)).slice(-4)).toEqual([PEOPLE[0], PEOPLE[1], '陈静：提醒 1，未响应 0/1，中位 1.7 个工作日', PEOPLE[2]])
  })

  it('is kept while nothing changes and within a quarter hour of office time; counted again as office time passes', async () => {
    const cached = responsivenessCache()
    const first = (await cached(ds, fixture.campaign, NOW, null))!
    expect(first).toEqual(await overviewResponsiveness(ds, fixture.campaign, NOW, null))
    // Thirty seconds later, the same quarter hour of office time (from 08:30): kept (the same objects), as of the new instant.
    const later = at('2015-08-31T15:00:30')
    const kept = (await cached(ds, fixture.campaign, later, null))!
    expect(kept.units).toBe(first.units)
    expect(kept).toEqual(await overviewResponsiveness(ds, fixture.campaign, later, null))
    expect((await cached(ds, fixture.campaign, at('2015-08-31T15:14:59'), null))!.units).toBe(first.units)
    // The next quarter hour of office time: counted again.
    const minute = at('2015-08-31T15:15:00')
    const recounted = (await cached(ds, fixture.campaign, minute, null))!
    expect(recounted.units).not.toBe(first.units)
    expect(recounted).toEqual(await overviewResponsiveness(ds, fixture.campaign, minute, null))
    // After office hours office time stands still: 19:00 and 22:00 are the same instant of it.
    const evening = (await cached(ds, fixture.campaign, at('2015-08-31T19:00:00'), null))!
    const night = (await cached(ds, fixture.campaign, at('2015-08-31T22:00:00'), null))!
    expect(night.units).toBe(evening.units)
    expect(night).toEqual(await overviewResponsiveness(ds, fixture.campaign, at('2015-08-31T22:00:00'), null))
    // An action counts it again at once.
    await progress(fixture.items.overdue, 'zhaolei', '2015-08-31T21:00:00')
    const after = (await cached(ds, fixture.campaign, at('2015-08-31T22:00:00'), null))!
    expect(after.units).not.toBe(night.units)
    expect(after).toEqual(await overviewResponsiveness(ds, fixture.campaign, at('2015-08-31T22:00:00'), null))
  })
})
