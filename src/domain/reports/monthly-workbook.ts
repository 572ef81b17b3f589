import { Writable } from 'node:stream'
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
import { boldRow, excelBeijingTime, excelDate, restyle, startTable, TABLE_SHEET, type CellInput, type ColumnSpec } from './sheet-table.js'

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
 * Shared strings (one table of the workbook's distinct texts, each cell an index into it) rather
 * than each text in its cell: unit, person, category and event names and the notes repeat on
 * thousands of rows, so the file is smaller, and the table (the distinct texts only) weighs little
 * beside the figures the workbook is made from (bench/monthly-workbook.ts: docs/figures.md, The
 * monthly workbook). It is also how Excel writes text.
 */
const SHARED_STRINGS = true
/** Rows written between two looks at the zip's backlog (see drained). */
const PACE_ROWS = 500
/** The sheet's XML waiting to be zipped past which writing waits. */
const BACKLOG_BYTES = 1 << 20

/**
 * The monthly report workbook for the organization department: 汇总, 逾期明细,
 * 本月进展, 分类统计, 月报内容 (what each unit wrote), 督查情况 (checks, findings, reports from the public),
 * 响应时效 (units ranked by how fast they act on reminders). Figures are as of the month's last instant, or `now` for the current
 * month (see reportPeriod in month-span.ts). Written with exceljs's streaming writer to `stream`,
 * row by row: at province size the whole workbook is never held in memory (docs/figures.md, The
 * monthly workbook). Rejects when `stream` fails.
 */
export async function writeMonthlyWorkbook(figures: MonthlyFigures, now: Date, options: { stream: Writable; sharedStrings?: boolean }): Promise<void> {
  const { stream } = options
  const failed = new Promise<never>((_, reject) => stream.once('error', reject))
  failed.catch(() => undefined)
  // The zip's default level here is 1: a fifth larger than the file written whole (level 6), for no time saved.
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: options.sharedStrings ?? SHARED_STRINGS, zip: { zlib: { level: 6 } } })
  await Promise.race([renderMonthlyWorkbook(figures, now, workbook).then(() => workbook.commit()), failed])
}

/**
 * The workbook as bytes (streamed into memory), and its size. Past `maxBytes` the bytes are only
 * counted and `content` is null: a workbook too large to send is never held whole.
 */
export async function monthlyWorkbookBytes(figures: MonthlyFigures, now: Date, maxBytes = Number.POSITIVE_INFINITY): Promise<{ bytes: number; content: Uint8Array | null }> {
  const chunks: Buffer[] = []
  let bytes = 0
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      if (bytes <= maxBytes) chunks.push(chunk)
      else chunks.length = 0
      done()
    },
  })
  await writeMonthlyWorkbook(figures, now, { stream: collect })
  return { bytes, content: bytes <= maxBytes ? new Uint8Array(Buffer.concat(chunks, bytes)) : null }
}

/** The month's workbook as a reader sees it: streamed, then loaded whole (for reading its cells: tests, small campaigns). */
export async function buildMonthlyWorkbook(ds: DataSource, campaign: Campaign, month: string, now: Date): Promise<ExcelJS.Workbook> {
  const { content } = await monthlyWorkbookBytes(await monthlyFigures(ds, campaign, month, now), now)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(Buffer.from(content!.buffer, content!.byteOffset, content!.byteLength) as unknown as ArrayBuffer)
  return workbook
}

/**
 * The seven sheets into `workbook`: a streaming writer's (writeMonthlyWorkbook), each sheet
 * committed when written, or an in-memory one (the whole model, as the workbook was made before
 * it was streamed: bench/monthly-workbook.ts compares the two).
 */
export async function renderMonthlyWorkbook(figures: MonthlyFigures, now: Date, workbook: ExcelJS.Workbook): Promise<void> {
  workbook.creator = '专项治理督办机器人'
  workbook.created = now
  const [year, month] = figures.period.month.split('-').map(Number) as [number, number]
  const heading = `${figures.campaign.name} ${year}年${month}月`
  const asOf = figures.period.complete ? `截至${month}月${Number(figures.period.asOfDate.slice(8))}日` : `截至${figures.period.asOfDate}（本月未结束）`
  await summarySheet(workbook, figures, `${heading}工作月报汇总（${asOf}）`)
  await overdueSheet(workbook, figures, `${heading}逾期未整改问题明细（${asOf}）`)
  await eventsSheet(workbook, figures, `${heading}整改进展、销号和延期`)
  await categorySheet(workbook, figures, `${heading}问题分类统计（${asOf}）`)
  await reportTextSheet(workbook, figures, `${heading}各单位月报内容（${asOf}）`)
  await inspectionSheet(workbook, figures, `${heading}督查和受理举报情况（${asOf}）`)
  await responsivenessSheet(workbook, figures, `${heading}各单位提醒响应时效（${asOf}${recordsNote(figures.responsiveness.period)}）`)
}

/** A column of a sheet: its header, kind and widest width as startTable takes them, and its cell for each row. */
type Column<T> = ColumnSpec & { value: (row: T) => CellInput }

/**
 * Writes the sheet `name` of one row per item by `columns` (each styled further by `style`), then
 * the `totals` rows as they are, in bold. A streamed sheet's rows are committed as they are
 * written, and the sheet when done; every PACE_ROWS rows writing waits for the zip (drained).
 */
async function writeColumns<T>(
  workbook: ExcelJS.Workbook,
  name: (typeof SHEET_NAMES)[number],
  title: string,
  columns: readonly Column<T>[],
  items: readonly T[],
  totals: CellInput[][] = [],
  style?: (row: ExcelJS.Row, item: T) => void,
): Promise<void> {
  const sheet = workbook.addWorksheet(name, TABLE_SHEET)
  const streamed = workbook instanceof ExcelJS.stream.xlsx.WorkbookWriter
  const values = (item: T) => columns.map((column) => column.value(item))
  function* allRows() {
    for (const item of items) yield values(item)
    yield* totals
  }
  const add = startTable(sheet, title, columns, allRows())
  for (let i = 0; i < items.length; i += 1) {
    const row = add(values(items[i]!))
    style?.(row, items[i]!)
    row.commit()
    if (streamed && i % PACE_ROWS === PACE_ROWS - 1) await drained(sheet)
  }
  for (const total of totals) {
    const row = add(total)
    boldRow(row)
    row.commit()
  }
  if (streamed) sheet.commit()
}

/**
 * exceljs's streaming writer hands each sheet's XML to the zip without waiting (its buffer takes
 * all it is given): written in one go, a large sheet would wait whole in memory to be compressed.
 * Waits while more than BACKLOG_BYTES of it wait; otherwise lets the zip run a turn.
 */
async function drained(sheet: ExcelJS.Worksheet): Promise<void> {
  // The sheet's own stream pipes into the zip's entry (exceljs 4: WorksheetWriter.stream, a StreamBuf),
  // a readable-stream 2 PassThrough: no writableLength, its backlog is its _writableState's length.
  const entry = (sheet as unknown as { stream?: { pipes?: (Writable & { _writableState?: { length: number } })[] } }).stream?.pipes?.[0]
  const waiting = entry ? (entry.writableLength ?? entry._writableState?.length ?? 0) : 0
  if (entry && waiting > BACKLOG_BYTES) await new Promise((resolve) => entry.once('drain', resolve))
  else await new Promise((resolve) => setImmediate(resolve))
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

async function summarySheet(workbook: ExcelJS.Workbook, f: MonthlyFigures, title: string): Promise<void> {
  const t = monthlyTotals(f)
  const totals: CellInput[] = ['合计', t.total, t.notStarted, t.inProgress, t.awaitingVerification, t.closed, t.overdue, t.onTimeRate ?? '—', t.updatesThisMonth, `已报 ${t.reported}/${t.reportsOwed}`, '']
  await writeColumns(workbook, SHEET_NAMES[0], title, SUMMARY_COLUMNS, f.units, [totals], (row, u) => {
    restyle(row.getCell(SUMMARY_HEADERS.length), { fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: LIGHT_FILLS[u.light] } }, alignment: { horizontal: 'center' } })
    if (u.owesReport && !u.reportSubmittedAt) restyle(row.getCell(SUMMARY_HEADERS.indexOf('月报报送') + 1), { font: { color: { argb: 'FFC00000' } } })
  })
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

async function overdueSheet(workbook: ExcelJS.Workbook, f: MonthlyFigures, title: string): Promise<void> {
  await writeColumns(workbook, SHEET_NAMES[1], title, OVERDUE_COLUMNS, f.overdue)
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

async function eventsSheet(workbook: ExcelJS.Workbook, f: MonthlyFigures, title: string): Promise<void> {
  await writeColumns(workbook, SHEET_NAMES[2], title, EVENT_COLUMNS, f.events)
}

const STATUSES = ['open', 'in_progress', 'rectified', 'closed'] as const

const CATEGORY_COLUMNS: readonly Column<CategoryRow>[] = [
  { header: '问题类别', kind: 'text', value: (c) => `${c.label}${c.name}` },
  ...STATUSES.map((s): Column<CategoryRow> => ({ header: STATE_NAMES[s], kind: 'number', value: (c) => c.byStatus[s] })),
  { header: '逾期', kind: 'number', value: (c) => c.overdue },
  { header: '合计', kind: 'number', value: (c) => c.total },
]

async function categorySheet(workbook: ExcelJS.Workbook, f: MonthlyFigures, title: string): Promise<void> {
  const sum = (count: (c: CategoryRow) => number | undefined) => f.categories.reduce((total, c) => total + (count(c) ?? 0), 0)
  const totals: CellInput[] = ['合计', ...STATUSES.map((s) => sum((c) => c.byStatus[s])), sum((c) => c.overdue), sum((c) => c.total)]
  await writeColumns(workbook, SHEET_NAMES[3], title, CATEGORY_COLUMNS, f.categories, [totals])
}

const REPORT_TEXT_COLUMNS: readonly Column<UnitReportText>[] = [
  { header: '单位', kind: 'text', value: (r) => r.unitName },
  { header: '报送时间', kind: 'datetime', value: (r) => (r.current ? excelBeijingTime(r.current.submittedAt) : r.owes ? '未报' : '不需报送') },
  { header: '报送人', kind: 'text', value: (r) => (r.current ? (r.current.submittedBy ?? '') : '') },
  { header: '版本数', kind: 'number', value: (r) => (r.current ? r.earlier.length + 1 : 0) },
  { header: '月报内容', kind: 'text', maxWidth: 80, value: (r) => r.current?.content ?? '' },
]

/** Each unit's report as submitted (its last version by the period's instant); 未报 in red for a unit that owes one. */
async function reportTextSheet(workbook: ExcelJS.Workbook, f: MonthlyFigures, title: string): Promise<void> {
  await writeColumns(workbook, SHEET_NAMES[4], title, REPORT_TEXT_COLUMNS, f.reports, [], (row, r) => {
    // A report keeps its own line breaks: the text wraps within its cell whatever its length.
    restyle(row.getCell(5), { alignment: { wrapText: true, vertical: 'top' } })
    if (!r.current && r.owes) restyle(row.getCell(2), { font: { color: { argb: 'FFC00000' } } })
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
async function inspectionSheet(workbook: ExcelJS.Workbook, f: MonthlyFigures, title: string): Promise<void> {
  const sum = (key: 'checks' | 'findings' | 'itemsCreated' | 'itemsClosed' | 'reportsReceived' | 'reportsVerified' | 'phaseChecks') => f.inspections.reduce((total, u) => total + (u[key] ?? 0), 0)
  const covered = f.inspections.filter((u) => u.fullCheck !== null)
  const totals: CellInput[] = ['合计', sum('checks'), sum('findings'), sum('itemsCreated'), sum('itemsClosed'), sum('reportsReceived'), sum('reportsVerified'), sum('phaseChecks'), `已检查 ${covered.filter((u) => u.fullCheck).length}/${covered.length}`]
  await writeColumns(workbook, SHEET_NAMES[5], title, INSPECTION_COLUMNS, f.inspections, [totals], (row, u) => {
    if (u.fullCheck === false) restyle(row.getCell(INSPECTION_HEADERS.length), { font: { color: { argb: 'FFC00000' } } })
  })
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
async function responsivenessSheet(workbook: ExcelJS.Workbook, f: MonthlyFigures, title: string): Promise<void> {
  const { units, county } = f.responsiveness
  await writeColumns(workbook, SHEET_NAMES[6], title, RESPONSIVENESS_COLUMNS, units, [RESPONSIVENESS_COLUMNS.map((c) => c.value({ ...county, rank: null, unitName: '全县' }))])
}
