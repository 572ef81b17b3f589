import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Not, type DataSource } from 'typeorm'
import {
  CampaignUnitSchema,
  InspectionSchema,
  LedgerItemSchema,
  OutboxMessageSchema,
  PersonSchema,
  ProblemCategorySchema,
  PublicReportReporterSchema,
  PublicReportSchema,
} from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { importInspections } from '../src/domain/spreadsheets/import-inspections.js'
import { formatImportResult } from '../src/domain/spreadsheets/import-report.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 10:00 Beijing on a date. */
const at = (date: string) => new Date(`${date}T10:00:00+08:00`)
/** 2015-09-15, a Tuesday in the 监督检查 phase (8月1日–12月31日). */
const NOW = at('2015-09-15')

const USAGE = [
  '用法：督查 登记（第二行起每行一项：单位、日期、方式、发现、类别、整改，可加时限、责任人、典型）',
  '示例：督查 登记',
  '单位：城关镇',
  '日期：9月15日',
  '方式：随机抽查',
  '发现：便民服务窗口工作时间无人值守',
  '类别：(六)',
  '整改：是',
].join('\n')

const finding = (fields: Record<string, string>) => `督查 登记\n${Object.entries(fields).map(([k, v]) => `${k}：${v}`).join('\n')}`
const WINDOW = { 单位: '城关镇', 日期: '9月14日', 方式: '随机抽查', 发现: '便民服务窗口工作时间无人值守', 类别: '(六)', 整改: '是' }

describe(`督查 (inspection findings) through the callback on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  const others: { close(): Promise<void> }[] = []

  /** A rig at another moment of the campaign (closed after the test). */
  const rigAt = async (now: Date) => {
    const other = await startCallbackRig(ds, { now })
    others.push(other)
    return other
  }
  const say = async (userid: string, text: string, on = rig) => (await on.say(userid, text)).answer
  const personId = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
  const categoryId = async (number: number) => (await ds.getRepository(ProblemCategorySchema).findOneByOrFail({ campaignId: fixture.campaign.id, number })).id
  /** Messages other than answers to commands, as [recipients, content]. */
  const notices = async (kind: 'inspection' | 'item') =>
    (await ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: kind }, order: { id: 'ASC' } })).map((row) => {
      const payload = JSON.parse(row.payload) as { markdown?: { content: string }; text?: { content: string } }
      return [JSON.parse(row.recipients).touser as string[], payload.markdown?.content ?? payload.text?.content] as const
    })

  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    rig = await startCallbackRig(ds, { now: NOW })
  })
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close()
    await rig.close()
    await db.close()
  })

  it('registers a finding to rectify as a ledger item of the unit: head and liaison responsible, due by the plan’s 15 working days, told once, reminded like any item', async () => {
    expect(await say('liuyang', finding(WINDOW))).toBe(
      ['已登记督查#1：城关镇 9月14日 随机抽查', '发现：便民服务窗口工作时间无人值守', '已列入台账 #4：类别 (六)服务群众不热心 · 时限 10月12日（默认）', '已通知单位（2 人）。'].join('\n'),
    )
    const inspection = await ds.getRepository(InspectionSchema).findOneByOrFail({ id: 1 })
    expect(inspection).toMatchObject({ unitId: fixture.chengguan, inspectorId: await personId('liuyang'), method: 'random_check', inspectedOn: '2015-09-14', categoryId: await categoryId(6), mustRectify: true, ledgerItemId: 4, isTypicalCase: false })
    // 15 working days from 15 September: the National Day week is off, Saturday 10 October a make-up working day.
    const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: 4 })
    expect(item).toMatchObject({ unitId: fixture.chengguan, categoryId: await categoryId(6), problem: '便民服务窗口工作时间无人值守', dueDate: '2015-10-12', responsibleLeaderId: await personId('zhangwei'), responsiblePersonId: await personId('chenjing'), status: 'open' })
    // One notice to the head and the liaison, in place of the item's own "新登记台账".
    expect(await notices('inspection')).toEqual([
      [
        ['chenjing', 'zhangwei'],
        '**督查发现问题，已列入台账 #4**\n检查组9月14日检查发现：便民服务窗口工作时间无人值守\n整改时限：10月12日；责任领导 张伟，责任人 陈静\n反馈进度：进度 4 百分比 说明\n整改完成：完成 4 整改说明',
      ],
    ])
    expect(await notices('item')).toEqual([])
    // The item's details link back to the finding.
    const detail = await say('chenjing', '详情 4')
    expect(detail.split('\n').slice(0, 3)).toEqual(['**🟢 #4 城关镇**', '问题：便民服务窗口工作时间无人值守', '来源：督查#1'])
    // The liaison answers like for any item, and the sweep reminds 3 working days before 12 October (8, 9, 10 October).
    expect(await say('chenjing', '进度 4 50% 已安排专人值守')).toMatch(/^已记录 #4 进度：0% → 50%。/)
    const sweep = await runSweep(ds, at('2015-10-08'))
    const digest = sweep.messages.filter((m) => m.to.includes('chenjing')).map((m) => m.content)
    expect(digest).toHaveLength(1)
    expect(digest[0]!.split('\n')).toContain('🟡 #4 便民服务窗口工作时间无人值守 · 10月12日到期 · 50%')
  })

  it('registers a finding without rectification: no ledger item, the unit told; a 举报核查 never says so', async () => {
    const items = await ds.getRepository(LedgerItemSchema).count()
    expect(await say('liuyang', finding({ 单位: '后港镇', 日期: '9月10日', 方式: '举报核查', 发现: '反映的值班脱岗问题经核查不属实，提醒加强管理', 整改: '否' }))).toBe(
      ['已登记督查#1：后港镇 9月10日 举报核查', '发现：反映的值班脱岗问题经核查不属实，提醒加强管理', '不列入台账。', '已通知单位（1 人）。'].join('\n'),
    )
    expect(await ds.getRepository(LedgerItemSchema).count()).toBe(items)
    expect(await ds.getRepository(InspectionSchema).findOneByOrFail({ id: 1 })).toMatchObject({ method: 'complaint', mustRectify: false, ledgerItemId: null, categoryId: null })
    // 后港镇 has no liaison: its head alone. The method is not named: 举报核查 would say someone reported it.
    expect(await notices('inspection')).toEqual([[['sunli'], '**督查反馈（督查#1）**\n检查组9月10日检查发现：反映的值班脱岗问题经核查不属实，提醒加强管理\n不列入台账，无需反馈，请注意改进。']])
  })

  it('records a finding at the injected clock, not the database’s, so figures counting findings since a day follow the clock', async () => {
    // NOW (15 September 2015) is years from the wall clock: a database default would not match it.
    await say('liuyang', finding(WINDOW))
    expect((await ds.getRepository(InspectionSchema).findOneByOrFail({ id: 1 })).createdAt).toEqual(NOW)
  })

  it('names a responsible person, a due date and a typical case when given, on one line too', async () => {
    const answer = await say('wangjian', '督查 登记 单位：城关镇 日期：9月14日 方式：重点检查 发现：项目审批超时 类别：一 整改：是 时限：10月30日 责任人：赵磊 典型：是')
    expect(answer).toBe(
      ['已登记督查#1：城关镇 9月14日 重点检查', '发现：项目审批超时', '已列入台账 #4：类别 (一)促进发展不敢为 · 时限 10月30日', '已通知单位（3 人）。', '已标记为典型案例，通报时在正文写 督查#1。'].join('\n'),
    )
    expect(await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: 4 })).toMatchObject({ dueDate: '2015-10-30', responsibleLeaderId: await personId('zhangwei'), responsiblePersonId: await personId('zhaolei') })
    expect((await notices('inspection'))[0]![0]).toEqual(['chenjing', 'zhangwei', 'zhaolei'])
    expect(await ds.getRepository(InspectionSchema).findOneByOrFail({ id: 1 })).toMatchObject({ inspectorId: await personId('wangjian'), isTypicalCase: true })
  })

  it('lists every missing or unreadable field at once, with the usage, and writes nothing', async () => {
    const before = { inspections: await ds.getRepository(InspectionSchema).count(), items: await ds.getRepository(LedgerItemSchema).count() }
    const notReplies = () => ds.getRepository(OutboxMessageSchema).count({ where: { subjectKind: Not('reply') } })
    const outbox = await notReplies()
    expect(await say('liuyang', finding({ 单位: '城关', 日期: '9月31日', 方式: '抽检', 整改: '是', 典型: '对' }))).toBe(
      [
        '未登记，请修改后重发：',
        '- 缺少 发现、类别',
        '- 没有「城关」这个单位。您是不是指「城关镇」？',
        '- 日期：「9月31日」不是能识别的日期。可写 2015-09-30、9月30日、9.30、下周五 或 月底。',
        '- 方式「抽检」无法识别，可写：全面检查、随机抽查、重点检查、明察暗访、举报核查',
        '- 典型「对」无法识别，应写 是 或 否',
        USAGE,
      ].join('\n'),
    )
    expect(await say('liuyang', '督查 登记')).toBe(['未登记，请修改后重发：', '- 缺少 单位、日期、方式、发现、整改', USAGE].join('\n'))
    // Read, but not possible as things stand: said without the usage.
    expect(await say('liuyang', finding({ ...WINDOW, 日期: '9月16日', 时限: '9月1日', 责任人: '吴芳' }))).toBe(
      ['未登记，请修改后重发：', '- 检查日期 9月16日 还没到', '- 时限 2015年9月1日 已过', '- 责任人「吴芳」不是城关镇人员'].join('\n'),
    )
    expect(await ds.getRepository(InspectionSchema).count()).toBe(before.inspections)
    expect(await ds.getRepository(LedgerItemSchema).count()).toBe(before.items)
    expect(await notReplies()).toBe(outbox)
  })

  it('refuses, writing nothing, a finding to rectify for a unit with neither head nor liaison, and the same problem twice', async () => {
    await seedRoster(ds, '县交通局', [{ userid: 'majun', name: '马军', roles: ['staff'] }])
    expect(await say('liuyang', finding({ ...WINDOW, 单位: '县交通局' }))).toBe('该单位在花名册中没有第一责任人和联络员：请写明「责任领导：姓名」和「责任人：姓名」。')
    expect(await ds.getRepository(InspectionSchema).count()).toBe(0)
    // Named, it is recorded.
    expect(await say('liuyang', finding({ ...WINDOW, 单位: '县交通局', 责任领导: '马军', 责任人: '马军' }))).toMatch(/^已登记督查#\d+：县交通局 9月14日 随机抽查\n/)
    expect(await say('liuyang', finding({ ...WINDOW, 单位: '县交通局', 责任领导: '马军', 责任人: '马军' }))).toMatch(/^未登记：该问题已登记过：#4（.+登记），无需重复。查看：详情 4$/)
    expect(await ds.getRepository(InspectionSchema).count()).toBe(1)
  })

  it('督查 列表, 详情 and 进度 on a seeded campaign: coverage of the running phase, counted by hand', async () => {
    const jiaotong = await seedRoster(ds, '县交通局', [{ userid: 'majun', name: '马军', roles: ['unit_head'] }])
    await ds.getRepository(CampaignUnitSchema).insert({ campaignId: fixture.campaign.id, unitId: jiaotong, role: 'participant' })
    // Before 监督检查 began (8月1日): listed, not counted in this phase's coverage.
    await say('liuyang', finding({ 单位: '城关镇', 日期: '7月20日', 方式: '随机抽查', 发现: '动员部署会议记录不全', 整改: '否' }))
    await say('liuyang', finding({ 单位: '城关镇', 日期: '8月20日', 方式: '全面检查', 发现: '问题台账未明确责任部门', 类别: '五', 整改: '是' }))
    await say('liuyang', finding({ 单位: '城关镇', 日期: '9月14日', 方式: '明察暗访', 发现: '午休时间窗口无人', 整改: '否' }))
    await say('liuyang', finding({ 单位: '后港镇', 日期: '9月10日', 方式: '随机抽查', 发现: '农村环境整治台账与实际不符', 类别: '二', 整改: '是', 典型: '是' }))
    // The full check's item (#4) is closed.
    await ds.getRepository(LedgerItemSchema).update({ id: 4 }, { status: 'closed', progress: 100, closedAt: at('2015-09-11') })

    expect(await say('liuyang', '督查 列表')).toBe(
      [
        '**督查记录 4 条**',
        '督查#3 9月14日 城关镇 明察暗访 · 午休时间窗口无人',
        '督查#4 9月10日 后港镇 随机抽查 · 农村环境整治台账与实际不符 · 台账#5 · 典型',
        '督查#2 8月20日 城关镇 全面检查 · 问题台账未明确责任部门 · 台账#4',
        '督查#1 7月20日 城关镇 随机抽查 · 动员部署会议记录不全',
        '查看：督查 详情 编号',
      ].join('\n'),
    )
    expect(await say('wangjian', '督查 列表 城关镇')).toBe(
      ['**城关镇督查记录 3 条**', '督查#3 9月14日 明察暗访 · 午休时间窗口无人', '督查#2 8月20日 全面检查 · 问题台账未明确责任部门 · 台账#4', '督查#1 7月20日 随机抽查 · 动员部署会议记录不全', '查看：督查 详情 编号'].join('\n'),
    )
    expect(await say('liuyang', '督查 列表 县交通局')).toBe('县交通局还没有督查记录。')
    expect(await say('liuyang', '督查 详情 2')).toBe(
      ['**督查#2 城关镇**', '日期：8月20日 · 方式：全面检查 · 登记人：刘洋', '发现：问题台账未明确责任部门', '类别：(五)降低标准不尽责', '整改：台账 #4 🟢 已销号 100%，时限 10月12日', '典型案例：否（标记：督查 典型 2）'].join('\n'),
    )
    expect(await say('liuyang', '督查 详情 3')).toBe(
      ['**督查#3 城关镇**', '日期：9月14日 · 方式：明察暗访 · 登记人：刘洋', '发现：午休时间窗口无人', '类别：—', '整改：不列入台账', '典型案例：否（标记：督查 典型 3）'].join('\n'),
    )
    expect(await say('liuyang', '督查 详情 9')).toBe('没有督查记录 督查#9，请核对编号（督查 列表）。')
    // In the phase (8月1日 on): 城关镇 twice (#2 full check, #3), 后港镇 once (#4), 县交通局 never; #1 is before it.
    // Two findings to rectify (#2, #4), both ledger items, #4's item closed; one typical case (#4).
    expect(await say('wangjian', '督查 进度')).toBe(
      [
        '**督查进度（监督检查，8月1日起）**',
        '已检查 2/3 个单位，其中全面检查 1 个',
        '未检查：县交通局',
        '检查 3 次：全面检查 1、随机抽查 1、明察暗访 1',
        '须整改 2 项，列入台账 2 项，已销号 1 项；典型案例 1 个',
        '- 城关镇：2 次（全面检查 1、明察暗访 1），最近 9月14日',
        '- 后港镇：1 次（随机抽查 1），最近 9月10日，未全面检查',
        '- 县交通局：未检查',
        '明细：督查 列表 [单位]',
      ].join('\n'),
    )
  })

  it('shows 组织部 the report a finding came from, by number only; the inspector not even that', async () => {
    await say('liuyang', finding({ 单位: '后港镇', 日期: '9月14日', 方式: '举报核查', 发现: '值班人员脱岗属实', 类别: '三', 整改: '是' }))
    const report = await ds.getRepository(PublicReportSchema).save({
      campaignId: fixture.campaign.id,
      source: 'telephone',
      receivedOn: '2015-09-08',
      content: '后港镇值班人员脱岗',
      unitId: fixture.hougang,
      concernedPerson: null,
      registeredById: await personId('wangjian'),
      assignedToId: await personId('liuyang'),
      verifyBy: '2015-09-18',
      status: 'verified',
      verdict: 'true',
      verdictNote: '属实',
      verifiedAt: NOW,
      inspectionId: 1,
    })
    await ds.getRepository(PublicReportReporterSchema).insert({ publicReportId: report.id, anonymous: false, name: '黄秀英', contact: '13900001111' })
    const head = ['**督查#1 后港镇**', '日期：9月14日 · 方式：举报核查 · 登记人：刘洋', '发现：值班人员脱岗属实', '类别：(三)工作态度不积极', '整改：台账 #4 🟢 未开始 0%，时限 10月12日', '典型案例：否（标记：督查 典型 1）']
    expect(await say('wangjian', '督查 详情 1')).toBe([...head, `来自举报 #${report.id}`].join('\n'))
    expect(await say('liuyang', '督查 详情 1')).toBe(head.join('\n'))
    // The unit's notice says nothing of a report.
    const notice = (await notices('inspection'))[0]![1]
    expect(notice).not.toMatch(/举报|黄秀英|13900001111/)
  })

  it('marks a finding a typical case, which 通报 典型 then names as 督查#编号; its details and its item’s show the circular', async () => {
    await say('liuyang', finding(WINDOW))
    expect(await say('liuyang', '督查 典型 1')).toBe('已将督查#1 标记为典型案例。通报时在正文写 督查#1：通报 典型 受众 标题')
    expect(await say('liuyang', '督查 典型 1')).toBe('督查#1 已是典型案例，无需重复。通报时在正文写 督查#1：通报 典型 受众 标题')
    expect(await say('liuyang', '督查 典型 7')).toBe('没有督查记录 督查#7，请核对编号（督查 列表）。')
    expect(await ds.getRepository(InspectionSchema).findOneByOrFail({ id: 1 })).toMatchObject({ isTypicalCase: true })
    const published = await say('wangjian', '通报 典型 全体 关于便民服务窗口无人值守问题的通报\n经查，督查#1 反映的问题属实，责令限期整改。')
    expect(published.split('\n').slice(0, 2)).toEqual(['已发布典型案例通报 #1《关于便民服务窗口无人值守问题的通报》，发给 2 个单位 3 人。', '关联督查：督查#1 城关镇 便民服务窗口工作时间无人值守'])
    const circularLine = '典型案例通报：#1《关于便民服务窗口无人值守问题的通报》（9月15日）'
    expect(await say('liuyang', '督查 详情 1')).toBe(
      ['**督查#1 城关镇**', '日期：9月14日 · 方式：随机抽查 · 登记人：刘洋', '发现：便民服务窗口工作时间无人值守', '类别：(六)服务群众不热心', '整改：台账 #4 🟢 未开始 0%，时限 10月12日', '典型案例：是', circularLine].join('\n'),
    )
    expect((await say('zhangwei', '详情 4')).split('\n')).toContain(circularLine)
  })

  it('counts the plan’s 全面检查 deliverable done for a unit once it has a 全面检查 in the phase, in 阶段 and in the sweep', async () => {
    const october = await rigAt(at('2015-10-15'))
    const owed = ['**“为官不为”行为专项治理（2015年7月起）**', '当前阶段：监督检查（8月1日—12月31日，还有 55 个工作日）', '本单位待交：', '🟢 对所辖单位自查整改情况进行全面检查（12月31日截止）'].join('\n')
    expect(await say('zhangwei', '阶段', october)).toBe(owed)
    // A full check before the phase, and a random check in it, do not count.
    await say('liuyang', finding({ 单位: '城关镇', 日期: '7月20日', 方式: '全面检查', 发现: '动员部署到位', 整改: '否' }), october)
    await say('liuyang', finding({ 单位: '城关镇', 日期: '10月14日', 方式: '随机抽查', 发现: '窗口在岗', 整改: '否' }), october)
    expect(await say('zhangwei', '阶段', october)).toBe(owed)
    await say('liuyang', finding({ 单位: '城关镇', 日期: '10月14日', 方式: '全面检查', 发现: '自查整改基本到位', 整改: '否' }), october)
    expect(await say('zhangwei', '阶段', october)).toBe(['**“为官不为”行为专项治理（2015年7月起）**', '当前阶段：监督检查（8月1日—12月31日，还有 55 个工作日）', '本阶段任务本单位均已提交。'].join('\n'))
    expect(await say('sunli', '阶段', october)).toBe(owed)
    // 22 December, 7 working days before the deadline: 后港镇 is reminded, 城关镇 is not.
    const sweep = await runSweep(ds, at('2015-12-22'))
    const to = (userid: string) => sweep.messages.filter((m) => m.to.includes(userid)).map((m) => m.content).join('\n')
    expect(to('sunli')).toContain('📋 阶段任务待交\n对所辖单位自查整改情况进行全面检查（12月31日截止，还有 7 个工作日）')
    expect(to('zhangwei')).not.toContain('对所辖单位自查整改情况进行全面检查')
    expect(to('chenjing')).not.toContain('对所辖单位自查整改情况进行全面检查')
  })
})

const dir = mkdtempSync(join(tmpdir(), 'inspections-'))
let files = 0

/** The inspection group's sheet: a header row, then one check a row. */
async function inspectionsFile(rows: (string | Date)[][]): Promise<string> {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('督查记录')
  sheet.addRow(['被检查单位', '检查日期', '检查方式', '发现问题', '问题类别', '是否整改', '整改时限', '是否典型', '检查人'])
  for (const row of rows) sheet.addRow(row)
  const path = join(dir, `inspections${files++}.xlsx`)
  await workbook.xlsx.writeFile(path)
  return path
}

describe(`the inspection import (npm run cli -- import inspections) on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    return () => db.close()
  })

  const GOOD = [
    ['城关镇', new Date(Date.UTC(2015, 8, 14)), '随机抽查', '便民服务窗口工作时间无人值守', '(六)', '是', '', '', '刘洋'],
    ['后港镇', '9月10日', '全面检查', '自查整改基本到位，台账资料齐全', '', '否', '', '', 'liuyang'],
  ]

  it('checks every row first: a bad row is reported by sheet, row and column, and nothing is written', async () => {
    const path = await inspectionsFile([...GOOD, ['城关镇', '9月31日', '抽检', '', '', '是', '', '', '陈静']])
    const report = [
      '发现 5 处问题，未导入任何内容（共 3 行督查记录，改正后可全部导入）：',
      '- 工作表「督查记录」第 4 行「发现问题」列：缺少发现',
      '- 工作表「督查记录」第 4 行「问题类别」列：缺少类别',
      '- 工作表「督查记录」第 4 行「检查日期」列：日期：「9月31日」不是能识别的日期，可写 2015-09-30、2015年9月30日 或 9月30日',
      '- 工作表「督查记录」第 4 行「检查方式」列：方式「抽检」无法识别，可写：全面检查、随机抽查、重点检查、明察暗访、举报核查',
      '- 工作表「督查记录」第 4 行「检查人」列：检查人「陈静」不是检查组成员或组织部管理员',
    ].join('\n')
    const result = await importInspections(ds, path, { now: NOW })
    expect(formatImportResult(result, '督查记录', false)).toBe(report)
    expect(await ds.getRepository(InspectionSchema).count()).toBe(0)
    expect(await ds.getRepository(LedgerItemSchema).count()).toBe(3)
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(0)
    // The same through the command line: the report, exit code 1.
    const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', ['import', 'inspections', path, '--campaign', String(fixture.campaign.id)])
    expect(await child.exited).toBe(1)
    expect(child.output()).toContain(report)
    expect(await ds.getRepository(InspectionSchema).count()).toBe(0)
  })

  it('records the rows like 督查 登记 (items, notices), after a dry run that writes nothing; a second import changes nothing', async () => {
    const path = await inspectionsFile([...GOOD, ['城关镇', '2015-09-14', '明察暗访', '午休时间窗口无人', '', '否', '', '是', '王健']])
    expect(formatImportResult(await importInspections(ds, path, { now: NOW, dryRun: true }), '督查记录', true)).toBe('检查通过（试运行，未写入）：3 行督查记录，将新增 3，更新 0，未变 0。')
    expect(await ds.getRepository(InspectionSchema).count()).toBe(0)
    expect(formatImportResult(await importInspections(ds, path, { now: NOW }), '督查记录', false)).toBe('已导入 3 行督查记录：新增 3，更新 0，未变 0。')
    const rows = await ds.getRepository(InspectionSchema).find({ order: { id: 'ASC' } })
    const people = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.id, p.userid]))
    expect(rows.map((r) => [r.unitId, r.inspectedOn, r.method, r.mustRectify, r.ledgerItemId, r.isTypicalCase, people.get(r.inspectorId!)])).toEqual([
      [fixture.chengguan, '2015-09-14', 'random_check', true, 4, false, 'liuyang'],
      [fixture.hougang, '2015-09-10', 'full_check', false, null, false, 'liuyang'],
      [fixture.chengguan, '2015-09-14', 'unannounced', false, null, true, 'wangjian'],
    ])
    expect(await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: 4 })).toMatchObject({ problem: '便民服务窗口工作时间无人值守', dueDate: '2015-10-12', status: 'open' })
    expect(await ds.getRepository(OutboxMessageSchema).count({ where: { subjectKind: 'inspection' } })).toBe(3)
    expect(formatImportResult(await importInspections(ds, path, { now: NOW }), '督查记录', false)).toBe('已导入 3 行督查记录：新增 0，更新 0，未变 3。')
    expect(await ds.getRepository(InspectionSchema).count()).toBe(3)
  })
})
