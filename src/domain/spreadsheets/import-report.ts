import { toCalendarDate, isCalendarDate, type CalendarDate } from '../../time/calendar-date.js'
import type { CellValue, Table, TableRow } from './read-table.js'

/** One problem with one cell (or row) of an import, for the report. */
export interface ImportProblem {
  sheet: string
  row: number
  /** The column's header as written in the file ('' for the row as a whole). */
  column: string
  reason: string
}

export interface ImportResult {
  /** Data rows read. */
  rows: number
  created: number
  updated: number
  unchanged: number
  /** Ledger imports: the numbers of the items created (once written) and updated, in file order. */
  createdIds?: number[]
  updatedIds?: number[]
  problems: ImportProblem[]
  /** Nothing was written: a dry run, or problems found. */
  written: boolean
}

/** Collects problems with a table's cells, each naming its sheet, row and column. */
export function problemCollector(table: Pick<Table, 'headers'>) {
  const problems: ImportProblem[] = []
  return {
    problems,
    add(row: TableRow, key: string | null, reason: string) {
      problems.push({ sheet: row.sheet, row: row.row, column: key ? (table.headers.get(key) ?? key) : '', reason })
    },
  }
}

/** A cell as trimmed text ('' when empty). */
export function text(value: CellValue | undefined): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString().slice(0, 10)
  return String(value).trim()
}

/**
 * A cell as a calendar date: an Excel date (read as a UTC date), an Excel serial number, or text
 * as Chinese offices write it — 2015-09-30, 2015/9/30, 2015.9.30, 2015年9月30日, 20150930, or
 * 9月30日 (in `year`). Null when not understood.
 */
export function cellDate(value: CellValue | undefined, year: number): CalendarDate | null {
  if (value === null || value === undefined) return null
  const checked = (y: number, m: number, d: number) => {
    const date = toCalendarDate(y, m, d)
    return isCalendarDate(date) ? date : null
  }
  if (value instanceof Date) return checked(value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate())
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 19000101 && value <= 21001231) return checked(Math.floor(value / 10000), Math.floor(value / 100) % 100, value % 100)
    // Excel's serial: days since 1899-12-30 (the 1900 leap-year bug included).
    if (value > 20000 && value < 80000) {
      const date = new Date(Date.UTC(1899, 11, 30) + Math.floor(value) * 86_400_000)
      return checked(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())
    }
    return null
  }
  const typed = value.normalize('NFKC').replace(/\s+/g, '')
  let match = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(typed)
  if (match) return checked(Number(match[1]), Number(match[2]), Number(match[3]))
  match = /^(\d{4})(\d{2})(\d{2})$/.exec(typed)
  if (match) return checked(Number(match[1]), Number(match[2]), Number(match[3]))
  match = /^(\d{1,2})月(\d{1,2})日?$/.exec(typed)
  if (match) return checked(year, Number(match[1]), Number(match[2]))
  if (/^\d+(\.\d+)?$/.test(typed)) return cellDate(Number(typed), year)
  return null
}

/** The report people read: every problem, or what was (or would be) written. */
export function formatImportResult(result: ImportResult, what: string, dryRun: boolean): string {
  if (result.problems.length > 0) {
    const lines = result.problems.map((p) => `- 工作表「${p.sheet}」第 ${p.row} 行${p.column ? `「${p.column}」列` : ''}：${p.reason}`)
    return [`发现 ${result.problems.length} 处问题，未导入任何内容（共 ${result.rows} 行${what}，改正后可全部导入）：`, ...lines].join('\n')
  }
  const counts = result.createdIds && result.updatedIds ? itemCounts(result) : `新增 ${result.created}，更新 ${result.updated}，未变 ${result.unchanged}`
  return dryRun ? `检查通过（试运行，未写入）：${result.rows} 行${what}，将${counts}。` : `已导入 ${result.rows} 行${what}：${counts}。`
}

/** "新增 6 项（#21–#26）；更新 2 项（#3、#7）；未变 1 项": a ledger import names the items it wrote. */
function itemCounts(result: ImportResult): string {
  const numbered = (count: number, ids: readonly number[] | undefined) => (count > 0 && ids && ids.length > 0 ? `（${itemRanges(ids)}）` : '')
  return `新增 ${result.created} 项${numbered(result.created, result.createdIds)}；更新 ${result.updated} 项${numbered(result.updated, result.updatedIds)}；未变 ${result.unchanged} 项`
}

/** The most numbers or ranges an import's answer lists (a re-import changing every other row of 200,000 would list 100,000). */
const LISTED_RANGES = 20

/**
 * Item numbers in order, three or more consecutive ones as a range: "#3、#7、#21–#26"; past
 * LISTED_RANGES, the first ones and 等 ("#3、#5、…、#41 等": the count is said beside it).
 */
export function itemRanges(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < sorted.length; ) {
    if (parts.length === LISTED_RANGES) return `${parts.join('、')} 等`
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j += 1
    if (j - i >= 2) {
      parts.push(`#${sorted[i]}–#${sorted[j]}`)
      i = j + 1
    } else {
      parts.push(`#${sorted[i]}`)
      i += 1
    }
  }
  return parts.join('、')
}
