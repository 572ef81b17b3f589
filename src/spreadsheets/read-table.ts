import { existsSync, readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { parse } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { UserFacingError } from '../errors.js'

/** A cell as read: text, a number (an Excel serial date is a number too), a date, or nothing. */
export type CellValue = string | number | Date | null

/** One data row of a spreadsheet, its cells by column key, and where it came from (for the report). */
export interface TableRow {
  sheet: string
  /** 1-based, as Excel shows it. */
  row: number
  cells: Partial<Record<string, CellValue>>
}

/** A column the importer knows: its key, the header people write, and other headers meaning the same. */
export interface ColumnSpec {
  key: string
  header: string
  synonyms: readonly string[]
}

export interface Table {
  rows: TableRow[]
  /** Column key → the header text as written in the file (for the report). */
  headers: Map<string, string>
  sheets: string[]
}

/**
 * "单位名称 ", "*单位名称：" and "单位类型（镇/县直）" read as "单位名称" and "单位类型": spaces
 * gone, full-width forms half-width, a required-mark or colon dropped, a bracketed hint dropped.
 */
export function normalizeHeader(text: string): string {
  const plain = text.normalize('NFKC').replace(/[\s\u3000]+/g, '').replace(/[*:]+$/g, '').replace(/^[*]+/, '').toLowerCase()
  const withoutHint = plain.replace(/\([^)]*\)|\[[^\]]*\]|【[^】]*】/g, '')
  // "【角色】" is all bracket: then only the brackets go.
  return withoutHint || plain.replace(/[()[\]【】]/g, '')
}

function cellText(value: ExcelJS.CellValue): CellValue {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value
  if (typeof value === 'number') return value
  if (typeof value === 'boolean') return value ? '是' : '否'
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim()
  if ('richText' in value) return cellText(value.richText.map((r) => r.text).join(''))
  if ('text' in value && typeof value.text === 'string') return cellText(value.text)
  if ('result' in value) return cellText((value.result ?? null) as ExcelJS.CellValue)
  if ('error' in value) return null
  return null
}

function matchColumns(row: readonly CellValue[], specs: readonly ColumnSpec[]): Map<number, ColumnSpec> {
  const columns = new Map<number, ColumnSpec>()
  const taken = new Set<string>()
  row.forEach((cell, column) => {
    if (typeof cell !== 'string') return
    const text = normalizeHeader(cell)
    const spec = specs.find((s) => !taken.has(s.key) && [s.header, ...s.synonyms].some((name) => normalizeHeader(name) === text))
    if (spec) {
      columns.set(column, spec)
      taken.add(spec.key)
    }
  })
  return columns
}

/**
 * The row (among the first ten) that names at least two known columns: the header row. A
 * second header row under it (a "责任人" merged over "责任领导 | 具体责任人") names its columns
 * more precisely and wins for them; the data then starts below it.
 */
function findHeader(rows: CellValue[][], specs: readonly ColumnSpec[]): { index: number; dataFrom: number; columns: Map<number, ColumnSpec> } | null {
  for (let index = 0; index < Math.min(10, rows.length); index++) {
    const columns = matchColumns(rows[index]!, specs)
    if (columns.size < 2) continue
    const below = matchColumns(rows[index + 1] ?? [], specs)
    if (below.size === 0) return { index, dataFrom: index + 1, columns }
    for (const [column, spec] of below) {
      for (const [other, known] of columns) if (known.key === spec.key) columns.delete(other)
      columns.set(column, spec)
    }
    return { index, dataFrom: index + 2, columns }
  }
  return null
}

function toTable(sheets: { name: string; rows: CellValue[][] }[], specs: readonly ColumnSpec[]): Table {
  const table: Table = { rows: [], headers: new Map(), sheets: [] }
  for (const sheet of sheets) {
    const header = findHeader(sheet.rows, specs)
    // A sheet without the headers (notes, a cover page) is not data.
    if (!header) continue
    table.sheets.push(sheet.name)
    for (const [column, spec] of header.columns) {
      if (!table.headers.has(spec.key)) table.headers.set(spec.key, String(sheet.rows[header.dataFrom - 1]![column] ?? sheet.rows[header.index]![column]))
    }
    for (let index = header.dataFrom; index < sheet.rows.length; index++) {
      const cells: TableRow['cells'] = {}
      let empty = true
      for (const [column, spec] of header.columns) {
        const value = sheet.rows[index]![column] ?? null
        cells[spec.key] = value
        if (value !== null) empty = false
      }
      // Empty rows (trailing ones, or spacing) are skipped.
      if (!empty) table.rows.push({ sheet: sheet.name, row: index + 1, cells })
    }
  }
  return table
}

/**
 * Reads an .xlsx or .csv file into rows keyed by the columns it knows, whatever the order of the
 * columns or extra columns. Every sheet with the headers counts (a second sheet continues the
 * first); a header cell merged over several columns names the first; empty rows are skipped.
 */
export async function readTable(path: string, specs: readonly ColumnSpec[]): Promise<Table> {
  const extension = extname(path).toLowerCase()
  if (extension !== '.csv' && extension !== '.xlsx') {
    throw new UserFacingError('bad_file', `不支持的文件类型「${extension || path}」：请用 .xlsx 或 .csv（Excel 可“另存为”这两种格式）。`)
  }
  if (!existsSync(path)) throw new UserFacingError('bad_file', `找不到文件 ${path}`)
  let sheets: { name: string; rows: CellValue[][] }[]
  try {
    if (extension === '.csv') {
      const records = parse(readFileSync(path), { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][]
      sheets = [{ name: 'CSV', rows: records.map((r) => r.map((c) => (c.trim() === '' ? null : c.trim()))) }]
    } else {
      const workbook = new ExcelJS.Workbook()
      await workbook.xlsx.readFile(path)
      sheets = workbook.worksheets.map((worksheet) => {
        const rows: CellValue[][] = []
        worksheet.eachRow({ includeEmpty: true }, (row, number) => {
          const cells: CellValue[] = []
          row.eachCell({ includeEmpty: true }, (cell, column) => {
            // A merged cell's other parts read as empty, not as a copy of its value.
            cells[column - 1] = cell.isMerged && cell.master !== cell ? null : cellText(cell.value)
          })
          rows[number - 1] = cells
        })
        for (let i = 0; i < rows.length; i++) rows[i] ??= []
        return { name: worksheet.name, rows }
      })
    }
  } catch (error) {
    if (error instanceof UserFacingError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new UserFacingError('bad_file', code === 'ENOENT' ? `找不到文件 ${path}` : `读不了文件 ${path}：${code ?? (error as Error).message}`)
  }
  const table = toTable(sheets, specs)
  if (table.sheets.length === 0) {
    throw new UserFacingError('no_header', `文件中没有找到表头。需要的列：${specs.map((s) => s.header).join('、')}（表头须在前十行内）。`)
  }
  return table
}
