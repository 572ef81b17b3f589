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
  if (!NOT_ASCII.test(text)) return text.length
  // One column a code point (a low surrogate ends a pair already counted), one more for each wide one.
  let width = 0
  for (let i = 0; i < text.length; i += 1) if ((text.charCodeAt(i) & 0xfc00) !== 0xdc00) width += 1
  return width + (text.match(WIDE)?.length ?? 0)
}
const NOT_ASCII = /[^\u0000-\u007f]/
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/gu

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
 * What a table's sheet is made with: title and header frozen, landscape A4 fitted to the page
 * width, title and header printed on every page. A streamed sheet (exceljs's WorksheetWriter)
 * takes its views and page setup only when made: `workbook.addWorksheet(name, TABLE_SHEET)`.
 */
export const TABLE_SHEET = {
  views: [{ state: 'frozen', xSplit: 0, ySplit: 2, topLeftCell: 'A3', activeCell: 'A3' }],
  pageSetup: { orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:2' },
} satisfies Partial<ExcelJS.AddWorksheetOptions>

const BORDER: Partial<ExcelJS.Borders> = { top: THIN, left: THIN, bottom: THIN, right: THIN }
const WRAP: Partial<ExcelJS.Alignment> = { wrapText: true, vertical: 'top' }

/**
 * Writes a title row and a header row, and sets what makes a sheet readable: widths from the
 * content (`rows`: every row's values, read once here, before any row is written, as a streamed
 * sheet writes its widths first), number formats, borders. Returns the function that adds a row
 * with those formats, for the caller to style further and commit. The title and header rows are
 * committed (written, on a streamed sheet).
 *
 * The cells of a column share one style object for each format (frozen: restyle a cell with
 * restyle or boldRow, never in place): exceljs finds a shared object's style at once, where it
 * looks each cell's own copy up by its XML. `ownStyles` gives each cell its own, to change at will.
 */
export function startTable(
  sheet: ExcelJS.Worksheet,
  title: string,
  columns: readonly ColumnSpec[],
  rows: Iterable<readonly CellInput[]>,
  options: { ownStyles?: boolean } = {},
): (values: CellInput[]) => ExcelJS.Row {
  const widths = columns.map((c) => displayWidth(c.header))
  const maxWidths = columns.map((c) => c.maxWidth ?? 40)
  for (const values of rows) {
    columns.forEach((spec, index) => {
      // Past its widest the column wraps: its width is known, the rest need not be measured.
      if (widths[index]! > maxWidths[index]!) return
      const value = values[index] ?? null
      const rendered = value instanceof Date || typeof value === 'number' ? (RENDERED_WIDTH[spec.kind] ?? String(value).length) : displayWidth(String(value ?? ''))
      if (rendered > widths[index]!) widths[index] = rendered
    })
  }
  const wraps = widths.map((width, index) => width > maxWidths[index]!)
  columns.forEach((_, index) => (sheet.getColumn(index + 1).width = Math.min(widths[index]!, maxWidths[index]!) + 2))
  const titleRow = sheet.addRow([title])
  titleRow.font = { bold: true, size: 14 }
  sheet.mergeCells(1, 1, 1, columns.length)
  // A title wider than the table wraps inside its merged cell rather than being cut at the print edge (14 pt ≈ 1.3 × the 11 pt width unit).
  const tableWidth = columns.reduce((total, _, index) => total + (sheet.getColumn(index + 1).width ?? 10), 0)
  titleRow.getCell(1).alignment = { wrapText: true, vertical: 'middle' }
  titleRow.height = 22 * Math.ceil((displayWidth(title) * 1.3) / tableWidth)
  titleRow.commit()
  const header = sheet.addRow(columns.map((c) => c.header))
  header.font = { bold: true }
  header.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true }
  header.eachCell((cell) => {
    cell.fill = HEADER_FILL
    cell.border = BORDER
  })
  header.commit()
  const style = (index: number, numFmt: string | undefined): Partial<ExcelJS.Style> =>
    Object.freeze({ border: BORDER, ...(numFmt ? { numFmt } : {}), ...(wraps[index] ? { alignment: WRAP } : {}) })
  const plain = columns.map((_, index) => style(index, undefined))
  const formatted = columns.map((spec, index) => (FORMATS[spec.kind] ? style(index, FORMATS[spec.kind]) : plain[index]!))
  return (values) => {
    const row = sheet.addRow(values)
    for (let index = 0; index < columns.length; index += 1) {
      const cell = row.getCell(index + 1)
      const value = cell.value
      const shared = typeof value === 'number' || value instanceof Date ? formatted[index]! : plain[index]!
      cell.style = options.ownStyles ? { ...shared } : shared
    }
    return row
  }
}

/** Gives a cell of a table more style (a fill, a font, an alignment) on a style of its own. */
export function restyle(cell: ExcelJS.Cell, more: Partial<ExcelJS.Style>): void {
  cell.style = { ...cell.style, ...more }
}

/** A totals row: bold, as a row and in each cell. */
export function boldRow(row: ExcelJS.Row): void {
  row.eachCell((cell) => (cell.style = { ...cell.style }))
  row.font = { bold: true }
}

/**
 * A whole table on an in-memory sheet: the title, header and rows (see startTable), frozen title
 * and header, landscape A4 fitted to the page width. Returns the rows written, for styling by the caller.
 */
export function writeTable(sheet: ExcelJS.Worksheet, title: string, columns: ColumnSpec[], rows: CellInput[][]): ExcelJS.Row[] {
  const add = startTable(sheet, title, columns, rows, { ownStyles: true })
  const written = rows.map(add)
  sheet.views = [...TABLE_SHEET.views]
  sheet.pageSetup = { ...TABLE_SHEET.pageSetup }
  return written
}
