import { readFile, stat } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import { UserFacingError } from '../../errors.js'
import { DEFAULT_IMPORT_LIMITS, formatSize, type ImportLimits } from './import-limits.js'
import { GBK_NO_HEADER_HINT, readCsvRows } from './read-csv.js'
import { streamWorkbookSheets, type CellValue, type SheetRow, type SheetRows } from './read-workbook.js'

/** A cell as read: text, a number (an Excel serial date is a number too), a date, or nothing. */
export type { CellValue } from './read-workbook.js'

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

/** The rows a header is looked for in: the first ten, and the one under the tenth (a second header row). */
const HEADER_ROWS = 11

/**
 * A sheet's data rows by column key, read as they come: the first rows are held until the header
 * is found among them (a sheet without the headers — notes, a cover page — is not data), then
 * every row goes through, empty ones (trailing, or spacing) skipped.
 */
async function* sheetTableRows(table: TableStream, sheet: SheetRows, specs: readonly ColumnSpec[]): AsyncGenerator<TableRow> {
  const first: CellValue[][] = []
  let header: ReturnType<typeof findHeader> | undefined
  const toRow = (number: number, cells: readonly CellValue[]): TableRow | null => {
    const row: TableRow['cells'] = {}
    let empty = true
    for (const [column, spec] of header!.columns) {
      const value = cells[column] ?? null
      row[spec.key] = value
      if (value !== null) empty = false
    }
    return empty ? null : { sheet: sheet.name, row: number, cells: row }
  }
  const decide = () => {
    for (let i = 0; i < first.length; i++) first[i] ??= []
    header = findHeader(first, specs)
    if (!header) return false
    table.sheets.push(sheet.name)
    for (const [column, spec] of header.columns) {
      if (!table.headers.has(spec.key)) table.headers.set(spec.key, String(first[header.dataFrom - 1]![column] ?? first[header.index]![column]))
    }
    return true
  }
  for await (const { number, cells } of sheet.rows) {
    if (header === undefined && number <= HEADER_ROWS) {
      first[number - 1] = cells
      continue
    }
    if (header === undefined) {
      if (!decide()) return
      for (let index = header!.dataFrom; index < first.length; index++) {
        const row = toRow(index + 1, first[index]!)
        if (row) yield row
      }
    }
    const row = toRow(number, cells)
    if (row) yield row
  }
  if (header === undefined && decide()) {
    for (let index = header!.dataFrom; index < first.length; index++) {
      const row = toRow(index + 1, first[index]!)
      if (row) yield row
    }
  }
}

/** The file's bytes, refused unreadable or over the size limit before anything parses them. */
async function readImportFile(path: string, name: string, maxBytes: number): Promise<Buffer> {
  try {
    const tooLarge = (size: number) =>
      new UserFacingError('file_too_large', `文件过大：「${name}」有 ${formatSize(size)}，超过上限 ${formatSize(maxBytes)}。请拆分成几个文件分别导入（上限可用 IMPORT_MAX_MB 调整）。`)
    const stats = await stat(path)
    if (stats.isDirectory()) throw new UserFacingError('bad_file', `${path} 是文件夹，不是文件。`)
    if (stats.size > maxBytes) throw tooLarge(stats.size)
    const bytes = await readFile(path)
    // It may have grown since.
    if (bytes.length > maxBytes) throw tooLarge(bytes.length)
    return bytes
  } catch (error) {
    if (error instanceof UserFacingError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserFacingError('bad_file', `找不到文件 ${path}`)
    if (code === 'EACCES' || code === 'EPERM') throw new UserFacingError('bad_file', `没有权限读取文件 ${path}`)
    throw new UserFacingError('bad_file', `读不了文件 ${path}（错误代码 ${code ?? '未知'}）`)
  }
}

/** A spreadsheet opened for reading: its rows come as they are read, the headers and sheets as they are found. */
export interface TableStream {
  /** Column key → the header text as written in the file (for the report), filled as sheets are read. */
  headers: Map<string, string>
  sheets: string[]
  /** Every data row of every sheet with the headers; throws no_header at the end when no sheet had them. */
  rows(): AsyncGenerator<TableRow>
}

/**
 * Opens an .xlsx or .csv file to read its rows keyed by the columns it knows, whatever the order
 * of the columns or extra columns. Every sheet with the headers counts (a second sheet continues
 * the first); a header cell merged over several columns names the first; empty rows are
 * skipped. The file is checked against `limits` before it is parsed (docs/imports.md), and a
 * workbook is read row by row, never held whole; a CSV may be UTF-8 or GBK.
 */
export async function openTable(path: string, specs: readonly ColumnSpec[], limits: Partial<ImportLimits> = {}): Promise<TableStream> {
  const extension = extname(path).toLowerCase()
  if (extension !== '.csv' && extension !== '.xlsx') {
    throw new UserFacingError('bad_file', `不支持的文件类型「${extension || path}」：请用 .xlsx 或 .csv（Excel 可“另存为”这两种格式）。`)
  }
  const checked = { ...DEFAULT_IMPORT_LIMITS, ...limits }
  const name = basename(path)
  const bytes = await readImportFile(path, name, checked.maxFileBytes)
  let sheets: SheetRows[]
  let hint = ''
  if (extension === '.csv') {
    const csv = readCsvRows(bytes, name)
    sheets = [{ name: 'CSV', rows: csvRows(csv.rows) }]
    if (csv.encoding === 'gb18030') hint = GBK_NO_HEADER_HINT
  } else {
    sheets = await streamWorkbookSheets(bytes, name, checked)
  }
  const table: TableStream = {
    headers: new Map(),
    sheets: [],
    async *rows() {
      for (const sheet of sheets) yield* sheetTableRows(table, sheet, specs)
      if (table.sheets.length === 0) {
        throw new UserFacingError('no_header', `文件中没有找到表头。需要的列：${specs.map((s) => s.header).join('、')}（表头须在前十行内）。${hint}`)
      }
    },
  }
  return table
}

async function* csvRows(rows: CellValue[][]): AsyncGenerator<SheetRow> {
  for (const [index, cells] of rows.entries()) yield { number: index + 1, cells }
}

/** The whole table at once (openTable, every row read): for rosters and findings, a few thousand rows at most. */
export async function readTable(path: string, specs: readonly ColumnSpec[], limits: Partial<ImportLimits> = {}): Promise<Table> {
  const table = await openTable(path, specs, limits)
  const rows: TableRow[] = []
  for await (const row of table.rows()) rows.push(row)
  return { rows, headers: table.headers, sheets: table.sheets }
}
