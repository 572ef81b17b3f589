import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { CircularLinkSchema, CircularReceiptSchema, CircularSchema, LedgerItemSchema, MonthlyReportSchema, OutboxMessageSchema, PersonSchema } from '../src/db/entities/index.js'
import { draftCircularText, draftFigures, type DraftFigures } from '../src/domain/circulars/draft-circular.js'
import { paragraphsOf } from '../src/domain/circulars/edit-draft.js'
import { chatAs } from './helpers/ledger-fixture.js'
import { readerText } from './helpers/outbox-text.js'
import { bj, HISTORY_NOW, seedHistory } from './helpers/responsiveness-history.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const TITLE = '关于9月份为官不为专项治理工作进展情况的通报'
const EDIT_USAGE = '用法：通报 修改 编号 标题 新标题 或 通报 修改 编号 段 N（第二行起写新内容）\n示例：通报 修改 5 段 3\n截至9月30日，全县台账共 120 项。'

/** The September circular drafted from responsiveness-history's figures (docs/responsiveness.md, The drafted circular). */
const september = (typicalCase: number) => [
  '各单位：\n现将2015年9月全县为官不为专项治理工作进展情况通报如下。',
  '一、基本情况',
  '截至9月30日，全县台账 5 项：未开始 1，整改中 2，已整改待销号 2，已销号 0；逾期 1。',
  '9月到期事项按期整改率：原定时限 25%（1/4），延期后 33%（1/3）。督办提醒响应：提醒 11 次，响应中位 6.9 小时，90分位 2.8 个工作日，未响应 5/10，待响应 1。',
  '9月月报已报 1/2 个单位。',
  '二、存在问题',
  '（一）逾期未整改事项较多的单位：后港镇 1 项。',
  '（二）督办提醒响应较慢的单位：后港镇（未响应 4/5，中位 5.9 小时）、城关镇（未响应 1/5，中位 6.9 小时）。',
  '（三）逾期满 7 个工作日、已升级至组织部督办的事项 1 项：后港镇 1 项。',
  '（四）未报送9月月报的单位：后港镇。',
  `（五）已通报的典型案例尚未整改到位：#${typicalCase} 后港镇「人居环境整治缓慢」，责任人吴芳，未开始，逾期 19 个工作日。`,
  '三、下步要求',
  '（一）压实整改责任。各单位主要负责同志要切实履行第一责任人职责，对逾期未整改事项逐项研究、限期办结，确保按期整改到位。',
  '（二）及时响应督办。收到督办提醒后请在 3 个工作日内反馈整改进展，确需延期的按程序申请，不得拖延应付。',
  '（三）按时报送月报。请各单位于10月30日前报送10月份工作月报（在企业微信中发送「月报 内容」）。',
  '（四）组织部将持续跟踪督办，对整改不力、敷衍塞责的单位严肃追责问责，并在下期通报中予以通报。',
]

/** The answer to 通报 草稿 and 通报 修改: 预览's, each paragraph numbered, and how to edit and send. */
const preview = (id: number, title: string, paragraphs: readonly string[], audience = '受众：全体单位，3 人（2 个单位：城关镇、后港镇）') =>
  [
    `**预览：通报 #${id}（草稿，尚未发送）**`,
    audience,
    '────── 收件人将看到 ──────',
    `**【通报】${title}**`,
    paragraphs.map((p, i) => `【段${i + 1}】${p}`).join('\n\n'),
    '——县委组织部',
    `> 阅后请回复「收到 ${id}」`,
    '──────────────',
    '【段N】是段号，发送时不显示。',
    `修改标题：通报 修改 ${id} 标题 新标题`,
    `修改某段：通报 修改 ${id} 段 N（第二行起写新内容）`,
    `确认无误请发送「通报 发送 ${id}」`,
  ].join('\n')

/**
 * responsiveness-history's September 2015 — two towns; reminders delivered and acted on (or not);
 * 后港镇's #3 open, overdue 19 working days at the month's end and escalated to 组织部 — with
 * 城关镇's September report handed in (后港镇's not) and #3 already exposed as a typical case.
 * Chat on 2015-10-08 10:00.
 */
describe(`通报 草稿 and 通报 修改 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedHistory>>
  let chat: ReturnType<typeof chatAs>
  /** The September draft, edited and sent as the tests go. */
  let draft: number

  const circular = (id: number) => ds.getRepository(CircularSchema).findOneByOrFail({ id })
  const lastCircular = () => ds.getRepository(CircularSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
  const copiesOf = (id: number) => ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'circular', subjectId: id }, order: { id: 'ASC' } })

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedHistory(ds)
    const liaison = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'chenjing' })
    await ds.getRepository(MonthlyReportSchema).save({ campaignId: fixture.campaign.id, unitId: fixture.chengguan, month: '2015-09', content: '9月工作情况', submittedById: liaison.id, submittedAt: bj('2015-09-28', '16:00'), revision: 1 })
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.i3 }, { isTypicalCase: true })
    chat = chatAs(ds, HISTORY_NOW)
  })
  afterAll(async () => {
    await db?.close()
  })

  describe('通报 草稿', () => {
    it('drafts September from the figures, to 全体, stored as 预览 stores a draft, and shows it with its paragraphs numbered', async () => {
      const paragraphs = september(fixture.items.i3)
      expect(draftCircularText(await draftFigures(ds, fixture.campaign, '2015-09', HISTORY_NOW))).toEqual({ title: TITLE, paragraphs })
      const outbox = await ds.getRepository(OutboxMessageSchema).count()
      const { text } = await chat('wangjian', '通报 草稿 9月')
      const stored = await lastCircular()
      draft = stored.id
      expect(text).toBe(preview(draft, TITLE, paragraphs))
      expect(stored).toMatchObject({ status: 'draft', kind: 'work', audience: '{"type":"all"}', title: TITLE, body: paragraphs.join('\n\n'), sentAt: null })
      expect(paragraphsOf(stored.body)).toEqual(paragraphs)
      // Nothing goes out before 通报 发送.
      expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(outbox)
      expect(await ds.getRepository(CircularReceiptSchema).countBy({ circularId: draft })).toBe(0)
    })

    it('drafts the current month by default, counted as of now', async () => {
      const { text } = await chat('wangjian', '通报 草稿')
      const october = await lastCircular()
      // Nothing due in October yet, no reminder delivered; #3 overdue 20 working days on 10月8日 (19 at September's end, then the National Day week off).
      const paragraphs = [
        '各单位：\n现将2015年10月（截至10月8日）全县为官不为专项治理工作进展情况通报如下。',
        '一、基本情况',
        '截至10月8日，全县台账 5 项：未开始 1，整改中 2，已整改待销号 2，已销号 0；逾期 1。',
        '10月没有到期事项。督办提醒响应：无提醒。',
        '10月月报已报 0/2 个单位。',
        '二、存在问题',
        '（一）逾期未整改事项较多的单位：后港镇 1 项。',
        '（二）逾期满 7 个工作日、已升级至组织部督办的事项 1 项：后港镇 1 项。',
        '（三）未报送10月月报的单位：城关镇、后港镇。',
        `（四）已通报的典型案例尚未整改到位：#${fixture.items.i3} 后港镇「人居环境整治缓慢」，责任人吴芳，未开始，逾期 20 个工作日。`,
        ...september(0).slice(-5),
      ]
      expect(text).toBe(preview(october.id, '关于10月份为官不为专项治理工作进展情况的通报', paragraphs))
      expect(october.body).toBe(paragraphs.join('\n\n'))
    })

    it('refuses others, months not begun, months outside the campaign, and what is no month', async () => {
      const before = await ds.getRepository(CircularSchema).count()
      expect((await chat('zhangwei', '通报 草稿 9月')).text).toBe('「通报」只有组织部（干部监督科）可以使用。发送「帮助」查看您可用的命令。')
      expect((await chat('wangjian', '通报 草稿 2015年11月')).text).toBe('2015-11 还没有到（今天是 2015-10-08），不能起草该月的通报。')
      expect((await chat('wangjian', '通报 草稿 2015年6月')).text).toBe(`2015-06 不在专项治理 #${fixture.campaign.id}「${fixture.campaign.name}」的时间内（${fixture.campaign.startDate} 至 ${fixture.campaign.endDate}）。`)
      expect((await chat('wangjian', '通报 草稿 下下月')).text).toBe(
        '「下下月」不是月份：写成 2015-10、2015年10月、10月 或 上月，不写则为本月。\n用法：通报 草稿 [月份]（按该月数据起草工作通报，不发送）\n示例：通报 草稿 9月',
      )
      expect(await ds.getRepository(CircularSchema).count()).toBe(before)
    })
  })

  describe('通报 修改', () => {
    it('replaces the title, and a paragraph with the lines after 段 N; the answer is the new preview', async () => {
      const paragraphs = september(fixture.items.i3)
      const title = '关于2015年9月份为官不为专项治理工作进展情况的通报'
      expect((await chat('wangjian', `通报 修改 ${draft} 标题 ${title}`)).text).toBe(`已修改通报 #${draft} 的标题。\n${preview(draft, title, paragraphs)}`)
      expect(await circular(draft)).toMatchObject({ title, body: paragraphs.join('\n\n'), status: 'draft' })

      paragraphs[3] = '9月到期事项按期整改率偏低：原定时限仅 25%。\n督办提醒未响应 5 次。'
      expect((await chat('wangjian', `通报 修改 ${draft} 段 4\n9月到期事项按期整改率偏低：原定时限仅 25%。\n督办提醒未响应 5 次。`)).text).toBe(
        `已修改通报 #${draft} 的第 4 段。\n${preview(draft, title, paragraphs)}`,
      )
      // Typed together: 第5段, and the text on the same line.
      paragraphs[4] = '9月月报已报 1/2 个单位，后港镇未报。'
      expect((await chat('wangjian', `通报 修改 ${draft} 第5段 9月月报已报 1/2 个单位，后港镇未报。`)).text).toBe(`已修改通报 #${draft} 的第 5 段。\n${preview(draft, title, paragraphs)}`)
      expect(await circular(draft)).toMatchObject({ title, body: paragraphs.join('\n\n'), status: 'draft' })
    })

    it('refuses what it cannot do, naming the problem with the usage, and changes nothing', async () => {
      const before = await circular(draft)
      const refused = async (typed: string, problem: string) => expect((await chat('wangjian', typed)).text).toBe(`${problem}\n${EDIT_USAGE}`)
      await refused('通报 修改 99999 标题 新标题', '没有编号为 #99999 的通报草稿（发送「通报 列表」查看编号）。')
      await refused(`通报 修改 ${draft} 段 17\n新内容`, `通报 #${draft} 的正文共 16 段，没有第 17 段（段号见预览中的【段N】）。`)
      await refused(`通报 修改 ${draft} 段 0\n新内容`, `通报 #${draft} 的正文共 16 段，没有第 0 段（段号见预览中的【段N】）。`)
      await refused(`通报 修改 ${draft} 段 3`, '缺少第 3 段的新内容：请从第二行起写这一段的新内容。')
      await refused(`通报 修改 ${draft} 段 3\n   \n`, '缺少第 3 段的新内容：请从第二行起写这一段的新内容。')
      await refused(`通报 修改 ${draft} 段\n新内容`, '「段」后面写段号（预览中的【段N】），例：段 3。')
      await refused(`通报 修改 ${draft} 标题`, '缺少新标题：「标题」后面写新的标题。')
      await refused(`通报 修改 ${draft} 标题 ${'标'.repeat(101)}`, '通报标题太长：101 字，上限 100 字。请精简后重发，未保存任何内容。')
      const long = [...before.body].length - [...paragraphsOf(before.body)[2]!].length + 5000
      await refused(`通报 修改 ${draft} 段 3\n${'很'.repeat(5000)}`, `通报正文太长：${long.toLocaleString('en-US')} 字，上限 5,000 字。请精简后重发，未保存任何内容；篇幅较长的材料请线下报送。`)
      await refused(`通报 修改 ${draft}`, `缺少要修改的内容：通报 #${draft} 后面写「标题 新标题」，或「段 N」并从第二行起写这一段的新内容。`)
      await refused(`通报 修改 ${draft} 正文\n新内容`, '不知道要修改「正文」：编号后面写「标题 新标题」，或「段 N」并从第二行起写这一段的新内容。')
      await refused('通报 修改 段 3\n新内容', '「段」不是有效的通报编号，应为数字，例：12 或 #12。')
      expect((await chat('zhangwei', `通报 修改 ${draft} 标题 新标题`)).text).toBe('「通报」只有组织部（干部监督科）可以使用。发送「帮助」查看您可用的命令。')
      expect(await circular(draft)).toEqual(before)
    })

    it('applies two edits sent at once, one after the other: neither is lost', async () => {
      const paragraphs = paragraphsOf((await circular(draft)).body)
      const answers = await Promise.all([
        chat('wangjian', `通报 修改 ${draft} 段 7\n（一）后港镇逾期事项 1 项，已逾期 19 个工作日。`),
        chat('wangjian', `通报 修改 ${draft} 段 10\n（四）后港镇未按时报送9月月报。`),
        chat('wangjian', `通报 修改 ${draft} 标题 关于9月份专项治理工作进展情况的通报`),
      ])
      expect(answers.map((a) => a.text.split('\n')[0])).toEqual([`已修改通报 #${draft} 的第 7 段。`, `已修改通报 #${draft} 的第 10 段。`, `已修改通报 #${draft} 的标题。`])
      paragraphs[6] = '（一）后港镇逾期事项 1 项，已逾期 19 个工作日。'
      paragraphs[9] = '（四）后港镇未按时报送9月月报。'
      expect(await circular(draft)).toMatchObject({ title: '关于9月份专项治理工作进展情况的通报', body: paragraphs.join('\n\n'), status: 'draft' })
    })

    it('publishes the edited draft with 通报 发送; a sent or recalled circular is no longer edited', async () => {
      const edited = await circular(draft)
      expect((await chat('wangjian', `通报 发送 ${draft}`)).text).toBe(
        `已发布通报 #${draft}《${edited.title}》，发给 2 个单位 3 人。\n收件人回复「收到 ${draft}」即确认；查看确认情况：通报 状态 ${draft}；24 小时内可撤回：通报 撤回 ${draft}`,
      )
      const copies = await copiesOf(draft)
      expect(copies).toHaveLength(3)
      for (const copy of copies) expect(readerText(copy.payload)).toBe(`**【通报】${edited.title}**\n${edited.body}\n——县委组织部\n> 阅后请回复「收到 ${draft}」`)
      expect((await chat('wangjian', `通报 修改 ${draft} 段 1\n各镇：`)).text).toBe(`通报 #${draft} 已于 10:00 发出，只有草稿可以修改；如需更正，请另发通报。\n${EDIT_USAGE}`)
      await chat('wangjian', `通报 撤回 ${draft}`)
      expect((await chat('wangjian', `通报 修改 ${draft} 标题 更正`)).text).toBe(`通报 #${draft} 已撤回，只有草稿可以修改；如需更正，请另发通报。\n${EDIT_USAGE}`)
      expect(await circular(draft)).toMatchObject({ title: edited.title, body: edited.body, status: 'recalled' })
    })

    it('keeps a typical-case draft linked to the cases its edited text names', async () => {
      const { i1, i3 } = fixture.items
      await chat('wangjian', `通报 预览 典型 全体 关于#${i3}问题的通报\n经查，该问题长期未整改。`)
      const typical = (await lastCircular()).id
      const linked = async () => (await ds.getRepository(CircularLinkSchema).findBy({ circularId: typical })).map((l) => l.ledgerItemId).sort((a, b) => a! - b!)
      expect(await linked()).toEqual([i3])
      expect((await chat('wangjian', `通报 修改 ${typical} 段 1\n经查，#${i1} 也未按期整改。`)).text).toContain(`关联台账：#${i1} 城关镇 招商项目跑办不积极；#${i3} 后港镇 人居环境整治缓慢\n发送后以上事项标记为典型案例`)
      expect(await linked()).toEqual([i1, i3].sort((a, b) => a - b))
      await chat('wangjian', `通报 修改 ${typical} 标题 关于两起典型问题的通报`)
      expect(await linked()).toEqual([i1])
      expect((await chat('wangjian', `通报 修改 ${typical} 段 1\n经查，问题属实。`)).text).toBe(`典型案例通报请在标题或正文中写明所涉台账编号（如 #12）或督查编号（如 督查#3）。\n${EDIT_USAGE}`)
      expect(await linked()).toEqual([i1])
    })
  })
})

describe('the drafted circular’s lists', () => {
  /** A month with nothing due, no reminder records, twelve units overdue and seven typical cases. */
  const figures: DraftFigures = {
    month: '2015-09',
    asOfDate: '2015-09-30',
    complete: true,
    today: '2015-10-08',
    counts: { total: 90, notStarted: 30, inProgress: 40, awaitingVerification: 10, closed: 10, overdue: 78 },
    county: { response: null, onTimeOriginal: { due: 0, onTime: 0 }, onTimeExtended: { due: 0, onTime: 0 }, overdueItems: 78, overdueLoad: 300, escalatedToHead: null, escalatedToOrg: null, extendedTwice: 0 },
    slowUnits: [],
    overdueUnits: Array.from({ length: 12 }, (_, i) => ({ unitName: `第${i + 1}镇`, overdue: 12 - i })),
    escalated: [],
    escalateAfter: 7,
    reports: { owed: 12, submitted: 12, missing: [] },
    typicalCases: Array.from({ length: 7 }, (_, i) => ({ id: i + 1, unitName: `第${i + 1}镇`, problem: `问题${i + 1}`, person: i === 0 ? '' : `责任人${i + 1}`, state: '整改中' })),
    nextReport: { month: '2015-10', deadline: '2015-10-30' },
  }

  it('names ten units and counts the rest, five typical cases and counts the rest', () => {
    const { paragraphs } = draftCircularText(figures)
    expect(paragraphs.slice(2, 8)).toEqual([
      '截至9月30日，全县台账 90 项：未开始 30，整改中 40，已整改待销号 10，已销号 10；逾期 78。',
      '9月没有到期事项。督办提醒响应：无记录。',
      '9月月报已报 12/12 个单位。',
      '二、存在问题',
      '（一）逾期未整改事项较多的单位：第1镇 12 项、第2镇 11 项、第3镇 10 项、第4镇 9 项、第5镇 8 项、第6镇 7 项、第7镇 6 项、第8镇 5 项、第9镇 4 项、第10镇 3 项等 12 个单位。',
      '（二）已通报的典型案例尚未整改到位：#1 第1镇「问题1」，整改中；#2 第2镇「问题2」，责任人责任人2，整改中；#3 第3镇「问题3」，责任人责任人3，整改中；#4 第4镇「问题4」，责任人责任人4，整改中；#5 第5镇「问题5」，责任人责任人5，整改中等 7 项。',
    ])
  })

  it('says so when the month shows no problem', () => {
    const { paragraphs } = draftCircularText({ ...figures, overdueUnits: [], typicalCases: [] })
    expect(paragraphs.slice(5, 8)).toEqual(['二、存在问题', '9月未发现需要通报的突出问题。', '三、下步要求'])
  })
})
