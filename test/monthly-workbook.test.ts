import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EvidenceSchema,
  ExtensionRequestSchema,
  InspectionSchema,
  LedgerItemSchema,
  MonthlyReportRevisionSchema,
  MonthlyReportSchema,
  PersonSchema,
  ProblemCategorySchema,
  ProgressUpdateSchema,
  PublicReportReporterSchema,
  PublicReportSchema,
  type Evidence,
  type Inspection,
  type ProgressUpdate,
  type PublicReport,
} from '../src/db/entities/index.js'
import { buildMonthlyWorkbook, INSPECTION_HEADERS, LIGHT_FILLS, SHEET_NAMES, SUMMARY_HEADERS } from '../src/domain/reports/monthly-workbook.js'
import { displayWidth } from '../src/domain/reports/sheet-table.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const at = (text: string) => new Date(`${text}+08:00`)
const REPORT_TEXT = '八月份工作情况：召开推进会2次。\n下月打算：完成剩余整改。'
const day = (date: string) => new Date(`${date}T00:00:00Z`)
/** Who reported, confidential (docs/inspections.md): in no cell of the workbook. */
const REPORTER = { name: '欧阳秘举', contact: '13912345678' }

/**
 * seedLedger's three items, registered in July, plus a fourth that 后港镇 closed on time in
 * August; progress in July (before), August (counted) and September (after the month); an
 * extension approved and one denied in August; 城关镇's August report, in two versions. Checks:
 * 城关镇 a 随机抽查 on 20 August that made #1 and a 全面检查 on 26 August; 后港镇 a 重点检查 on 12
 * August that made the closed item, a 全面检查 in July (before the phase) and a check in September.
 * Reports from the public: 城关镇's received 5 August and verified 20 August; 后港镇's received 28
 * August (waiting) and one received in July verified 3 August; one naming no unit, 15 August.
 * Evidence (docs/evidence.md, What counts): #1 two photos and a location kept, a video refused as
 * too large and a photo lost (neither counts); the closed item a voice note still being fetched.
 */
async function seedMonth(ds: DataSource) {
  const fixture = await seedLedger(ds)
  const person = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
  const category2 = (await ds.getRepository(ProblemCategorySchema).findOneByOrFail({ campaignId: fixture.campaign.id, number: 2 })).id
  const items = ds.getRepository(LedgerItemSchema)
  const closed = await items.save({
    campaignId: fixture.campaign.id, unitId: fixture.hougang, categoryId: category2, problem: '村级活动场所长期闲置', measures: '盘活利用', target: '按期完成',
    dueDate: '2015-08-20', originalDueDate: '2015-08-20', responsibleDepartment: null, responsibleLeaderId: await person('sunli'), responsiblePersonId: await person('wufang'),
    status: 'closed', progress: 100, rectifiedAt: at('2015-08-15T10:00:00'), closedAt: at('2015-08-18T16:00:00'),
  })
  await items.createQueryBuilder().update().set({ createdAt: at('2015-07-10T09:00:00') }).where('1 = 1').execute()
  // 后港镇 started its item in September: as of August's end it had not begun.
  await items.update({ id: fixture.items.other }, { status: 'in_progress', progress: 30 })
  const ids = { ...fixture.items, closed: closed.id }
  const update = (itemId: number, userid: string, kind: ProgressUpdate['kind'], time: string, oldStatus: string, newStatus: string, progress: number, note: string) =>
    person(userid).then((personId) =>
      ds.getRepository(ProgressUpdateSchema).save({ ledgerItemId: itemId, personId, kind, oldStatus, newStatus, oldProgress: 0, newProgress: progress, note, createdAt: at(time) }),
    )
  await update(ids.overdue, 'zhaolei', 'progress', '2015-07-20T10:00:00', 'open', 'in_progress', 20, '七月启动')
  await update(ids.overdue, 'zhaolei', 'progress', '2015-08-10T10:00:00', 'in_progress', 'in_progress', 40, '已完成一个项目申报')
  await update(ids.closed, 'wufang', 'rectified', '2015-08-15T10:00:00', 'in_progress', 'rectified', 100, '已改建为村史馆')
  await update(ids.closed, 'wangjian', 'closed', '2015-08-18T16:00:00', 'rectified', 'closed', 100, '核实属实')
  await update(ids.soon, 'chenjing', 'progress', '2015-08-20T11:00:00', 'in_progress', 'in_progress', 70, '窗口整合完成')
  await update(ids.soon, 'wangjian', 'extended', '2015-08-22T09:00:00', 'in_progress', 'in_progress', 70, '延期')
  await update(ids.other, 'wufang', 'progress', '2015-09-03T10:00:00', 'open', 'in_progress', 30, '九月启动')
  const extensions = ds.getRepository(ExtensionRequestSchema)
  await extensions.save({ ledgerItemId: ids.soon, requestedById: await person('chenjing'), oldDueDate: '2015-08-28', newDueDate: '2015-09-02', reason: '设备未到', status: 'approved', decidedById: await person('wangjian'), decidedAt: at('2015-08-22T09:00:00'), decisionNote: null })
  await extensions.save({ ledgerItemId: ids.overdue, requestedById: await person('zhaolei'), oldDueDate: '2015-08-25', newDueDate: '2015-09-15', reason: '项目方未回复', status: 'denied', decidedById: await person('wangjian'), decidedAt: at('2015-08-26T15:00:00'), decisionNote: '理由不充分' })
  // 城关镇's report: a first version on 27 August, replaced by the second on 28 August.
  const report = await ds.getRepository(MonthlyReportSchema).save({ campaignId: fixture.campaign.id, unitId: fixture.chengguan, month: '2015-08', content: REPORT_TEXT, submittedById: await person('chenjing'), submittedAt: at('2015-08-28T10:00:00'), revision: 2 })
  await ds.getRepository(MonthlyReportRevisionSchema).insert([
    { reportId: report.id, revision: 1, content: '八月份工作情况（初稿）', submittedById: await person('zhangwei'), submittedAt: at('2015-08-27T09:00:00') },
    { reportId: report.id, revision: 2, content: REPORT_TEXT, submittedById: await person('chenjing'), submittedAt: at('2015-08-28T10:00:00') },
  ])
  await seedChecks(ds, fixture.campaign.id, { chengguan: fixture.chengguan, hougang: fixture.hougang }, ids, await person('liuyang'), await person('wangjian'))
  let sent = 0
  const evidence = async (itemId: number, userid: string, kind: Evidence['kind'], status: Evidence['status'], time: string) =>
    ds.getRepository(EvidenceSchema).insert({
      ledgerItemId: itemId, personId: await person(userid), dedupeKey: `msg:workbook-${(sent += 1)}:${userid}`, kind, mediaId: kind === 'location' ? null : `media-${sent}`, format: kind === 'voice' ? 'amr' : null,
      latitude: kind === 'location' ? '30.12' : null, longitude: kind === 'location' ? '114.65' : null, scale: null, label: kind === 'location' ? '城关镇便民服务大厅' : null,
      status, storedFileId: null, contentType: null, byteSize: null, attempts: 0, nextAttemptAt: null, lastError: null, ackKey: null, receivedAt: at(time), attachedAt: at(time),
    })
  await evidence(ids.overdue, 'zhaolei', 'image', 'stored', '2015-08-10T10:01:00')
  await evidence(ids.overdue, 'zhaolei', 'image', 'stored', '2015-08-10T10:02:00')
  await evidence(ids.overdue, 'zhaolei', 'location', 'stored', '2015-08-10T10:03:00')
  await evidence(ids.overdue, 'zhaolei', 'video', 'too_large', '2015-08-10T10:04:00')
  await evidence(ids.overdue, 'zhaolei', 'image', 'expired', '2015-08-10T10:05:00')
  await evidence(ids.closed, 'wufang', 'voice', 'pending', '2015-08-15T10:01:00')
  return { ...fixture, items: ids }
}

async function seedChecks(ds: DataSource, campaignId: number, units: { chengguan: number; hougang: number }, items: { overdue: number; closed: number }, inspectorId: number, adminId: number) {
  const check = (unitId: number, method: Inspection['method'], inspectedOn: string, mustRectify: boolean, ledgerItemId: number | null) =>
    ds.getRepository(InspectionSchema).save({ campaignId, unitId, inspectorId, method, inspectedOn, findings: `督查发现${inspectedOn}`, categoryId: null, mustRectify, ledgerItemId, isTypicalCase: false } as Inspection)
  await check(units.chengguan, 'random_check', '2015-08-20', true, items.overdue)
  await check(units.chengguan, 'full_check', '2015-08-26', false, null)
  await check(units.hougang, 'key_check', '2015-08-12', true, items.closed)
  await check(units.hougang, 'full_check', '2015-07-28', false, null)
  await check(units.hougang, 'random_check', '2015-09-03', false, null)
  const report = async (unitId: number | null, receivedOn: string, verifiedAt: Date | null) => {
    const saved = await ds.getRepository(PublicReportSchema).save({
      campaignId, source: 'telephone', receivedOn, content: `群众反映${receivedOn}`, unitId, concernedPerson: null, registeredById: adminId, assignedToId: inspectorId, verifyBy: '2015-09-30',
      status: verifiedAt ? 'verified' : 'assigned', verdict: verifiedAt ? 'untrue' : null, verdictNote: null, verifiedAt, inspectionId: null,
    } as PublicReport)
    await ds.getRepository(PublicReportReporterSchema).insert({ publicReportId: saved.id, anonymous: false, ...REPORTER })
  }
  await report(units.chengguan, '2015-08-05', at('2015-08-20T15:00:00'))
  await report(units.hougang, '2015-08-28', null)
  await report(units.hougang, '2015-07-20', at('2015-08-03T09:00:00'))
  await report(null, '2015-08-15', null)
}

const values = (row: ExcelJS.Row) => (row.values as ExcelJS.CellValue[]).slice(1)

describe(`the monthly report workbook on ${dialect}`, () => {
  let db: MigratedDatabase
  let fixture: Awaited<ReturnType<typeof seedMonth>>
  let book: ExcelJS.Workbook

  beforeAll(async () => {
    db = await createMigratedDatabase()
    fixture = await seedMonth(db.dataSource)
    const built = await buildMonthlyWorkbook(db.dataSource, fixture.campaign, '2015-08', at('2015-09-10T09:00:00'))
    // Written and read back, as Excel would read it.
    book = new ExcelJS.Workbook()
    await book.xlsx.load((await built.xlsx.writeBuffer()) as ArrayBuffer)
  })
  afterAll(async () => {
    await db?.close()
  })

  const sheet = (name: string) => book.getWorksheet(name)!

  it('has the five sheets, titled headers, frozen above the data', () => {
    expect(book.worksheets.map((s) => s.name)).toEqual([...SHEET_NAMES])
    expect(values(sheet('汇总').getRow(2))).toEqual([...SUMMARY_HEADERS])
    expect(sheet('汇总').getCell('A1').value).toContain('2015年8月工作月报汇总（截至8月31日）')
    expect(values(sheet('逾期明细').getRow(2))).toEqual(['编号', '单位', '问题类别', '问题描述', '完成时限', '逾期工作日', '责任领导', '具体责任人', '最近反馈时间', '最近反馈内容', '佐证'])
    expect(values(sheet('本月进展').getRow(2))).toEqual(['时间', '单位', '编号', '问题描述', '事项', '进度(%)', '说明', '经办人', '佐证'])
    expect(values(sheet('分类统计').getRow(2))).toEqual(['问题类别', '未开始', '整改中', '已整改待销号', '已销号', '逾期', '合计'])
    for (const s of book.worksheets) expect(s.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 })
  })

  it('汇总: one row per unit, worst first, figures as of 31 August, a totals row', () => {
    const s = sheet('汇总')
    expect(s.rowCount).toBe(5)
    // 城关镇: #1 overdue since 25 Aug (red), #2 extended to 2 Sep; two progress reports; report on 28 Aug.
    expect(values(s.getRow(3))).toEqual(['城关镇', 2, 0, 2, 0, 0, 1, 0, 2, day('2015-08-28'), '红'])
    // 后港镇: one closed on 18 Aug (due 20 Aug: on time), the other not begun until September.
    expect(values(s.getRow(4))).toEqual(['后港镇', 2, 1, 0, 0, 1, 0, 1, 1, '未报', '绿'])
    expect(values(s.getRow(5)).slice(0, 10)).toEqual(['合计', 4, 1, 2, 0, 1, 1, 0.5, 3, '已报 1/2'])
    expect(s.getCell('H3').numFmt).toBe('0.0%')
    expect(s.getCell('J3').numFmt).toBe('yyyy-mm-dd')
    expect(s.getCell('K3').fill).toMatchObject({ type: 'pattern', pattern: 'solid', fgColor: { argb: LIGHT_FILLS['🔴'] } })
    expect(s.getCell('K4').fill).toMatchObject({ fgColor: { argb: LIGHT_FILLS['🟢'] } })
  })

  it('逾期明细: the overdue item with its people, days overdue, last update and evidence', () => {
    const s = sheet('逾期明细')
    expect(s.rowCount).toBe(3)
    const row = values(s.getRow(3))
    // 佐证 3: two photos and a location; the video too large and the photo lost do not count.
    expect(row).toEqual([fixture.items.overdue, '城关镇', '(一)促进发展不敢为', '招商引资项目跑办不积极，两个竞争性项目未按时申报', day('2015-08-25'), 4, '李娜', '赵磊', new Date('2015-08-10T10:00:00Z'), '已完成一个项目申报', 3])
    expect(s.getCell('E3').value).toBeInstanceOf(Date)
    expect(s.getCell('I3').numFmt).toBe('yyyy-mm-dd hh:mm')
    expect(s.getCell('K3').numFmt).toBe('0')
  })

  it('本月进展: August’s updates, the closure and both extension decisions, in time order, each with its item’s evidence', () => {
    const s = sheet('本月进展')
    const rows = Array.from({ length: s.rowCount - 2 }, (_, i) => values(s.getRow(i + 3)))
    // 佐证: #1's three; the closed item's voice note still being fetched counts; #2 has none.
    expect(rows.map((r) => [r[0], r[2], r[4], r[7], r[8]])).toEqual([
      [new Date('2015-08-10T10:00:00Z'), fixture.items.overdue, '进展反馈', '赵磊', 3],
      [new Date('2015-08-15T10:00:00Z'), fixture.items.closed, '报告整改完成', '吴芳', 1],
      [new Date('2015-08-18T16:00:00Z'), fixture.items.closed, '销号', '王健', 1],
      [new Date('2015-08-20T11:00:00Z'), fixture.items.soon, '进展反馈', '陈静', 0],
      [new Date('2015-08-22T09:00:00Z'), fixture.items.soon, '延期批准', '王健', 0],
      [new Date('2015-08-26T15:00:00Z'), fixture.items.overdue, '延期驳回', '王健', 3],
    ])
    expect(rows[5]![6]).toBe('2015-08-25 → 2015-09-15；理由：项目方未回复；意见：理由不充分')
  })

  it('分类统计: the eight categories by status as of 31 August, with totals', () => {
    const s = sheet('分类统计')
    expect(s.rowCount).toBe(11)
    expect(values(s.getRow(3))).toEqual(['(一)促进发展不敢为', 0, 1, 0, 0, 1, 1])
    expect(values(s.getRow(4))).toEqual(['(二)履行职责不担当', 1, 0, 0, 1, 0, 2])
    expect(values(s.getRow(11))).toEqual(['合计', 1, 2, 0, 1, 1, 4])
  })

  it('月报内容: each unit’s report as submitted, by whom, how many versions; 未报 for a unit that owes one', () => {
    const s = sheet('月报内容')
    expect(s.getCell('A1').value).toBe('“为官不为”行为专项治理（2015年7月起） 2015年8月各单位月报内容（截至8月31日）')
    expect(values(s.getRow(2))).toEqual(['单位', '报送时间', '报送人', '版本数', '月报内容'])
    expect(s.rowCount).toBe(4)
    expect(values(s.getRow(3))).toEqual(['城关镇', new Date('2015-08-28T10:00:00Z'), '陈静', 2, REPORT_TEXT])
    expect(values(s.getRow(4))).toEqual(['后港镇', '未报', '', 0, ''])
    expect(s.getCell('B3').numFmt).toBe('yyyy-mm-dd hh:mm')
    expect(s.getCell('E3').alignment).toMatchObject({ wrapText: true, vertical: 'top' })
    expect(s.getCell('B4').font).toMatchObject({ color: { argb: 'FFC00000' } })
  })

  it('督查情况: the month’s checks, findings, items made and closed, reports received and verified, and the phase’s coverage', () => {
    const s = sheet('督查情况')
    expect(s.getCell('A1').value).toBe('“为官不为”行为专项治理（2015年7月起） 2015年8月督查和受理举报情况（截至8月31日）')
    expect(values(s.getRow(2))).toEqual([...INSPECTION_HEADERS])
    expect(s.rowCount).toBe(6)
    // 城关镇: a 随机抽查 that made #1 (open as of 31 August) and a 全面检查; one report received and verified.
    expect(values(s.getRow(3))).toEqual(['城关镇', 2, 1, 1, 0, 1, 1, 2, '已检查'])
    // 后港镇: the 重点检查 that made the item closed on 18 August; its July 全面检查 was before the phase; one report received (waiting), July's verified in August.
    expect(values(s.getRow(4))).toEqual(['后港镇', 1, 1, 1, 1, 1, 1, 1, '未检查'])
    expect(values(s.getRow(5))).toEqual(['（未涉及具体单位）', 0, 0, 0, 0, 1, 0, '—', '—'])
    expect(values(s.getRow(6))).toEqual(['合计', 3, 2, 2, 1, 3, 2, 3, '已检查 1/2'])
    expect(s.getCell('I4').font).toMatchObject({ color: { argb: 'FFC00000' } })
  })

  it('never holds who reported: no cell of any sheet has the reporter’s name or telephone', () => {
    const cells: string[] = []
    for (const s of book.worksheets) s.eachRow((row) => row.eachCell((cell) => cells.push(String(cell.value))))
    expect(cells.length).toBeGreaterThan(50)
    for (const text of cells) {
      expect(text).not.toContain(REPORTER.name)
      expect(text).not.toContain(REPORTER.contact)
    }
  })

  it('sizes columns for Chinese text, counting a CJK character as two', () => {
    expect(displayWidth('城关镇ab')).toBe(8)
    // The only 问题描述 is 24 full-width characters: 48 columns, plus 2 of padding.
    expect(sheet('逾期明细').getColumn(4).width).toBe(50)
    expect(sheet('汇总').getColumn(1).width).toBe(displayWidth('城关镇') + 2)
  })

  it('reports the running month as of now: September’s overdue items and the item begun', async () => {
    const current = await buildMonthlyWorkbook(db.dataSource, fixture.campaign, '2015-09', at('2015-09-05T09:00:00'))
    const s = current.getWorksheet('汇总')!
    expect(values(s.getRow(3)).slice(0, 7)).toEqual(['城关镇', 2, 0, 2, 0, 0, 2])
    expect(values(s.getRow(4)).slice(0, 7)).toEqual(['后港镇', 2, 0, 1, 0, 1, 0])
    expect(current.getWorksheet('逾期明细')!.rowCount).toBe(4)
    await expect(buildMonthlyWorkbook(db.dataSource, fixture.campaign, '2015-10', at('2015-09-05T09:00:00'))).rejects.toThrow('2015-10 还没有到')
  })

  it('npm run cli -- export monthly writes the file and refuses a bad month', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monthly-'))
    const cli = async (...args: string[]) => {
      const run = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', args)
      return { code: await run.exited, output: run.output() }
    }
    const file = join(dir, '2015年8月月报.xlsx')
    const ok = await cli('export', 'monthly', '--month', '2015-08', '-o', file)
    expect(ok.output).toContain(file)
    expect(ok.output).toContain('2015年8月月报（截至 2015-08-31）：2 个单位，台账 4 项：未开始 1，整改中 2，已整改待销号 0，已销号 1；逾期 1，本月进展 6 条，月报已报 1/2。')
    expect(ok.code).toBe(0)
    const written = new ExcelJS.Workbook()
    await written.xlsx.readFile(file)
    expect(written.getWorksheet('汇总')!.getCell('A3').value).toBe('城关镇')
    const bad = await cli('export', 'monthly', '--month', '2015-13', '-o', join(dir, 'bad.xlsx'))
    expect(bad.code).toBe(1)
    expect(bad.output).toContain('--month「2015-13」不是有效的月份')
    expect(bad.output).toContain('例：npm run cli -- export monthly --month 2015-08 -o')
    expect(existsSync(join(dir, 'bad.xlsx'))).toBe(false)
    const outside = await cli('export', 'monthly', '--month', '2015-06', '-o', join(dir, 'june.xlsx'), '--campaign', String(fixture.campaign.id))
    expect(outside.code).toBe(1)
    expect(outside.output).toContain('2015-06 不在专项治理')
  })
})
