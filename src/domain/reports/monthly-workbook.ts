import ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import type { Campaign } from '../../db/entities/index.js'
import { STATE_NAMES, type StatusLight } from '../../read-model/figures.js'
import { beijingDate } from '../../time/calendar-date.js'
import { monthlyFigures, monthlyTotals, type EventKind, type MonthlyFigures } from './monthly-figures.js'
import { excelBeijingTime, excelDate, writeTable, type CellInput } from './sheet-table.js'

export const SHEET_NAMES = ['汇总', '逾期明细', '本月进展', '分类统计', '月报内容', '督查情况'] as const

/** The four states add up to 台账总数; 逾期 counts among 未开始 and 整改中 (docs/figures.md). */
export const SUMMARY_HEADERS = ['单位', '台账总数', '未开始', '整改中', '已整改待销号', '已销号', '逾期', '按期销号率', '本月反馈次数', '月报报送', '状态'] as const

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
 * 本月进展, 分类统计, 月报内容 (what each unit wrote), 督查情况 (checks, findings, reports from the public). Figures are as of the month's last instant, or `now` for the current
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
  return workbook
}

function summarySheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const rate = (onTime: number, due: number): CellInput => (due === 0 ? '—' : onTime / due)
  const rows: CellInput[][] = f.units.map((u) => [
    u.unitName,
    u.total,
    u.notStarted,
    u.inProgress,
    u.awaitingVerification,
    u.closed,
    u.overdue,
    rate(u.onTime, u.due),
    u.updatesThisMonth,
    u.reportSubmittedAt ? excelDate(beijingDate(u.reportSubmittedAt)) : u.owesReport ? '未报' : '不需报送',
    LIGHT_NAMES[u.light],
  ])
  const t = monthlyTotals(f)
  rows.push(['合计', t.total, t.notStarted, t.inProgress, t.awaitingVerification, t.closed, t.overdue, t.onTimeRate ?? '—', t.updatesThisMonth, `已报 ${t.reported}/${t.reportsOwed}`, ''])
  const kinds = ['text', 'number', 'number', 'number', 'number', 'number', 'number', 'percent', 'number', 'date', 'text'] as const
  const written = writeTable(sheet, title, SUMMARY_HEADERS.map((header, i) => ({ header, kind: kinds[i]! })), rows)
  f.units.forEach((u, i) => {
    const light = written[i]!.getCell(SUMMARY_HEADERS.length)
    light.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: LIGHT_FILLS[u.light] } }
    light.alignment = { horizontal: 'center' }
    if (u.owesReport && !u.reportSubmittedAt) written[i]!.getCell(SUMMARY_HEADERS.indexOf('月报报送') + 1).font = { color: { argb: 'FFC00000' } }
  })
  written.at(-1)!.font = { bold: true }
}

function overdueSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const rows: CellInput[][] = f.overdue.map((o) => [
    o.itemId,
    o.unitName,
    o.category,
    o.problem,
    excelDate(o.dueDate),
    o.workdaysOverdue,
    o.leader,
    o.person,
    o.lastUpdateAt ? excelBeijingTime(o.lastUpdateAt) : '无',
    o.lastUpdateNote,
  ])
  writeTable(
    sheet,
    title,
    [
      { header: '编号', kind: 'number' },
      { header: '单位', kind: 'text' },
      { header: '问题类别', kind: 'text' },
      { header: '问题描述', kind: 'text', maxWidth: 50 },
      { header: '完成时限', kind: 'date' },
      { header: '逾期工作日', kind: 'number' },
      { header: '责任领导', kind: 'text' },
      { header: '具体责任人', kind: 'text' },
      { header: '最近反馈时间', kind: 'datetime' },
      { header: '最近反馈内容', kind: 'text', maxWidth: 40 },
    ],
    rows,
  )
}

function eventsSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const rows: CellInput[][] = f.events.map((e) => [excelBeijingTime(e.at), e.unitName, e.itemId, e.problem, EVENT_NAMES[e.kind], e.progress, e.note, e.by])
  writeTable(
    sheet,
    title,
    [
      { header: '时间', kind: 'datetime' },
      { header: '单位', kind: 'text' },
      { header: '编号', kind: 'number' },
      { header: '问题描述', kind: 'text', maxWidth: 40 },
      { header: '事项', kind: 'text' },
      { header: '进度(%)', kind: 'number' },
      { header: '说明', kind: 'text', maxWidth: 50 },
      { header: '经办人', kind: 'text' },
    ],
    rows,
  )
}

function categorySheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const statuses = ['open', 'in_progress', 'rectified', 'closed'] as const
  const rows: CellInput[][] = f.categories.map((c) => [`${c.label}${c.name}`, ...statuses.map((s) => c.byStatus[s]), c.overdue, c.total])
  const column = (i: number) => f.categories.reduce((total, c) => total + (c.byStatus[statuses[i]!] ?? 0), 0)
  rows.push(['合计', ...statuses.map((_, i) => column(i)), f.categories.reduce((t, c) => t + c.overdue, 0), f.categories.reduce((t, c) => t + c.total, 0)])
  const written = writeTable(
    sheet,
    title,
    [{ header: '问题类别', kind: 'text' }, ...statuses.map((s) => ({ header: STATE_NAMES[s], kind: 'number' as const })), { header: '逾期', kind: 'number' }, { header: '合计', kind: 'number' }],
    rows,
  )
  written.at(-1)!.font = { bold: true }
}

/** Each unit's report as submitted (its last version by the period's instant); 未报 in red for a unit that owes one. */
function reportTextSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const rows: CellInput[][] = f.reports.map((r) =>
    r.current
      ? [r.unitName, excelBeijingTime(r.current.submittedAt), r.current.submittedBy ?? '', r.earlier.length + 1, r.current.content]
      : [r.unitName, r.owes ? '未报' : '不需报送', '', 0, ''],
  )
  const written = writeTable(
    sheet,
    title,
    [
      { header: '单位', kind: 'text' },
      { header: '报送时间', kind: 'datetime' },
      { header: '报送人', kind: 'text' },
      { header: '版本数', kind: 'number' },
      { header: '月报内容', kind: 'text', maxWidth: 80 },
    ],
    rows,
  )
  f.reports.forEach((r, i) => {
    // A report keeps its own line breaks: the text wraps within its cell whatever its length.
    written[i]!.getCell(5).alignment = { wrapText: true, vertical: 'top' }
    if (!r.current && r.owes) written[i]!.getCell(2).font = { color: { argb: 'FFC00000' } }
  })
}

export const INSPECTION_HEADERS = ['单位', '本月检查', '发现问题', '转为台账', '其中已销号', '受理举报', '核查办结', '本阶段检查', '全面检查'] as const

/**
 * The month's checks by unit, the findings that must be rectified, the ledger items made of them
 * and how many are closed, reports from the public received and verified (counts of
 * public_report only: never who reported, docs/inspections.md), and the phase's coverage: how
 * many checks and whether a 全面检查 (docs/figures.md, Inspections).
 */
function inspectionSheet(sheet: ExcelJS.Worksheet, f: MonthlyFigures, title: string): void {
  const rows: CellInput[][] = f.inspections.map((u) => [
    u.unitName,
    u.checks,
    u.findings,
    u.itemsCreated,
    u.itemsClosed,
    u.reportsReceived,
    u.reportsVerified,
    u.phaseChecks ?? '—',
    u.fullCheck === null ? '—' : u.fullCheck ? '已检查' : '未检查',
  ])
  const sum = (key: 'checks' | 'findings' | 'itemsCreated' | 'itemsClosed' | 'reportsReceived' | 'reportsVerified' | 'phaseChecks') => f.inspections.reduce((total, u) => total + (u[key] ?? 0), 0)
  const covered = f.inspections.filter((u) => u.fullCheck !== null)
  rows.push(['合计', sum('checks'), sum('findings'), sum('itemsCreated'), sum('itemsClosed'), sum('reportsReceived'), sum('reportsVerified'), sum('phaseChecks'), `已检查 ${covered.filter((u) => u.fullCheck).length}/${covered.length}`])
  const kinds = ['text', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'text'] as const
  const written = writeTable(sheet, title, INSPECTION_HEADERS.map((header, i) => ({ header, kind: kinds[i]! })), rows)
  f.inspections.forEach((u, i) => {
    if (u.fullCheck === false) written[i]!.getCell(INSPECTION_HEADERS.length).font = { color: { argb: 'FFC00000' } }
  })
  written.at(-1)!.font = { bold: true }
}
