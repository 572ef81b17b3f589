import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { AttendanceSchema, CardStateSchema, CircularReceiptSchema, ExtensionRequestSchema, LedgerItemSchema, OutboxMessageSchema, PersonQuestionSchema, PersonSchema, ProgressUpdateSchema, RoleAssignmentSchema } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import type { CardMessage } from '../src/wecom/messages.js'
import { checkCard } from '../src/wecom/template-card.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { addLedgerItem, seedLedger } from './helpers/ledger-fixture.js'
import { seedMeetingMembers, seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { storedCards } from './helpers/cards.js'

const bj = (at: string) => new Date(`${at}+08:00`)

/** Cards, taps and short conversations through the real callback (docs/cards.md). */
describe(`cards and taps, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let campaignId: number
  let chengguan: number
  let items: { overdue: number; soon: number; other: number }
  const clock = { now: bj('2015-08-31T09:00:00') }
  const say = async (who: string, text: string) => (await rig.say(who, text)).answer

  const { cardTo, updatesOf } = storedCards(() => ds)

  const historyOf = (id: number) => ds.getRepository(ProgressUpdateSchema).countBy({ ledgerItemId: id })
  const itemStatus = async (id: number) => (await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id })).status

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    const seeded = await seedLedger(ds)
    campaignId = seeded.campaign.id
    chengguan = seeded.chengguan
    items = seeded.items
    // A second administrator: 组织部's cards go to both in one send.
    await seedRoster(ds, '县委组织部', [{ userid: 'zhoumin', name: '周敏', roles: ['org_admin'] }])
    // A responsible person who uses WeCom through WeChat: no cards.
    await addLedgerItem(ds, campaignId, chengguan, { leader: 'zhangwei', person: 'zhaolei' }, { problem: '窗口工作人员推诿扯皮', dueDate: '2015-08-20', originalDueDate: '2015-08-20' })
    rig = await startCallbackRig(ds, clock)
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  it('sends a leader the reminder digest as a card within every limit: most urgent first, the text digest as its fallback', async () => {
    await ds.getRepository(PersonSchema).update({ userid: 'chenjing' }, { viaWechat: true })
    await runSweep(ds, clock.now)
    const { card, row } = await cardTo('lina')
    expect(() => checkCard(card)).not.toThrow()
    expect(card.card_type).toBe('button_interaction')
    expect(card.task_id).toMatch(/^c[0-9a-z]+[A-Za-z0-9_-]{12}$/)
    expect(row.taskId).toBe(card.task_id)
    expect(card.main_title).toEqual({ title: '专项治理提醒（8月31日）', desc: '逾期 1 项 · 即将到期 1 项' })
    expect(card.button_list!.map((b) => [b.text, b.key])).toEqual([
      ['更新进度', 'progress'],
      ['已整改', 'done'],
      ['申请延期', 'extend'],
      ['详情', 'detail'],
    ])
    expect(card.button_selection!.option_list.map((o) => o.id)).toEqual([String(items.overdue), String(items.soon)])
    expect(card.horizontal_content_list![0]).toEqual({ keyname: '逾期', value: `#${items.overdue} 招商引资项目跑办不积极… · 逾期 4 个工作日` })
    const fallback = (JSON.parse(row.payload) as CardMessage).fallback
    expect(fallback?.msgtype).toBe('markdown')
    expect(fallback?.msgtype === 'markdown' && fallback.markdown.content).toMatch(/^\*\*专项治理提醒（(2015年)?8月31日）\*\*\n🔴 已逾期\n/)
    // The plugin user gets the text digest as before: no card, no task id.
    const plain = (await ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'digest' } })).filter((r) => r.recipients.includes('chenjing'))
    expect(plain.map((r) => [r.msgType, r.taskId])).toEqual([['text', null]])
  })

  it('已整改: the tap asks for the note, the answer marks the item rectified once, the digest card shows it and 组织部 get one 销号 card', async () => {
    clock.now = bj('2015-08-31T10:00:00')
    const digest = await cardTo('lina')
    const before = await historyOf(items.overdue)
    const asked = await rig.tap('lina', digest.taskId, 'done', { select: String(items.overdue) })
    expect(asked.answer).toBe(`请回复 #${items.overdue} 的整改说明，如：已建立首问负责制并公示\n（10 分钟内有效；发送「取消」放弃）`)
    // A tap is answered by a message through the outbox, never in the HTTP answer (docs/cards.md, Taps).
    expect(asked.passive).toBe(false)
    // Asking changes nothing and leaves the card as it is.
    expect(await historyOf(items.overdue)).toBe(before)
    expect(await updatesOf(digest.taskId)).toEqual([])
    const done = await say('lina', '已建立首问负责制并公示')
    expect(done).toMatch(new RegExp(`#${items.overdue}`))
    expect(await itemStatus(items.overdue)).toBe('rectified')
    expect(await historyOf(items.overdue)).toBe(before + 1)
    // The history row has the service's clock (it failed before: the database's own clock).
    const [latest] = await ds.getRepository(ProgressUpdateSchema).find({ where: { ledgerItemId: items.overdue }, order: { id: 'DESC' }, take: 1 })
    expect(latest!.createdAt.toISOString()).toBe(clock.now.toISOString())
    expect(await ds.getRepository(PersonQuestionSchema).count()).toBe(0)
    const [update, ...more] = await updatesOf(digest.taskId)
    expect(more).toEqual([])
    expect(update!.users).toEqual(['lina'])
    expect(update!.payload.response_code).toBe(asked.responseCode)
    const shown = update!.payload.template_card
    expect(() => checkCard(shown)).not.toThrow()
    expect(shown.horizontal_content_list![0]).toEqual({ keyname: '已处理', value: `#${items.overdue} 已报整改（李娜 10:00）` })
    // The rectified item leaves the drop-down; the other stays actionable.
    expect(shown.button_selection!.option_list.map((o) => o.id)).toEqual([String(items.soon)])
    expect(shown.replace_text).toBeUndefined()
    const verify = await cardTo('wangjian', (_row, card) => card.main_title.title === `待核实销号 #${items.overdue}`)
    expect(JSON.parse(verify.row.recipients).touser).toEqual(['wangjian', 'zhoumin'])
    expect(verify.card.button_list!.map((b) => b.key)).toEqual([`close:${items.overdue}`, `return:${items.overdue}`])
  })

  it('销号 by one administrator closes the item once and updates both administrators’ cards; a replayed tap and a second tap change nothing', async () => {
    clock.now = bj('2015-08-31T10:05:00')
    const verify = await cardTo('wangjian', (_row, card) => card.main_title.title === `待核实销号 #${items.overdue}`)
    const before = await historyOf(items.overdue)
    const first = await rig.tap('zhoumin', verify.taskId, `close:${items.overdue}`)
    expect(first.status).toBe(200)
    expect(await itemStatus(items.overdue)).toBe('closed')
    expect(await historyOf(items.overdue)).toBe(before + 1)
    const updates = await updatesOf(verify.taskId)
    expect(updates).toHaveLength(1)
    expect(updates[0]!.users).toEqual(['wangjian', 'zhoumin'])
    expect(updates[0]!.payload.template_card.replace_text).toBe('已销号')
    expect(updates[0]!.payload.template_card.sub_title_text).toMatch(/^已销号（周敏 10:05）\n/)
    // WeCom retries the same tap (same response code): stored once, not run again.
    const replay = await rig.tap('zhoumin', verify.taskId, `close:${items.overdue}`, { responseCode: first.responseCode })
    expect(replay.status).toBe(200)
    // The other administrator taps before the update reached them: told, nothing changes.
    const second = await rig.tap('wangjian', verify.taskId, `close:${items.overdue}`)
    expect(second.answer).toBe(`待核实销号 #${items.overdue}：#${items.overdue} 已销号（周敏 10:05），无需重复操作。`)
    expect(await historyOf(items.overdue)).toBe(before + 1)
    expect(await updatesOf(verify.taskId)).toHaveLength(1)
  })

  it('a tap is checked against the card: not its recipient, a key it never had, a choice it never offered, an unknown task id → 已失效, nothing runs', async () => {
    const digest = await cardTo('lina')
    const stale = '这张卡片已失效。请发送「待办」查看需要您处理的事项。'
    expect((await rig.tap('zhaolei', digest.taskId, 'progress', { select: String(items.soon) })).answer).toBe(stale)
    expect((await rig.tap('lina', digest.taskId, `close:${items.soon}`)).answer).toBe(stale)
    expect((await rig.tap('lina', digest.taskId, 'progress', { select: String(items.other) })).answer).toBe(stale)
    expect((await rig.tap('lina', 'cnotours123', 'progress', { select: String(items.soon) })).answer).toBe(stale)
    expect(await ds.getRepository(PersonQuestionSchema).count()).toBe(0)
  })

  it('申请延期 and 驳回 are short conversations; the extension card goes to 组织部 and shows the decision', async () => {
    clock.now = bj('2015-08-31T11:00:00')
    const digest = await cardTo('lina')
    expect((await rig.tap('lina', digest.taskId, 'extend', { select: String(items.soon) })).answer).toMatch(/^请回复 #\d+ 的新时限和理由/)
    expect(await say('lina', '9月30日 需等待省厅批复')).toMatch(/延期申请 #\d+/)
    const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: items.soon, status: 'pending' })
    const card = await cardTo('wangjian', (_row, c) => c.main_title.title === `延期申请 #${request.id}`)
    expect(card.card.horizontal_content_list).toEqual([
      { keyname: '原时限', value: '9月2日' },
      { keyname: '申请延至', value: '9月30日' },
    ])
    const asked = await rig.tap('wangjian', card.taskId, `reject:${request.id}`)
    expect(asked.answer).toMatch(new RegExp(`^请回复驳回延期申请 #${request.id} 的意见`))
    expect(await say('wangjian', '理由不充分，请按期完成')).toMatch(/驳回|未获批准/)
    expect((await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ id: request.id })).status).toBe('denied')
    const [update] = await updatesOf(card.taskId)
    expect(update!.users).toEqual(['wangjian', 'zhoumin'])
    expect(update!.payload.response_code).toBe(asked.responseCode)
    expect(update!.payload.template_card.replace_text).toBe('已驳回')
    // The digest's item left its drop-down when the extension was requested.
    const digestUpdates = await updatesOf(digest.taskId)
    expect(digestUpdates.at(-1)!.payload.template_card.button_selection).toBeUndefined()
    expect(digestUpdates.at(-1)!.payload.template_card.replace_text).toBe('已处理')
  })

  it('a question: 取消 cancels, a command drops it and says so, 更多 and a bare number are answers, an unreadable answer keeps it open', async () => {
    clock.now = bj('2015-08-31T14:00:00')
    const item = await addLedgerItem(ds, campaignId, chengguan, { leader: 'lina', person: 'zhaolei' }, { problem: '项目审批超时', dueDate: '2015-09-02', originalDueDate: '2015-09-02' })
    await runSweep(ds, bj('2015-09-01T09:00:00'))
    clock.now = bj('2015-09-01T09:30:00')
    const digest = await cardTo('zhaolei', (_row, card) => card.button_selection!.option_list.some((o) => o.id === String(item.id)))
    await rig.tap('zhaolei', digest.taskId, 'progress', { select: String(item.id) })
    expect(await say('zhaolei', '取消')).toBe('已取消，未做任何更改。')
    expect(await ds.getRepository(PersonQuestionSchema).count()).toBe(0)

    await rig.tap('zhaolei', digest.taskId, 'progress', { select: String(item.id) })
    const instead = await say('zhaolei', '帮助')
    expect(instead.split('\n')[0]).toBe(`（已放弃刚才的提问：请回复 #${item.id} 的进度百分比和说明）`)
    expect(await ds.getRepository(PersonQuestionSchema).count()).toBe(0)

    await rig.tap('zhaolei', digest.taskId, 'progress', { select: String(item.id) })
    const unreadable = await say('zhaolei', '更多')
    expect(unreadable).toMatch(/请重新回复，或发送「取消」放弃。$/)
    expect(await ds.getRepository(PersonQuestionSchema).count()).toBe(1)
    const unreadableNumber = await say('zhaolei', '12')
    expect(unreadableNumber).toMatch(/请重新回复，或发送「取消」放弃。$/)
    expect(await say('zhaolei', '60% 已完成主体整改')).toMatch(new RegExp(`#${item.id}`))
    expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: item.id })).progress).toBe(60)
    // Progress keeps the item in the drop-down.
    const [update] = await updatesOf(digest.taskId)
    expect(update!.payload.template_card.button_selection!.option_list.map((o) => o.id)).toContain(String(item.id))
  })

  it('a question expires after 10 minutes (the next reply is told so), and survives a restart within them', async () => {
    clock.now = bj('2015-09-01T10:00:00')
    const digest = await cardTo('zhaolei')
    const id = Number(digest.card.button_selection!.option_list[0]!.id)
    await rig.tap('zhaolei', digest.taskId, 'progress', { select: String(id) })
    clock.now = bj('2015-09-01T10:11:00')
    expect(await say('zhaolei', '70% 完成')).toBe(`刚才的提问（请回复 #${id} 的进度百分比和说明）已超过 10 分钟失效，未做任何更改。请在卡片上重新点按，或直接发送「进度 ${id} 60% 已完成主体整改」。`)

    await rig.tap('zhaolei', digest.taskId, 'progress', { select: String(id) })
    await rig.close()
    rig = await startCallbackRig(ds, clock)
    clock.now = bj('2015-09-01T10:15:00')
    expect(await say('zhaolei', '75% 主体完工')).toMatch(new RegExp(`#${id}`))
    expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id })).progress).toBe(75)
  })

  it('a tap on a card whose item changed since shows how it stands now, on everyone’s card', async () => {
    clock.now = bj('2015-09-01T11:00:00')
    const item = await addLedgerItem(ds, campaignId, chengguan, { leader: 'lina', person: 'zhaolei' }, { problem: '督办件回复不及时' })
    await say('zhaolei', `完成 ${item.id} 已建立台账逐件回复`)
    const verify = await cardTo('wangjian', (_row, card) => card.main_title.title === `待核实销号 #${item.id}`)
    await say('wangjian', `销号 ${item.id} 经核实整改到位`)
    const before = await historyOf(item.id)
    const tap = await rig.tap('zhoumin', verify.taskId, `return:${item.id}`)
    expect(tap.answer).toMatch(new RegExp(`^#${item.id} .*销号，不能再退回。$`))
    expect(await historyOf(item.id)).toBe(before)
    expect(await ds.getRepository(PersonQuestionSchema).count()).toBe(0)
    const [update] = await updatesOf(verify.taskId)
    expect(update!.users).toEqual(['wangjian', 'zhoumin'])
    expect(update!.payload.template_card.replace_text).toBe('已处理')
  })

  it('a tap by someone no longer allowed is refused, and only their card says why', async () => {
    clock.now = bj('2015-09-01T11:30:00')
    const item = await addLedgerItem(ds, campaignId, chengguan, { leader: 'lina', person: 'zhaolei' }, { problem: '信访积案化解滞后' })
    await say('zhaolei', `完成 ${item.id} 已化解`)
    const verify = await cardTo('wangjian', (_row, card) => card.main_title.title === `待核实销号 #${item.id}`)
    const zhoumin = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhoumin' })
    await ds.getRepository(RoleAssignmentSchema).delete({ personId: zhoumin.id })
    const tap = await rig.tap('zhoumin', verify.taskId, `close:${item.id}`)
    expect(tap.answer).toMatch(/只有/)
    expect(await itemStatus(item.id)).toBe('rectified')
    const [update] = await updatesOf(verify.taskId)
    expect(update!.users).toEqual(['zhoumin'])
    expect(update!.payload.template_card.replace_text).toBe('无权处理')
    // The card's state is untouched for the others: wangjian can still 销号.
    await rig.tap('wangjian', verify.taskId, `close:${item.id}`)
    expect(await itemStatus(item.id)).toBe('closed')
    expect((await ds.getRepository(CardStateSchema).findOneByOrFail({ taskId: verify.taskId })).version).toBe(1)
  })

  it('the menu’s 待办 answers as the typed command does', async () => {
    clock.now = bj('2015-09-01T12:00:00')
    const typed = await say('lina', '待办')
    expect((await rig.menu('lina', 'menu:todo')).answer).toBe(typed)
    expect((await rig.menu('lina', 'menu:help')).answer).toBe(await say('lina', '帮助'))
  })

  it('a circular’s card: 全文 answers with the whole text, 收到 acknowledges for the tapper alone, a second 收到 is told', async () => {
    clock.now = bj('2015-09-02T09:00:00')
    const body = `请各镇于9月10日前报送本月工作台账，${'逐项写明整改措施、完成时限和责任人。'.repeat(8)}`
    expect(await say('wangjian', `通报 发布 全体 关于报送9月工作台账的通知\n${body}`)).toMatch(/已发布通报 #\d+/)
    const copy = await cardTo('zhangwei', (_row, card) => card.main_title.title.startsWith('【通报】关于报送9月'))
    const id = Number(copy.card.button_list![0]!.key.split(':')[1])
    expect(copy.card.button_list!.map((b) => [b.text, b.key])).toEqual([
      ['收到', `ack:${id}`],
      ['全文', `read:${id}`],
    ])
    expect(copy.card.sub_title_text).toHaveLength(112)
    const whole = await rig.tap('zhangwei', copy.taskId, `read:${id}`)
    expect(whole.answer).toContain(body)
    expect(await updatesOf(copy.taskId)).toEqual([])
    await rig.tap('zhangwei', copy.taskId, `ack:${id}`)
    const receipt = async (userid: string) => {
      const person = await ds.getRepository(PersonSchema).findOneByOrFail({ userid })
      return ds.getRepository(CircularReceiptSchema).findOneByOrFail({ circularId: id, personId: person.id })
    }
    expect((await receipt('zhangwei')).acknowledgedAt).not.toBeNull()
    expect((await receipt('sunli')).acknowledgedAt).toBeNull()
    const [update] = await updatesOf(copy.taskId)
    expect(update!.users).toEqual(['zhangwei'])
    expect(update!.payload.template_card.replace_text).toBe('已收到')
    expect((await rig.tap('zhangwei', copy.taskId, `ack:${id}`)).answer).toMatch(/已收到（张伟 09:00），无需重复操作。$/)
  })

  it('a meeting notice: one card to every participant; 请假 asks the reason and answers for the tapper alone', async () => {
    await seedMeetingMembers(ds)
    clock.now = bj('2015-09-02T10:00:00')
    await say('wangjian', '会议 新建\n时间：9月8日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展\n研究典型案例通报名单')
    const notice = await cardTo('xumin', (row) => row.subjectKind === 'meeting')
    expect(JSON.parse(notice.row.recipients).touser).toEqual(['wangjian', 'xumin', 'zhouqiang'])
    expect(notice.card.horizontal_content_list).toEqual([
      { keyname: '时间', value: '9月8日（周二）15:00' },
      { keyname: '地点', value: '县委第三会议室' },
      { keyname: '议题', value: '2 项' },
    ])
    const meetingId = notice.row.subjectId!
    expect((await rig.tap('xumin', notice.taskId, `leave:${meetingId}`)).answer).toMatch(/^请回复第 \d+ 号会议的请假理由/)
    await say('xumin', '赴市里参加培训')
    const xumin = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'xumin' })
    expect(await ds.getRepository(AttendanceSchema).findOneByOrFail({ meetingId, personId: xumin.id })).toMatchObject({ response: 'leave', reason: '赴市里参加培训' })
    const [update] = await updatesOf(notice.taskId)
    expect(update!.users).toEqual(['xumin'])
    expect(update!.payload.template_card.replace_text).toBe('已请假')
    // Another participant still answers on the same card.
    await rig.tap('zhouqiang', notice.taskId, `attend:${meetingId}`)
    const zhouqiang = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhouqiang' })
    expect((await ds.getRepository(AttendanceSchema).findOneByOrFail({ meetingId, personId: zhouqiang.id })).response).toBe('attend')
    expect((await updatesOf(notice.taskId)).map((u) => u.users)).toEqual([['xumin'], ['zhouqiang']])
  })

  it('待办 that names one thing to decide answers with its card, whose buttons work like any other', async () => {
    clock.now = bj('2015-09-03T09:00:00')
    const unit = await seedRoster(ds, '新城镇', [{ userid: 'xiaoming', name: '肖明', roles: ['leader'] }])
    const item = await addLedgerItem(ds, campaignId, unit, { leader: 'xiaoming', person: 'xiaoming' }, { problem: '惠民资金发放迟缓', dueDate: '2015-09-04', originalDueDate: '2015-09-04' })
    const answer = await say('xiaoming', '待办')
    expect(answer.split('\n')[0]).toBe('**待办（肖明）**')
    const card = await cardTo('xiaoming')
    expect(card.row.channel).toBe('reply')
    expect(card.card.button_selection!.option_list.map((o) => o.id)).toEqual([String(item.id)])
    await rig.tap('xiaoming', card.taskId, 'progress', { select: String(item.id) })
    expect(await say('xiaoming', '30% 已拨付第一批')).toMatch(new RegExp(`#${item.id}`))
    expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: item.id })).progress).toBe(30)
    // 待办 naming several things stays text.
    await addLedgerItem(ds, campaignId, unit, { leader: 'xiaoming', person: 'xiaoming' }, { problem: '项目验收拖延', dueDate: '2015-09-04', originalDueDate: '2015-09-04' })
    const before = (await ds.getRepository(OutboxMessageSchema).count({ where: { msgType: 'template_card' } }))
    await say('xiaoming', '待办')
    expect(await ds.getRepository(OutboxMessageSchema).count({ where: { msgType: 'template_card' } })).toBe(before)
  })

  it('two administrators tapping 批准 on one card at the same moment: one approval, one history row, one card update', async () => {
    clock.now = bj('2015-09-03T10:00:00')
    // 周敏 holds org_admin again (an earlier test took it away).
    const zhoumin = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhoumin' })
    await ds.getRepository(RoleAssignmentSchema).save({ personId: zhoumin.id, role: 'org_admin', unitId: null })
    const item = await addLedgerItem(ds, campaignId, chengguan, { leader: 'lina', person: 'zhaolei' }, { problem: '征地补偿拖延', dueDate: '2015-09-20', originalDueDate: '2015-09-20' })
    await say('zhaolei', `延期 ${item.id} 10月15日 需等待评估报告`)
    const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: item.id })
    const card = await cardTo('wangjian', (_row, c) => c.main_title.title === `延期申请 #${request.id}`)
    const before = await historyOf(item.id)
    const answers = await Promise.all([rig.tap('wangjian', card.taskId, `approve:${request.id}`), rig.tap('zhoumin', card.taskId, `approve:${request.id}`)])
    expect(answers.map((a) => a.status)).toEqual([200, 200])
    expect((await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ id: request.id })).status).toBe('approved')
    expect(await historyOf(item.id)).toBe(before + 1)
    expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: item.id })).dueDate).toBe('2015-10-15')
    const updates = await updatesOf(card.taskId)
    expect(updates).toHaveLength(1)
    expect(updates[0]!.users).toEqual(['wangjian', 'zhoumin'])
    // The second tapper is told it is done, by whom.
    expect(answers.filter((a) => /无需重复操作/.test(a.answer))).toHaveLength(1)
  })
})
