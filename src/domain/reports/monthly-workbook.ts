import ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import type { Campaign } from '../../db/entities/index.js'
import { STATE_NAMES, type StatusLight } from '../../read-model/figures.js'
import type { UnitReportText } from '../../read-model/monthly-reports.js'
import { beijingDate } from '../../time/calendar-date.js'
import { monthlyFigures, monthlyTotals, type CategoryRow, type EventKind, type MonthEvent, type MonthlyFigures, type OverdueRow, type UnitFigures } from './monthly-figures.js'
import type { UnitInspections } from './monthly-inspections.js'
import type { OnTime, ResponseFigures, ScopeFigures } from '../../read-model/responsiveness.js'
import { recordsNote } from '../../read-model/responsiveness-text.js'
import { excelBeijingTime, excelDate, writeTable, type CellInput, type ColumnSpec } from './sheet-table.js'

export const SHEET_NAMES = ['汇总', '逾期明细', '本月进展', '分类统计', '月报内容', '督查情况', '响应时效'] as const

/** Cell colours of the status light (the issue asks for red / yellow / green cells). */
export const LIGHT_FILLS: Record<StatusLight, string> = { '🔴': 'FFFF7875', '🟡': 'FFFFD666', '🟢': 'FF95DE64' }
const LIGHT_NAMES: Record<StatusLight, string> = { '🔴': '红', '🟡': '黄', '🟢': '绿' }

export const EVENT_NAMES: Record<EventKind, string> = {
  created: '新登记',
  progress: '进展反馈',
  rectified: '报告整改完成',
  closed: '销号',
  reopened: '退回整改',
  edited: '修改台账',
  extension_approved: '延期批准',
  extension_denied: '延期驳回',
}

/**
 * The monthly report workbook for the organization department: 汇总, 逾期明细,
 * 本月进展, 分类统计, 月报内容 (what each unit wrote), 督查情况 (checks, findings, reports from the public),
 * 响应时效 (units ranked by how fast they act on reminders). Figures are as of the month's last instant, or `now` for the current
 * month (see reportPeriod in month-span.ts).
 */
export async function buildMonthlyWorkbook(ds: DataSource, campaign: Campaign, month: string, now: Date): Promise<ExcelJS.Workbook> {
  return renderMonthlyWorkbook(await monthlyFigures(ds, campaign, month, now), now)
}

export function renderMonthlyWorkbook(figures: MonthlyFigures, now: Date): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook()
  workbook.creator = '专项治理督办机器人'
  workbook.created = now
  const [year, month] = figures.period.month.split('-').map(Number) as [number, number]
  const heading = `${figures.campaign.name} ${year}年${month}月`
  const asOf = figures.period.complete ? `截至${month}月${Number(figures.period.asOfDate.slice(8))}日` : `截至${figures.period.asOfDate}（本月未结束）`
  summarySheet(workbook.addWorksheet(SHEET_NAMES[0]), figures, `${heading}工作月报汇总（${asOf}）`)
  overdueSheet(workbook.addWorksheet(SHEET_NAMES[1]), figures, `${heading}逾期未整改问题明细（${asOf}）`)
  eventsSheet(workbook.addWorksheet(SHEET_NAMES[2]), figures, `${heading}整改进展、销号和延期`)
  categorySheet(workbook.addWorksheet(SHEET_NAMES[3]), figures, `${heading}问题分类统计（${asOf}）`)
  reportTextSheet(workbook.addWorksheet(SHEET_NAMES[4]), figures, `${heading}各单位月报内容（${asOf}）`)
  inspectionSheet(workbook.addWorksheet(SHEET_NAMES[5]), figures, `${heading}督查和受理举报情况（${asOf}）`)
  responsivenessSheet(workbook.addWorksheet(SHEET_NAMES[6]), figures, `${heading}各单位提醒响应时效（${asOf}${recordsNote(figures.responsiveness.period)}）`)
  return workbook
}

/** A column of a sheet: its header, kind and widest width as writeTable takes them, and its cell for each row. */
type Column<T> = ColumnSpec & { value: (row: T) => CellInput }

/** Writes a sheet of one row per item by `columns`, then the `totals` rows as they are; returns every row written. */
function writeColumns<T>(sheet: ExcelJS.Worksheet, title: string, columns: readonly Column<T>[], items: readonly T[], totals: CellInput[][] = []): ExcelJS.Row[] {
  return writeTable(sheet, title, [...columns], [...items.map((item) => columns.map((column) => column.value(item))), ...totals])
}

const SUMMARY_COLUMNS: readonly Column<UnitFigures>[] = [
  { header: '单位', kind: 'text', value: (u) => u.unitName },
  { header: '台账总数', kind: 'number', value: (u) => u.total },
  { header: '未开始', kind: 'number', value: (u) => u.notStarted },
  { header: '整改中', kind: 'number', value: (u) => u.inProgress },
  { header: '已整改待销号', kind: 'number', value: (u) => u.awaitingVerification },
  { header: '已销号', kind: 'number', value: (u) => u.closed },
  { header: '逾期', kind: 'number', value: (u) => u.overdue },
  { header: '按期销号率', kind: 'percent', value: (u) => (u.due === 0 ? '—' : u.onTime / u.due) },
  { header: '本月反馈次数', kind: 'number', value: (u) => u.updatesThisMonth },
  { header: '月报报送', kind: 'date', value: (u) => (u.reportSubmittedAt ? excelDate(beijingDate(u.reportSubmittedAt)) : u.owesReport ? '未报' : '不需报送') },
  { header: '状态', kind: 'text', value: (u) => LIGHT_NAMES[u.light] },
]

/** The four states add up to 台账总数; 逾期 counts among 未开始 and 整改中 (docs/figures.md). */
export const SUMMARY_HEADERS: readonly string[] = SUMMARY_COLUMNS.map((c) => c.header)

function summarySheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const t = monthlyTotals(f)
  const totals: CellInput[] = ['合计', t.total, t.notStarted, t.inProgress, t.awaitingVerification, t.closed, t.overdue, t.onTimeRate ?? '—', t.updatesThisMonth, `已报 ${t.reported}/${t.reportsOwed}`, '']
  const written = writeColumns(sheet, title, SUMMARY_COLUMNS, f.units, [totals])
  f.units.forEach((u, i) => {
    const light = written[i]!.getCell(SUMMARY_HEADERS.length)
    light.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: LIGHT_FILLS[u.light] } }
    light.alignment = { horizontal: 'center' }
    if (u.owesReport && !u.reportSubmittedAt) written[i]!.getCell(SUMMARY_HEADERS.indexOf('月报报送') + 1).font = { color: { argb: 'FFC00000' } }
  })
  written.at(-1)!.font = { bold: true }
}

const OVERDUE_COLUMNS: readonly Column<OverdueRow>[] = [
  { header: '编号', kind: 'number', value: (o) => o.itemId },
  { header: '单位', kind: 'text', value: (o) => o.unitName },
  { header: '问题类别', kind: 'text', value: (o) => o.category },
  { header: '问题描述', kind: 'text', maxWidth: 50, value: (o) => o.problem },
  { header: '完成时限', kind: 'date', value: (o) => excelDate(o.dueDate) },
  { header: '逾期工作日', kind: 'number', value: (o) => o.workdaysOverdue },
  { header: '责任领导', kind: 'text', value: (o) => o.leader },
  { header: '具体责任人', kind: 'text', value: (o) => o.person },
  { header: '最近反馈时间', kind: 'datetime', value: (o) => (o.lastUpdateAt ? excelBeijingTime(o.lastUpdateAt) : '无') },
  { header: '最近反馈内容', kind: 'text', maxWidth: 40, value: (o) => o.lastUpdateNote },
  { header: '佐证', kind: 'number', value: (o) => o.evidence },
]

function overdueSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  writeColumns(sheet, title, OVERDUE_COLUMNS, f.overdue)
}

const EVENT_COLUMNS: readonly Column<MonthEvent>[] = [
  { header: '时间', kind: 'datetime', value: (e) => excelBeijingTime(e.at) },
  { header: '单位', kind: 'text', value: (e) => e.unitName },
  { header: '编号', kind: 'number', value: (e) => e.itemId },
  { header: '问题描述', kind: 'text', maxWidth: 40, value: (e) => e.problem },
  { header: '事项', kind: 'text', value: (e) => EVENT_NAMES[e.kind] },
  { header: '进度(%)', kind: 'number', value: (e) => e.progress },
  { header: '说明', kind: 'text', maxWidth: 50, value: (e) => e.note },
  { header: '经办人', kind: 'text', value: (e) => e.by },
  { header: '佐证', kind: 'number', value: (e) => e.evidence },
]

function eventsSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  writeColumns(sheet, title, EVENT_COLUMNS, f.events)
}

const STATUSES = ['open', 'in_progress', 'rectified', 'closed'] as const

const CATEGORY_COLUMNS: readonly Column<CategoryRow>[] = [
  { header: '问题类别', kind: 'text', value: (c) => `${c.label}${c.name}` },
  ...STATUSES.map((s): Column<CategoryRow> => ({ header: STATE_NAMES[s], kind: 'number', value: (c) => c.byStatus[s] })),
  { header: '逾期', kind: 'number', value: (c) => c.overdue },
  { header: '合计', kind: 'number', value: (c) => c.total },
]

function categorySheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const sum = (count: (c: CategoryRow) => number | undefined) => f.categories.reduce((total, c) => total + (count(c) ?? 0), 0)
  const totals: CellInput[] = ['合计', ...STATUSES.map((s) => sum((c) => c.byStatus[s])), sum((c) => c.overdue), sum((c) => c.total)]
  const written = writeColumns(sheet, title, CATEGORY_COLUMNS, f.categories, [totals])
  written.at(-1)!.font = { bold: true }
}

const REPORT_TEXT_COLUMNS: readonly Column<UnitReportText>[] = [
  { header: '单位', kind: 'text', value: (r) => r.unitName },
  { header: '报送时间', kind: 'datetime', value: (r) => (r.current ? excelBeijingTime(r.current.submittedAt) : r.owes ? '未报' : '不需报送') },
  { header: '报送人', kind: 'text', value: (r) => (r.current ? (r.current.submittedBy ?? '') : '') },
  { header: '版本数', kind: 'number', value: (r) => (r.current ? r.earlier.length + 1 : 0) },
  { header: '月报内容', kind: 'text', maxWidth: 80, value: (r) => r.current?.content ?? '' },
]

/** Each unit's report as submitted (its last version by the period's instant); 未报 in red for a unit that owes one. */
function reportTextSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const written = writeColumns(sheet, title, REPORT_TEXT_COLUMNS, f.reports)
  f.reports.forEach((r, i) => {
    // A report keeps its own line breaks: the text wraps within its cell whatever its length.
    written[i]!.getCell(5).alignment = { wrapText: true, vertical: 'top' }
    if (!r.current && r.owes) written[i]!.getCell(2).font = { color: { argb: 'FFC00000' } }
  })
}

const INSPECTION_COLUMNS: readonly Column<UnitInspections>[] = [
  { header: '单位', kind: 'text', value: (u) => u.unitName },
  { header: '本月检查', kind: 'number', value: (u) => u.checks },
  { header: '发现问题', kind: 'number', value: (u) => u.findings },
  { header: '转为台账', kind: 'number', value: (u) => u.itemsCreated },
  { header: '其中已销号', kind: 'number', value: (u) => u.itemsClosed },
  { header: '受理举报', kind: 'number', value: (u) => u.reportsReceived },
  { header: '核查办结', kind: 'number', value: (u) => u.reportsVerified },
  { header: '本阶段检查', kind: 'number', value: (u) => u.phaseChecks ?? '—' },
  { header: '全面检查', kind: 'text', value: (u) => (u.fullCheck === null ? '—' : u.fullCheck ? '已检查' : '未检查') },
]

export const INSPECTION_HEADERS: readonly string[] = INSPECTION_COLUMNS.map((c) => c.header)

/**
 * The month's checks by unit, the findings that must be rectified, the ledger items made of them
 * and how many are closed, reports from the public received and verified (counts of
 * public_report only: never who reported, docs/inspections.md), and the phase's coverage: how
 * many checks and whether a 全面检查 (docs/figures.md, Inspections).
 */
function inspectionSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const sum = (key: 'checks' | 'findings' | 'itemsCreated' | 'itemsClosed' | 'reportsReceived' | 'reportsVerified' | 'phaseChecks') => f.inspections.reduce((total, u) => total + (u[key] ?? 0), 0)
  const covered = f.inspections.filter((u) => u.fullCheck !== null)
  const totals: CellInput[] = ['合计', sum('checks'), sum('findings'), sum('itemsCreated'), sum('itemsClosed'), sum('reportsReceived'), sum('reportsVerified'), sum('phaseChecks'), `已检查 ${covered.filter((u) => u.fullCheck).length}/${covered.length}`]
  const written = writeColumns(sheet, title, INSPECTION_COLUMNS, f.inspections, [totals])
  f.inspections.forEach((u, i) => {
    if (u.fullCheck === false) written[i]!.getCell(INSPECTION_HEADERS.length).font = { color: { argb: 'FFC00000' } }
  })
  written.at(-1)!.font = { bold: true }
}

/** A unit's row, or the county's (「全县」, no rank). */
type ResponsivenessRow = ScopeFigures & { rank: number | null; unitName: string }

/** A figure of the reminders, or 无记录 for a month before the records (docs/responsiveness.md). */
const recorded = (value: (r: ResponseFigures) => CellInput) => (row: ResponsivenessRow) => (row.response === null ? '无记录' : value(row.response))
const hours = (value: number | null) => (value === null ? '—' : Math.round(value * 10) / 10)
const rate = (o: OnTime) => (o.due === 0 ? '—' : o.onTime / o.due)

const RESPONSIVENESS_COLUMNS: readonly Column<ResponsivenessRow>[] = [
  { header: '排名', kind: 'number', value: (u) => u.rank ?? '—' },
  { header: '单位', kind: 'text', value: (u) => u.unitName },
  { header: '提醒次数', kind: 'number', value: recorded((r) => r.reminders) },
  { header: '响应中位（工作小时）', kind: 'decimal', value: recorded((r) => hours(r.median)) },
  { header: '90分位（工作小时）', kind: 'decimal', value: recorded((r) => hours(r.p90)) },
  { header: '已判定', kind: 'number', value: recorded((r) => r.decided) },
  { header: '未响应', kind: 'number', value: recorded((r) => r.unanswered) },
  { header: '未响应比例', kind: 'percent', value: recorded((r) => (r.decided === 0 ? '—' : r.unanswered / r.decided)) },
  { header: '待响应', kind: 'number', value: recorded((r) => r.pending) },
  { header: '按期整改率（原定时限）', kind: 'percent', value: (u) => rate(u.onTimeOriginal) },
  { header: '按期整改率（延期后）', kind: 'percent', value: (u) => rate(u.onTimeExtended) },
  { header: '逾期项', kind: 'number', value: (u) => u.overdueItems },
  { header: '逾期负荷（工作日）', kind: 'number', value: (u) => u.overdueLoad },
  { header: '升级至单位负责人', kind: 'number', value: (u) => u.escalatedToHead ?? '无记录' },
  { header: '升级至组织部', kind: 'number', value: (u) => u.escalatedToOrg ?? '无记录' },
  { header: '延期两次以上', kind: 'number', value: (u) => u.extendedTwice },
]

export const RESPONSIVENESS_HEADERS: readonly string[] = RESPONSIVENESS_COLUMNS.map((c) => c.header)

/** Units ranked slowest first, the unranked after them, and the county's row (docs/responsiveness.md). */
function responsivenessSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const { units, county } = f.responsiveness
  const written = writeColumns(sheet, title, RESPONSIVENESS_COLUMNS, units, [RESPONSIVENESS_COLUMNS.map((c) => c.value({ ...county, rank: null, unitName: '全县' }))])
  written.at(-1)!.font = { bold: true }
}
