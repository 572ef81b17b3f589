import type ExcelJS from 'exceljs'
import { parts, type CalendarDate } from '../../time/calendar-date.js'

export type ColumnKind = 'text' | 'number' | 'decimal' | 'date' | 'datetime' | 'percent'

export interface ColumnSpec {
  header: string
  kind: ColumnKind
  /** Widest the column grows (in Excel character widths); longer text wraps. Default 40. */
  maxWidth?: number
}

export type CellInput = string | number | Date | null

const FORMATS: Record<ColumnKind, string | undefined> = {
  text: undefined,
  number: '0',
  decimal: '0.0',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm',
  percent: '0.0%',
}
const RENDERED_WIDTH: Partial<Record<ColumnKind, number>> = { date: 10, datetime: 16, percent: 6 }
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } }
const THIN: ExcelJS.Border = { style: 'thin', color: { argb: 'FFBFBFBF' } }

/**
 * Display width in Excel character units: a CJK or full-width character takes two columns of a
 * monospaced font, anything else one (the rule East Asian Width "W"/"F" gives).
 */
export function displayWidth(text: string): number {
  let width = 0
  for (const char of text) width += /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(char) ? 2 : 1
  return width
}

/**
 * Excel has no time zones: a cell holds the wall-clock time it shows. exceljs writes a Date by
 * its UTC fields, so a Beijing date or time is passed as a Date whose UTC fields are Beijing's.
 */
export function excelDate(date: CalendarDate): Date {
  const { year, month, day } = parts(date)
  return new Date(Date.UTC(year, month - 1, day))
}

export function excelBeijingTime(instant: Date): Date {
  return new Date(instant.getTime() + 8 * 3_600_000)
}

/**
 * Writes a title row, a header row and the rows, and sets what makes a sheet readable: frozen
 * title and header, widths from the content, number formats, borders, landscape A4 fitted to
 * the page width. Returns the rows written, for styling by the caller.
 */
export function writeTable(sheet: ExcelJS.Worksheet, title: string, columns: ColumnSpec[], rows: CellInput[][]): ExcelJS.Row[] {
  const titleRow = sheet.addRow([title])
  titleRow.font = { bold: true, size: 14 }
  sheet.mergeCells(1, 1, 1, columns.length)
  const header = sheet.addRow(columns.map((c) => c.header))
  header.font = { bold: true }
  header.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true }
  header.eachCell((cell) => {
    cell.fill = HEADER_FILL
    cell.border = { top: THIN, left: THIN, bottom: THIN, right: THIN }
  })
  const written = rows.map((values) => sheet.addRow(values))
  columns.forEach((spec, index) => {
    const column = sheet.getColumn(index + 1)
    const format = FORMATS[spec.kind]
    let width = displayWidth(spec.header)
    for (const row of written) {
      const cell = row.getCell(index + 1)
      cell.border = { top: THIN, left: THIN, bottom: THIN, right: THIN }
      const value = cell.value
      if (format && (typeof value === 'number' || value instanceof Date)) cell.numFmt = format
      const rendered = value instanceof Date || typeof value === 'number' ? (RENDERED_WIDTH[spec.kind] ?? String(value).length) : displayWidth(String(value ?? ''))
      width = Math.max(width, rendered)
    }
    const max = spec.maxWidth ?? 40
    column.width = Math.min(width, max) + 2
    if (width > max) for (const row of written) row.getCell(index + 1).alignment = { wrapText: true, vertical: 'top' }
  })
  // A title wider than the table wraps inside its merged cell rather than being cut at the print edge (14 pt ≈ 1.3 × the 11 pt width unit).
  const tableWidth = columns.reduce((total, _, index) => total + (sheet.getColumn(index + 1).width ?? 10), 0)
  const lines = Math.ceil((displayWidth(title) * 1.3) / tableWidth)
  titleRow.getCell(1).alignment = { wrapText: true, vertical: 'middle' }
  titleRow.height = 22 * lines
  sheet.views = [{ state: 'frozen', xSplit: 0, ySplit: 2, topLeftCell: 'A3', activeCell: 'A3' }]
  sheet.pageSetup = { orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:2' }
  return written
}
