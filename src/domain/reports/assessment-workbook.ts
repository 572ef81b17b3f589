import ExcelJS from 'exceljs'
import type { AccountabilityMeasure } from '../../db/entities/index.js'
import type { Assessment, MeasureCounts } from '../../read-model/assessment.js'
import { percent } from '../../read-model/chat-format.js'
import { formatChineseDate } from '../../time/calendar-date.js'
import { MEASURE_NAMES, MEASURES } from '../inspections/accountability.js'
import { writeTable, type CellInput, type ColumnSpec } from './sheet-table.js'

export const ASSESSMENT_SHEETS = ['单位', '领导'] as const

const LEDGER_COLUMNS: ColumnSpec[] = [
  { header: '台账事项', kind: 'number' },
  { header: '已销号', kind: 'number' },
  { header: '按期销号率', kind: 'percent' },
  { header: '逾期', kind: 'number' },
]

/** The two sheets' headers, for readers and tests. */
export const UNIT_HEADERS = ['单位', ...LEDGER_COLUMNS.map((c) => c.header), '督查发现', '督查转台账', ...MEASURES.map((m) => MEASURE_NAMES[m]), '问责合计'] as const
export const LEADER_HEADERS = ['姓名', '单位', ...LEDGER_COLUMNS.map((c) => c.header), '问责次数', '问责措施'] as const

const rate = (onTime: number, due: number): CellInput => (due === 0 ? '—' : onTime / due)

/** "诫勉 1、谈话提醒 2", mildest first; '' for none. */
export function measuresText(measures: MeasureCounts): string {
  return (MEASURES as AccountabilityMeasure[])
    .filter((m) => measures[m] > 0)
    .map((m) => `${MEASURE_NAMES[m]} ${measures[m]}`)
    .join('、')
}

/**
 * The workbook the annual assessment needs (docs/figures.md, Annual assessment): 单位 — each
 * unit's items, closed, on-time rate, overdue, findings, items made of findings, accountability
 * decisions by measure; 领导 — each responsible leader's items, on-time rate, overdue, and the
 * decisions concerning them. Every figure from assessmentFigures.
 */
export function renderAssessmentWorkbook(a: Assessment, now: Date): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook()
  workbook.creator = '专项治理督办机器人'
  workbook.created = now
  const asOf = `截至${formatChineseDate(a.today)}`
  const unitRows: CellInput[][] = a.units.map((u) => [u.unitName, u.total, u.closed, rate(u.onTime, u.due), u.overdue, u.findings, u.itemsFromFindings, ...MEASURES.map((m) => u.measures[m]), u.decisions])
  const t = a.totals
  unitRows.push(['合计', t.total, t.closed, t.onTimeRate ?? '—', t.overdue, t.findings, t.itemsFromFindings, ...MEASURES.map((m) => t.measures[m]), t.decisions])
  const units = writeTable(
    workbook.addWorksheet(ASSESSMENT_SHEETS[0]),
    `${a.campaign.name} 年度考核：各单位整改和问责情况（${asOf}）`,
    [{ header: '单位', kind: 'text' }, ...LEDGER_COLUMNS, { header: '督查发现', kind: 'number' }, { header: '督查转台账', kind: 'number' }, ...MEASURES.map((m) => ({ header: MEASURE_NAMES[m], kind: 'number' as const })), { header: '问责合计', kind: 'number' }],
    unitRows,
  )
  units.at(-1)!.font = { bold: true }
  const leaderRows: CellInput[][] = a.leaders.map((l) => [l.name, l.unitName, l.total, l.closed, rate(l.onTime, l.due), l.overdue, l.decisions, measuresText(l.measures)])
  writeTable(
    workbook.addWorksheet(ASSESSMENT_SHEETS[1]),
    `${a.campaign.name} 年度考核：各责任领导整改和问责情况（${asOf}）`,
    [{ header: '姓名', kind: 'text' }, { header: '单位', kind: 'text' }, ...LEDGER_COLUMNS, { header: '问责次数', kind: 'number' }, { header: '问责措施', kind: 'text' }],
    leaderRows,
  )
  return workbook
}

/** The CLI's one line: "…（截至 2015-12-31）：3 个单位、4 名责任领导；台账 9 项，按期销号率 50%，逾期 2；督查发现 3 项；问责 2 项。" */
export function assessmentSummary(a: Assessment): string {
  const t = a.totals
  return `${a.campaign.name} 考核汇总（截至 ${a.today}）：${a.units.length} 个单位、${a.leaders.length} 名责任领导；台账 ${t.total} 项，按期销号率 ${percent(t.onTimeRate)}，逾期 ${t.overdue}；督查发现 ${t.findings} 项；问责 ${t.decisions} 项。`
}
