import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { AgendaItemSchema, LedgerItemSchema, MeetingSchema, OutboxMessageSchema, PersonSchema } from '../src/db/entities/index.js'
import { agendaMessage } from '../src/domain/meetings/agenda-message.js'
import { readCounts, type CampaignStatus } from '../src/read-model/campaign-status.js'
import { meetingReminderSweep } from '../src/domain/meetings/meeting-reminders.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { utf8Length } from '../src/wecom/utf8-limits.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedMeetingMembers, seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { readerText } from './helpers/outbox-text.js'

const at = (text: string) => new Date(`${text}+08:00`)
const CALL = '会议 新建\n时间：9月8日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展\n研究典型案例通报名单'
const DAY_BEFORE = [16, 5] as const

describe(`joint meetings on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>

  beforeEach(async () => {
    await db?.close()
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    // Two member units' people hold meeting_member; 王健 (组织部) convenes.
    await seedMeetingMembers(ds)
  })
  afterAll(async () => {
    await db?.close()
  })

  const outbox = async () => (await ds.getRepository(OutboxMessageSchema).find({ order: { id: 'ASC' } })).map((r) => ({ key: r.dedupeKey, to: (JSON.parse(r.recipients) as { touser: string[] }).touser, content: contentOf(r.payload) }))
  const contentOf = readerText

  it('sends each participant one notice: time, place, convener, topics and the campaign’s figures from the data', async () => {
    const reply = await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    expect(reply.text).toBe('已召集联席会议 #1：9月8日（周二）15:00，县委第三会议室；已通知 3 人。查看回复情况：会议 详情 1')
    const [notice] = (await outbox()).filter((m) => m.key === 'meeting:1:notice')
    expect(notice!.to.sort()).toEqual(['wangjian', 'xumin', 'zhouqiang'])
    const lines = notice!.content.split('\n')
    expect(lines.slice(0, 7)).toEqual(['**专项治理工作联席会议（#1）**', '时间：9月8日（周二）15:00', '地点：县委第三会议室', '召集人：王健（组织部）', '**议题**', '1. 通报自查整改进展', '2. 研究典型案例通报名单'])
    // Seeded: #1 overdue since 25 August, #2 due 2 September, #3 due 30 September; no report for August.
    expect(lines).toContain('当前阶段：监督检查，12月31日截止')
    expect(lines).toContain('台账 3 项：未开始 1，整改中 2，已整改待销号 0，已销号 0；逾期 1')
    expect(lines).toContain('待审批延期申请 0 件')
    expect(lines).toContain('逾期最多的单位：城关镇 1 项')
    expect(lines).toContain('8月月报：已报 0/2 个单位')
    expect(lines).toContain('8月月报未报：城关镇、后港镇')
    expect(lines.at(-1)).toBe('回复「参会 1 参加」或「参会 1 请假 理由」；完整版：会议 详情 1')
  })

  it('tells the next meeting what changed since the last, and the typical cases flagged since', async () => {
    const chat = chatAs(ds, at('2015-09-01T10:00:00'))
    await chat('wangjian', CALL)
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.soon }, { status: 'closed', closedAt: at('2015-09-02T10:00:00') })
    // Flagged before the first meeting: told then, not again.
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.other }, { isTypicalCase: true })
    // Exposed by a typical-case circular after the first meeting was held.
    const exposed = await chatAs(ds, at('2015-09-09T10:00:00'))('wangjian', `通报 典型 全体 关于招商引资工作不作为的典型案例通报\n#${fixture.items.overdue} 两个竞争性项目未按时申报。`)
    expect(exposed.text).toContain('已发布典型案例通报')
    await chatAs(ds, at('2015-09-10T10:00:00'))('wangjian', CALL.replace('9月8日', '9月15日'))
    const [notice] = (await outbox()).filter((m) => m.key === 'meeting:2:notice')
    expect(notice!.content).toContain('台账 3 项：未开始 1，整改中 1（-1），已整改待销号 0，已销号 1（+1）；逾期 1')
    expect(notice!.content).toContain(`上次会议以来的典型案例：\n#${fixture.items.overdue} 城关镇 招商引资项目跑办不积极，两个竞争性项目…\n回复`)
  })

  it('compares with a meeting kept before the four states only where the figures mean the same (total, 已销号, 逾期)', () => {
    // Kept before: 整改中 then meant open items not yet overdue, a different figure from today's.
    const previous = readCounts('{"total":2,"closed":0,"inProgress":1,"overdue":1}')
    expect(previous).toEqual({ total: 2, closed: 0, overdue: 1 })
    const status: CampaignStatus = {
      today: '2015-09-01',
      phases: [],
      counts: { total: 3, notStarted: 1, inProgress: 1, awaitingVerification: 0, closed: 1, overdue: 1 },
      pendingExtensions: 0,
      overdueUnits: [],
      reports: null,
      typicalCases: [],
    }
    const text = agendaMessage({ id: 2, title: '专项治理工作联席会议', startsAt: at('2015-09-08T15:00:00'), place: '县委第三会议室', convener: '王健（组织部）', topics: ['通报进展'], status, previous })
    expect(text).toContain('台账 3 项（+1）：未开始 1，整改中 1，已整改待销号 0，已销号 1（+1）；逾期 1')
  })

  it('fits one WeCom markdown message (2,048 bytes) however large the campaign; 详情 has it all', () => {
    const status: CampaignStatus = {
      today: '2015-09-01',
      phases: [{ name: '监督检查', endDate: '2015-12-31' }],
      counts: { total: 200000, notStarted: 18000, inProgress: 90000, awaitingVerification: 12000, closed: 80000, overdue: 30000 },
      pendingExtensions: 300,
      overdueUnits: Array.from({ length: 5000 }, (_, i) => ({ unit: `第${i}个乡镇人民政府`, count: 5000 - i })),
      reports: { month: '2015-08', submitted: 4000, expected: 5000, missing: Array.from({ length: 1000 }, (_, i) => `未报单位${i}`) },
      typicalCases: Array.from({ length: 300 }, (_, i) => `#${i} 某镇 招商引资项目跑办不积极，两个竞争性项目…`),
    }
    const input = { id: 7, title: '专项治理工作联席会议', startsAt: at('2015-09-08T15:00:00'), place: '县委第三会议室', convener: '王健（组织部）', topics: Array.from({ length: 30 }, (_, i) => `第${i + 1}个议题：研究部署下一阶段监督检查工作`), status, previous: null }
    const short = agendaMessage(input)
    expect(utf8Length(short)).toBeLessThanOrEqual(2048)
    expect(short).toContain('台账 200000 项：未开始 18000，整改中 90000，已整改待销号 12000，已销号 80000；逾期 30000')
    expect(short).toMatch(/另有 \d+ (项|个)/)
    expect(short.split('\n').at(-1)).toContain('完整版：会议 详情 7')
    const full = agendaMessage(input, { full: true })
    expect(full).toContain('第4999个乡镇人民政府 1 项')
    expect(full).toContain('第30个议题')
    expect(full).not.toContain('另有')
  })

  it('records answers: 参加, 请假 with a reason; the convener sees who confirmed, who is away, who is silent', async () => {
    const chat = chatAs(ds, at('2015-09-02T10:00:00'))
    await chat('wangjian', CALL)
    expect((await chat('xumin', '参会 1 参加')).text).toBe('已确认参加会议 #1：9月8日（周二）15:00，县委第三会议室。')
    expect((await chat('zhouqiang', '参会 1 请假')).text).toContain('请假请写明理由')
    expect((await chat('zhouqiang', '参会 1 请假 赴市里参加培训')).text).toBe('已登记请假：会议 #1（赴市里参加培训）。')
    expect((await chat('zhangwei', '参会 1 参加')).text).toContain('您不在会议 #1 的参会名单中')
    expect((await chat('xumin', '参会 9 参加')).text).toContain('没有编号为 #9 的联席会议')
    const details = (await chat('wangjian', '会议 详情 1')).text
    expect(details).toContain('已确认参加 2 人：王健、徐敏\n请假 1 人：周强（赴市里参加培训）\n未回复 0 人')
    expect((await chat('zhangwei', '会议 详情 1')).text).toContain('您不在会议 #1 的参会名单中')
    expect((await chatAs(ds, at('2015-09-08T15:30:00'))('xumin', '参会 1 请假 临时有事')).text).toContain('会议 #1 已开始')
  })

  it('reminds the working day before at the set hour and two hours before, once each; not those on leave; a new time starts afresh', async () => {
    await seedRoster(ds, '县信访局', [{ userid: 'hujun', name: '胡军', roles: ['meeting_member'] }])
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    const chat = chatAs(ds, at('2015-09-02T10:00:00'))
    await chat('xumin', '参会 1 参加')
    await chat('zhouqiang', '参会 1 请假 出差')
    const sweep = (time: string) => meetingReminderSweep(ds, at(time), DAY_BEFORE)
    const reminders = async () => (await outbox()).filter((m) => m.key.startsWith('meeting:1:20'))
    // 8 September is a Tuesday; the working day before it is Monday the 7th.
    expect(await sweep('2015-09-07T16:00:00')).toBe(0)
    expect(await sweep('2015-09-07T16:05:00')).toBe(2)
    expect(await sweep('2015-09-07T16:10:00')).toBe(0)
    const dayBefore = await reminders()
    expect(dayBefore.map((r) => [r.key, r.to.sort()])).toEqual([
      ['meeting:1:2015-09-08T07:00:00.000Z:day-before', ['wangjian', 'xumin']],
      ['meeting:1:2015-09-08T07:00:00.000Z:day-before:unanswered', ['hujun']],
    ])
    // Those who have not answered are asked once, the day before.
    expect(dayBefore[1]!.content).toContain('您尚未回复是否参会：请发送「参会 1 参加」或「参会 1 请假 理由」。')
    expect(await sweep('2015-09-08T12:59:00')).toBe(0)
    expect(await sweep('2015-09-08T13:00:00')).toBe(1)
    expect(await sweep('2015-09-08T13:05:00')).toBe(0)
    const twoHours = (await reminders()).filter((r) => r.key.endsWith('two-hours'))
    expect(twoHours.map((r) => r.to.sort())).toEqual([['hujun', 'wangjian', 'xumin']])
    expect(twoHours[0]!.content).not.toContain('尚未回复')
    expect((await reminders()).some((r) => r.to.includes('zhouqiang'))).toBe(false)
    // Moved to the next morning: announced at once, then reminded for the new time.
    const moved = await chatAs(ds, at('2015-09-08T13:30:00'))('wangjian', '会议 改期 1 9月9日 10:00')
    expect(moved.text).toBe('会议 #1 改至 9月9日（周三）10:00，已通知 4 人。')
    expect((await outbox()).find((m) => m.key.startsWith('meeting:1:changed:'))!.content).toContain('时间改为 9月9日（周三）10:00（原 9月8日（周二）15:00）')
    expect(await sweep('2015-09-08T16:05:00')).toBe(2)
    expect((await outbox()).filter((m) => m.key.startsWith('meeting:1:2015-09-09T02:00:00.000Z:day-before'))).toHaveLength(2)
  })

  it('announces a cancellation at once, and sends no reminders after it', async () => {
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    const reply = await chatAs(ds, at('2015-09-02T10:00:00'))('wangjian', '会议 取消 1 与市委巡察工作冲突')
    expect(reply.text).toBe('已取消会议 #1，已通知 3 人。')
    expect((await outbox()).find((m) => m.key === 'meeting:1:cancelled')!.content).toContain('原因：与市委巡察工作冲突')
    expect(await meetingReminderSweep(ds, at('2015-09-07T16:05:00'), DAY_BEFORE)).toBe(0)
    expect((await chatAs(ds, at('2015-09-02T11:00:00'))('xumin', '参会 1 参加')).text).toContain('会议 #1 已取消')
  })

  it('turns a decision of the minutes into a ledger item of the named unit, which is then reminded like any other', async () => {
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    const early = await chatAs(ds, at('2015-09-08T14:00:00'))('wangjian', '会议 纪要 1\n督促城关镇完成招商项目申报 @城关镇 9月30日')
    expect(early.text).toContain('会议 #1 尚未召开')
    const reply = await chatAs(ds, at('2015-09-08T17:00:00'))('wangjian', '会议 纪要 1\n1. 督促城关镇完成招商项目申报 @城关镇 9月30日\n2. 下次会议研究问责办法')
    const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ problem: '督促城关镇完成招商项目申报' })
    expect(reply.text).toBe(`已记录会议 #1 纪要 2 项；交办事项已登记台账：#${item.id} 城关镇（2015-09-30前），将按时限提醒。`)
    const person = async (id: number | null) => (await ds.getRepository(PersonSchema).findOneByOrFail({ id: id! })).userid
    expect([item.unitId, item.dueDate, await person(item.responsibleLeaderId), await person(item.responsiblePersonId), item.status]).toEqual([fixture.chengguan, '2015-09-30', 'zhangwei', 'chenjing', 'open'])
    expect((await ds.getRepository(AgendaItemSchema).find({ where: { meetingId: 1, kind: 'decision' }, order: { seq: 'ASC' } })).map((d) => [d.topic, d.ledgerItemId])).toEqual([
      ['督促城关镇完成招商项目申报', item.id],
      ['下次会议研究问责办法', null],
    ])
    expect((await ds.getRepository(MeetingSchema).findOneByOrFail({ id: 1 })).status).toBe('held')
    // 25 September is three working days before the 30th: the liaison is reminded of it.
    const sweep = await runSweep(ds, at('2015-09-25T09:05:00'))
    expect(sweep.messages.find((m) => m.to.includes('chenjing'))!.content).toContain(`#${item.id} 督促城关镇完成招商项目申报`)
  })

  it('answers bad input with what was wrong and how to write it; only 组织部 calls meetings', async () => {
    const chat = chatAs(ds, at('2015-09-01T10:00:00'))
    expect((await chat('wangjian', '会议 新建\n地点：县委第三会议室')).text).toContain('缺少时间、议题')
    expect((await chat('wangjian', CALL.replace('15:00', '25:00'))).text).toContain('「25:00」不是能识别的时刻')
    expect((await chat('wangjian', CALL.replace('9月8日', '8月8日'))).text).toContain('已过')
    expect((await chat('zhangwei', CALL)).text).toBe('「会议 新建」只有组织部（干部监督科）可以使用。发送「帮助」查看您可用的命令。')
    expect((await chat('wangjian', '会议 飞')).text).toContain('「飞」不是会议的操作')
    expect((await chat('wangjian', '会议 纪要 1\n决定 @不存在的单位 9月30日')).text).toContain('没有编号为 #1 的联席会议')
    await chat('wangjian', CALL)
    expect((await chatAs(ds, at('2015-09-08T17:00:00'))('wangjian', '会议 纪要 1\n决定 @不存在的单位 9月30日')).text).toContain('「不存在的单位」不是花名册中的单位')
    expect(await ds.getRepository(AgendaItemSchema).countBy({ kind: 'decision' })).toBe(0)
  })

  it('calls a meeting from the command line, topics from a text file, and lists it with the roll call', async () => {
    const { spawnService } = await import('./helpers/service-process.js')
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { CampaignSchema } = await import('../src/db/entities/index.js')
    const { addDays, beijingDate } = await import('../src/time/calendar-date.js')
    // The command line runs on the real clock: the campaign runs today, the meeting is next week.
    const today = beijingDate(new Date())
    await ds.getRepository(CampaignSchema).update({ id: fixture.campaign.id }, { startDate: addDays(today, -30), endDate: addDays(today, 150) })
    const file = join(mkdtempSync(join(tmpdir(), 'topics-')), 'topics.txt')
    writeFileSync(file, '\uFEFF1. 通报自查整改进展\n2. 研究典型案例通报名单\n\n')
    const run = async (...args: string[]) => {
      const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', args)
      return { code: await child.exited, output: child.output() }
    }
    const created = await run('meeting', 'create', '--at', `${addDays(today, 7)} 15:00`, '--place', '县委第三会议室', '--topics', file)
    expect(created.output).toMatch(/已召集联席会议 #1：.+15:00，县委第三会议室；议题 2 项，已通知 3 人（已写入发件箱）。/)
    expect(created.code).toBe(0)
    expect((await outbox()).find((m) => m.key === 'meeting:1:notice')!.content).toContain('1. 通报自查整改进展\n2. 研究典型案例通报名单')
    const listed = await run('meeting', 'list')
    expect(listed.output).toContain('已确认参加 1 人：王健；请假 0 人；未回复 2 人：徐敏、周强')
    const bad = await run('meeting', 'create', '--at', 'next week', '--place', 'x', '--topics', file)
    expect([bad.code, bad.output.trim().split('\n')[0]]).toEqual([1, '--at「next week」不是有效的时间。'])
  })

  it('shows, moves and cancels a meeting from the command line; each change announced', async () => {
    const { spawnService } = await import('./helpers/service-process.js')
    const { CampaignSchema } = await import('../src/db/entities/index.js')
    const { addDays, beijingDate } = await import('../src/time/calendar-date.js')
    // The command line runs on the real clock: the campaign runs today, the meeting is next week.
    const today = beijingDate(new Date())
    await ds.getRepository(CampaignSchema).update({ id: fixture.campaign.id }, { startDate: addDays(today, -30), endDate: addDays(today, 150) })
    await chatAs(ds, new Date())('wangjian', CALL.replace('9月8日', addDays(today, 7)))
    const run = async (...args: string[]) => {
      const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', args)
      return { code: await child.exited, output: child.output().trim() }
    }
    const shown = await run('meeting', 'show', '1')
    expect(shown.output).toContain('2. 研究典型案例通报名单')
    expect(shown.output).toContain('回复情况：\n已确认参加 1 人：王健')
    const moved = await run('meeting', 'change', '1', '--place', '县委第二会议室')
    expect(moved.output).toMatch(/^会议 #1 已改为 .+15:00，县委第二会议室；已通知 3 人。$/)
    expect((await outbox()).find((m) => m.key.startsWith('meeting:1:changed:'))!.content).toContain('地点改为 县委第二会议室（原 县委第三会议室）')
    expect(await run('meeting', 'cancel', '1', '--reason', '与巡察冲突')).toEqual({ code: 0, output: '已取消会议 #1，已通知 3 人。' })
    expect((await outbox()).find((m) => m.key === 'meeting:1:cancelled')!.content).toContain('原因：与巡察冲突')
    expect((await run('meeting', 'change', '1')).output.split('\n')[0]).toBe('请给出新的 --at 或 --place。')
  })
})
