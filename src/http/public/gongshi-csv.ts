import type { DisclosedUnit } from '../../read-model/public-disclosure.js'

/** The CSV's header: 单位 and the page's columns, 原定时限 apart (docs/disclosure.md). */
export const CSV_HEADER = ['单位', '问题', '整改措施', '整改目标', '整改时限', '原定时限', '责任部门', '状态', '进度'] as const

/**
 * 整改公示 as CSV, the page's rows in its order: UTF-8 with a byte order mark (so that Excel reads
 * it as UTF-8), CRLF lines, fields quoted as RFC 4180 says. Dates are YYYY-MM-DD; 原定时限 is
 * empty unless an extension moved the due date.
 */
export function gongshiCsv(units: readonly DisclosedUnit[]): string {
  const rows: string[][] = [[...CSV_HEADER]]
  for (const unit of units) {
    for (const item of unit.items) {
      rows.push([unit.unitName, item.problem, item.measures, item.target, item.dueDate, item.originalDueDate ?? '', item.department ?? '', item.statusName, `${item.progress}%`])
    }
  }
  return `\uFEFF${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`
}

/**
 * One field: a text a spreadsheet would run as a formula (beginning with = + - @, a tab or a
 * carriage return) gets a leading ' (OWASP's CSV injection advice); a field holding a comma, a
 * quote or a line break is quoted, its quotes doubled (RFC 4180).
 */
export function csvField(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
