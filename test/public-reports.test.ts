import { Writable } from 'node:stream'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import {
  CircularSchema,
  InboundMessageSchema,
  InspectionSchema,
  LedgerItemSchema,
  OutboxMessageSchema,
  PersonSchema,
  PublicReportReporterSchema,
  PublicReportSchema,
  type Campaign,
  type OutboxMessage,
} from '../src/db/entities/index.js'
import { monthlyReportFile } from '../src/domain/reports/monthly-summary.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { createLogger } from '../src/logger.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const bj = (at: string) => new Date(`${at}+08:00`)
/** The reporter: confidential (docs/inspections.md). Nobody in the roster has this name. */
const NAME = '钱小红'
const PHONE = '13912345678'
const CONTENT = '反映城关镇便民服务大厅工作日上午无人值守，办事群众排长队'
const FINDING = '工作日上午窗口无人值守，群众等候超过1小时'

const registration = (fields: Record<string, string>) =>
  ['举报 登记', ...Object.entries(fields).map(([name, value]) => `${name}：${value}`)].join('\n')
const FIRST = {
  来源: '电话',
  受理日期: '9月11日',
  内容: CONTENT,
  被举报单位: '城关镇',
  被举报人: '张伟',
  举报人: `${NAME} ${PHONE}`,
  核查人: '刘洋',
  核查时限: '9月17日',
}

/**
 * 举报 through the real callback: registered by 组织部, the inspector told and reminded,
 * verified into a finding; and the reporter's name and telephone nowhere but in 组织部's own
 * answers to 举报 登记 and 举报 详情 — not in any message sent, any other answer, the workbook,
 * a circular naming the finding, or a log line.
 */
describe(`reports from the public on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let campaign: Campaign
  const clock = { now: bj('2015-09-14T10:00:00') }
  const logLines: string[] = []
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk))
        done()
      },
    }),
  )
  let first: number

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    campaign = (await seedLedger(ds)).campaign
    await seedRoster(ds, '县委组织部', [{ userid: 'majun', name: '马军', roles: ['inspector'] }])
    rig = await startCallbackRig(ds, {
      logger,
      get now() {
        return clock.now
      },
    })
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  const say = async (from: string, text: string) => (await rig.say(from, text)).answer
  const person = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
  const payloadText = (row: OutboxMessage) => {
    const payload = JSON.parse(row.payload) as { text?: { content: string }; markdown?: { content: string } }
    return payload.markdown?.content ?? payload.text?.content ?? row.payload
  }
  const digestOf = async (userid: string, at: Date) => {
    const result = await runSweep(ds, at)
    return result.messages.find((m) => m.to.length === 1 && m.to[0] === userid)?.content
  }

  it('组织部 registers a report: the reporter kept apart, the inspector told what to verify by when, never by whom', async () => {
    const answer = await say('wangjian', registration(FIRST))
    const report = await ds.getRepository(PublicReportSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
    first = report.id
    expect(answer).toBe(
      [
        `已登记举报 #${first}：电话，9月11日受理，涉及 城关镇 张伟`,
        '核查人 刘洋，9月17日前核查；已通知核查人（通知中不含举报人信息）',
        `🔒 举报人：${NAME} ${PHONE}（仅组织部可见）`,
      ].join('\n'),
    )
    expect(report).toMatchObject({ source: 'telephone', receivedOn: '2015-09-11', content: CONTENT, concernedPerson: '张伟', verifyBy: '2015-09-17', status: 'assigned', assignedToId: await person('liuyang'), registeredById: await person('wangjian') })
    expect(await ds.getRepository(PublicReportReporterSchema).findOneByOrFail({ publicReportId: first })).toMatchObject({ anonymous: false, name: NAME, contact: PHONE })
    const notices = await ds.getRepository(OutboxMessageSchema).findBy({ subjectKind: 'public_report', subjectId: first })
    expect(notices.map((n) => [n.personId, JSON.parse(n.recipients).touser])).toEqual([[await person('liuyang'), ['liuyang']]])
    expect(payloadText(notices[0]!)).toBe(
      [
        `**举报件待核查 #${first}**`,
        '电话，9月11日受理；涉及 城关镇 张伟',
        `内容：${CONTENT}`,
        `请于 9月17日 前核查，回复：举报 核查 ${first} 属实|部分属实|不属实 说明`,
        '举报件内容须保密，不得向被举报单位和人员透露。',
      ].join('\n'),
    )
  })

  it('详情: 组织部 sees the reporter line, the inspector assigned everything else, another inspector nothing', async () => {
    const common = [
      `**举报 #${first}**`,
      '状态：🟡 待核查，9月17日前',
      '来源：电话，9月11日受理（王健登记）',
      '涉及：城关镇 张伟',
      `内容：${CONTENT}`,
      '核查人：刘洋',
    ]
    const footer = `核查后回复：举报 核查 ${first} 属实|部分属实|不属实 说明`
    expect(await say('wangjian', `举报 详情 ${first}`)).toBe([...common, `🔒 举报人：${NAME} ${PHONE}（仅组织部可见）`, footer].join('\n'))
    expect(await say('liuyang', `举报 详情 ${first}`)).toBe([...common, footer].join('\n'))
    expect(await say('majun', `举报 详情 ${first}`)).toBe(`举报 #${first} 未指派给您：只有指派的核查人和组织部（干部监督科）可以查看。`)
    expect(await say('wangjian', '举报 详情 999')).toBe('没有编号为 #999 的举报件。')
  })

  it('列表 with lights: all for 组织部, their own for an inspector', async () => {
    const line = `🟡 #${first} 城关镇 张伟 反映城关镇便民服务大厅工作… · 9月17日前`
    expect(await say('wangjian', '举报 列表')).toBe(['**举报件 1 件**（待核查 1，逾期 0）', `${line} · 刘洋`, '查看：举报 详情 编号'].join('\n'))
    expect(await say('liuyang', '举报')).toBe(['**指派我核查的举报件 1 件**（待核查 1，逾期 0）', line, '查看：举报 详情 编号'].join('\n'))
    expect(await say('majun', '举报 列表')).toBe('目前没有指派给您核查的举报件。')
  })

  it('待办 shows the inspector assigned the report to verify, with the command; another inspector nothing of it', async () => {
    const lines = (await say('liuyang', '待办')).split('\n')
    expect(lines.slice(0, 3)).toEqual(['**待办（刘洋）**', '**举报待核查 1 件**', `- 🟡 举报 #${first} 城关镇 · 9月17日前 →「举报 核查 ${first} 属实|部分属实|不属实 说明」`])
    expect(await say('majun', '待办')).not.toContain('举报')
  })

  it('the inspector is reminded 3 and 1 working days before the date, once each; 组织部’s summary counts what waits', async () => {
    const reminder = (left: number, date: string) =>
      [`**专项治理提醒（${date}）**`, '🔍 举报待核查', `🟡 #${first} 城关镇 反映城关镇便民服务大厅工作… · 9月17日前核查（还有 ${left} 个工作日）`, '核查后回复：举报 核查 编号 属实|部分属实|不属实 说明'].join('\n')
    const at = bj('2015-09-14T09:00:00')
    expect(await digestOf('liuyang', at)).toBe(reminder(3, '2015年9月14日'))
    const summary = (await runSweep(ds, at, { dryRun: true })).plan.summary!
    expect(summary.split('\n')).toContain('举报待核查 1 件（逾期 0）')
    const stored = await ds.getRepository(OutboxMessageSchema).findBy({ subjectKind: 'digest', personId: await person('liuyang') })
    expect(stored.map(payloadText)).toEqual([reminder(3, '2015年9月14日')])
    // Sent once: the same day again, and the day after (2 days left), nothing for the inspector.
    expect(await digestOf('liuyang', at)).toBeUndefined()
    expect(await digestOf('liuyang', bj('2015-09-15T09:00:00'))).toBeUndefined()
    expect(await digestOf('liuyang', bj('2015-09-16T09:00:00'))).toBe(reminder(1, '2015年9月16日'))
  })

  it('the inspector verifies it true: a finding and a ledger item of the unit, whose notice says only 督查发现', async () => {
    clock.now = bj('2015-09-16T11:00:00')
    expect(await say('majun', `举报 核查 ${first} 属实 (六) ${FINDING}`)).toBe(`举报 #${first} 未指派给您核查：只有指派的核查人和组织部（干部监督科）可以核查。`)
    expect(await say('liuyang', `举报 核查 ${first} 属实 经群众举报核实，${FINDING}`)).toBe('核查说明将作为督查发现原文发给被查单位，不能出现「举报」等透露线索来源的字样：请只写查实的问题。')
    expect(await say('liuyang', `举报 核查 ${first} 属实 ${FINDING}`)).toBe(`须整改的要写问题类别，例：举报 核查 ${first} 属实 (六) 说明；不需整改的写：举报 核查 ${first} 属实 无需整改 说明`)
    expect(await ds.getRepository(InspectionSchema).count()).toBe(0)
    const answer = await say('liuyang', `举报 核查 ${first} 属实 (六) ${FINDING}`)
    const inspection = await ds.getRepository(InspectionSchema).findOneByOrFail({ findings: FINDING })
    const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: inspection.ledgerItemId! })
    expect(answer).toBe(`已核查举报 #${first}：属实，已转为督查#${inspection.id}，列入台账 #${item.id}，${Number(item.dueDate.slice(5, 7))}月${Number(item.dueDate.slice(8))}日前整改。\n已通知城关镇 2 人（通知只写「督查发现」，不提举报）。`)
    expect(inspection).toMatchObject({ method: 'complaint', mustRectify: true, inspectorId: await person('liuyang'), inspectedOn: '2015-09-16' })
    expect(item).toMatchObject({ problem: FINDING, responsibleLeaderId: await person('zhangwei'), responsiblePersonId: await person('chenjing'), status: 'open' })
    expect(await ds.getRepository(PublicReportSchema).findOneByOrFail({ id: first })).toMatchObject({ status: 'verified', verdict: 'true', verdictNote: FINDING, inspectionId: inspection.id })
    // The unit reads that a check found it: not how, not the report's words.
    const unitRows = await ds.getRepository(OutboxMessageSchema).findBy({ subjectKind: 'inspection', subjectId: inspection.id })
    expect(unitRows.flatMap((r) => JSON.parse(r.recipients).touser).sort()).toEqual(['chenjing', 'zhangwei'])
    for (const row of unitRows) {
      expect(payloadText(row)).toContain(FINDING)
      expect(payloadText(row)).not.toMatch(/举报|投诉|来电|排长队/)
    }
    for (const who of ['zhangwei', 'chenjing']) expect(await say(who, `详情 ${item.id}`)).not.toMatch(/举报|排长队/)
    // 组织部 is told the verdict; a second verification is refused, naming who did it.
    const told = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: `public_report:${first}:verified` })
    expect(payloadText(told)).toBe(`**举报 #${first} 已核查：属实**\n城关镇 · 反映城关镇便民服务大厅工作日上午无人值…\n核查人 刘洋，已转为督查#${inspection.id}（台账 #${item.id}）\n查看：举报 详情 ${first}`)
    expect(await say('wangjian', `举报 核查 ${first} 不属实 重复核查`)).toBe(`举报 #${first} 已由刘洋于 11:00 核查：属实，督查#${inspection.id}，无需重复。查看：举报 详情 ${first}`)
    // Verified: no more reminders.
    expect(await digestOf('liuyang', bj('2015-09-18T09:00:00'))).toBeUndefined()
    expect((await say('wangjian', `举报 详情 ${first}`)).split('\n')).toEqual([
      `**举报 #${first}**`,
      '状态：已核查，属实（9月16日）',
      '来源：电话，9月11日受理（王健登记）',
      '涉及：城关镇 张伟',
      `内容：${CONTENT}`,
      '核查人：刘洋',
      `核查说明：${FINDING}`,
      `督查发现：督查#${inspection.id}，台账 #${item.id}`,
      `🔒 举报人：${NAME} ${PHONE}（仅组织部可见）`,
    ])
  })

  it('an anonymous report past its date: the overdue reminder once, the summary counts it; 不属实 closes it', async () => {
    clock.now = bj('2015-09-16T15:00:00')
    const answer = await say('wangjian', registration({ 来源: '信箱', 受理日期: '9月15日', 内容: '后港镇农村低保评定不公开', 被举报单位: '后港镇', 举报人: '匿名', 核查人: '刘洋', 核查时限: '9月16日' }))
    const second = (await ds.getRepository(PublicReportSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })).id
    expect(answer).toBe([`已登记举报 #${second}：信箱，9月15日受理，涉及 后港镇`, '核查人 刘洋，9月16日前核查；已通知核查人（通知中不含举报人信息）', '🔒 举报人：匿名（仅组织部可见）'].join('\n'))
    const at = bj('2015-09-17T09:00:00')
    expect(await digestOf('liuyang', at)).toBe(
      ['**专项治理提醒（2015年9月17日）**', '🔍 举报待核查', `🔴 #${second} 后港镇 后港镇农村低保评定不公开 · 9月16日前核查（逾期 1 个工作日）`, '核查后回复：举报 核查 编号 属实|部分属实|不属实 说明'].join('\n'),
    )
    expect((await runSweep(ds, at, { dryRun: true })).plan.summary!.split('\n')).toContain('举报待核查 1 件（逾期 1）')
    expect(await digestOf('liuyang', bj('2015-09-18T09:00:00'))).toBeUndefined()
    clock.now = bj('2015-09-17T10:00:00')
    expect(await say('liuyang', `举报 核查 ${second} 不属实 经查低保评定已按规定公示`)).toBe(`已核查举报 #${second}：不属实，已办结。`)
    expect(await ds.getRepository(PublicReportSchema).findOneByOrFail({ id: second })).toMatchObject({ status: 'verified', verdict: 'untrue', inspectionId: null })
    expect((await runSweep(ds, bj('2015-09-18T09:00:00'), { dryRun: true })).plan.summary!).not.toContain('举报待核查')
  })

  it('two verifications at the same moment make one finding; the later is told who got there first', async () => {
    clock.now = bj('2015-09-17T10:00:00')
    await say('wangjian', registration({ ...FIRST, 内容: '城关镇执法队乱收费', 举报人: '匿名', 核查时限: '9月25日' }))
    const third = (await ds.getRepository(PublicReportSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })).id
    const findings = await ds.getRepository(InspectionSchema).count()
    const said = await rig.sayAtOnce([
      ['liuyang', `举报 核查 ${third} 属实 (二) 执法队对个体户重复收取管理费`],
      ['wangjian', `举报 核查 ${third} 部分属实 (二) 执法队收取管理费未开票`],
    ])
    expect(await ds.getRepository(InspectionSchema).count()).toBe(findings + 1)
    const report = await ds.getRepository(PublicReportSchema).findOneByOrFail({ id: third })
    const winner = said.find((s) => s.answer.startsWith(`已核查举报 #${third}：`))!
    const loser = said.find((s) => s !== winner)!
    expect(winner.answer).toMatch(new RegExp(`^已核查举报 #${third}：(属实|部分属实)，已转为督查#${report.inspectionId}，列入台账 #\\d+`))
    const who = winner.from === 'liuyang' ? '刘洋' : '王健'
    expect(loser.answer).toBe(`举报 #${third} 已由${who}于 10:00 核查：${report.verdict === 'true' ? '属实' : '部分属实'}，督查#${report.inspectionId}，无需重复。查看：举报 详情 ${third}`)
  })

  it('registering lists every bad field at once, and writes nothing', async () => {
    const before = await ds.getRepository(PublicReportSchema).count()
    const notices = await ds.getRepository(OutboxMessageSchema).countBy({ channel: 'app' })
    expect(await say('liuyang', registration(FIRST))).toBe('「举报 登记」只有组织部（干部监督科）可以使用。发送「帮助」查看您可用的命令。')
    expect(await say('wangjian', '举报 登记\n来源：电话\n内容：乱收费')).toBe(
      [
        '未登记：缺少 受理日期、举报人、核查人、核查时限。请按下面的格式每项一行发送（举报人不愿具名写「匿名」）：',
        '举报 登记\n来源：电话\n受理日期：9月1日\n内容：便民服务大厅工作日上午无人值守\n被举报单位：城关镇\n被举报人：张伟\n举报人：张三 13800000000\n核查人：刘洋\n核查时限：9月10日',
      ].join('\n'),
    )
    expect(await say('wangjian', registration({ ...FIRST, 来源: '传真', 受理日期: '9月31日', 被举报单位: '城关', 核查人: '王健', 核查时限: '9月1日' }))).toBe(
      [
        '未登记，请修改后重发：',
        '- 来源「传真」无法识别，可写：电话、信箱、来信、来访',
        '- 受理日期「9月31日」不是能识别的日期，可写 9月1日、2015-09-01',
        '- 没有「城关」这个单位。您是不是指「城关镇」？',
        '- 核查人「王健」不是专项检查组成员',
        '- 核查时限 2015年9月1日 已过',
        '用法：举报 登记（换行写 来源、受理日期、内容、被举报单位、被举报人、举报人或匿名、核查人、核查时限）',
        `示例：举报 登记\n来源：电话\n受理日期：9月1日\n内容：便民服务大厅工作日上午无人值守\n被举报单位：城关镇\n被举报人：张伟\n举报人：张三 13800000000\n核查人：刘洋\n核查时限：9月10日`,
      ].join('\n'),
    )
    // Who reported may not stand in what the inspector reads.
    expect(await say('wangjian', registration({ ...FIRST, 内容: `${NAME}反映大厅无人值守` }))).toBe(
      '未登记，请修改后重发：\n- 内容或被举报单位、人员中含有举报人的姓名或联系方式：举报人信息只写在「举报人」一行，请删去后重发',
    )
    expect(await ds.getRepository(PublicReportSchema).count()).toBe(before)
    expect(await ds.getRepository(OutboxMessageSchema).countBy({ channel: 'app' })).toBe(notices)
  })

  describe('the reporter’s name and telephone appear nowhere but in 组织部’s answers to 举报 登记 and 详情', () => {
    const holds = (text: string | null | undefined) => !!text && (text.includes(NAME) || text.includes(PHONE))
    let inspectionId: number

    beforeAll(async () => {
      inspectionId = (await ds.getRepository(InspectionSchema).findOneByOrFail({ findings: FINDING })).id
      clock.now = bj('2015-09-18T10:00:00')
      const published = await say('wangjian', `通报 典型 单位 城关镇 关于城关镇便民服务大厅无人值守问题的通报\n经查，城关镇便民服务大厅${FINDING}（督查#${inspectionId}），现予通报。`)
      expect(published).toMatch(/^已发布典型案例通报 #\d+/)
    })

    /** The answers 组织部 may read the reporter in: to their own 举报 登记 and 举报 详情. */
    async function ownAnswers(): Promise<Set<number>> {
      const inbound = await ds.getRepository(InboundMessageSchema).findBy({ fromUser: 'wangjian' })
      return new Set(inbound.filter((m) => /^举报\s+(登记|详情)/.test(m.content ?? '')).map((m) => m.id))
    }

    it('in no outbox row but those answers: notices, reminders, the unit’s notice, the circular’s copies, every other answer', async () => {
      const own = await ownAnswers()
      const rows = await ds.getRepository(OutboxMessageSchema).find()
      // The scan reads the payloads as stored: the inspector's notice holds the report's words.
      expect(rows.filter((r) => r.payload.includes(CONTENT)).length).toBeGreaterThan(0)
      // Short answers go back passively (not stored here); one that went through the outbox may hold the reporter only if it is 组织部's own.
      for (const row of rows.filter((r) => holds(r.payload) || holds(r.recipients))) {
        expect(row.subjectKind).toBe('reply')
        expect(own.has(row.subjectId!)).toBe(true)
        expect(JSON.parse(row.recipients).touser).toEqual(['wangjian'])
      }
      expect(rows.filter((r) => r.subjectKind === 'circular').length).toBeGreaterThan(0)
      expect(rows.filter((r) => r.subjectKind === 'digest').length).toBeGreaterThan(0)
    })

    it('in no stored answer but those, and in no table a unit, an inspector or a circular reads', async () => {
      const own = await ownAnswers()
      const inbound = await ds.getRepository(InboundMessageSchema).find()
      const replies = inbound.filter((m) => holds(m.reply))
      expect(replies.length).toBeGreaterThanOrEqual(3)
      for (const m of replies) expect(own.has(m.id)).toBe(true)
      for (const table of ['public_report', 'inspection', 'ledger_item', 'progress_update', 'circular', 'circular_link', 'reminder_sent']) {
        expect(holds(JSON.stringify(await ds.query(`SELECT * FROM ${table}`))), table).toBe(false)
      }
      const circular = await ds.getRepository(CircularSchema).findOneOrFail({ where: { kind: 'typical_case' }, order: { id: 'DESC' } })
      expect(circular.body).toContain(`督查#${inspectionId}`)
    })

    it('in no cell of the monthly workbook', async () => {
      const { attachment } = await monthlyReportFile(ds, campaign, '2015-09', clock.now)
      const book = new ExcelJS.Workbook()
      await book.xlsx.load(Buffer.from(attachment!.content) as unknown as ArrayBuffer)
      const cells: string[] = []
      book.eachSheet((sheet) => sheet.eachRow({ includeEmpty: false }, (row) => row.eachCell({ includeEmpty: false }, (cell) => cells.push(String(cell.text ?? '')))))
      expect(cells.length).toBeGreaterThan(20)
      // The scan reads every sheet's cells, the inspection sheet's too.
      expect(book.worksheets.length).toBeGreaterThan(1)
      expect(cells.filter((text) => text === '城关镇').length).toBeGreaterThan(1)
      expect(cells.filter(holds)).toEqual([])
    })

    it('in no log line', () => {
      expect(logLines.length).toBeGreaterThan(10)
      expect(logLines.filter(holds)).toEqual([])
    })
  })
})
