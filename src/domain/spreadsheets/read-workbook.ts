import { Readable, Transform } from 'node:stream'
import { createInflateRaw } from 'node:zlib'
import ExcelJS from 'exceljs'
import { UserFacingError } from '../../errors.js'
import { checkXlsxArchive, notXlsxError } from './check-xlsx-archive.js'
import type { ImportLimits } from './import-limits.js'
import type { ZipEntry } from './read-zip-directory.js'

/** A cell as the import reads it. */
export type CellValue = string | number | Date | null

/** One row of a sheet as read: its number as Excel shows it (1-based) and its cells by column (0-based). */
export interface SheetRow {
  number: number
  cells: CellValue[]
}

/** A sheet's name and its rows in order, read as they are needed (empty rows are not there). */
export interface SheetRows {
  name: string
  rows: AsyncIterable<SheetRow>
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

/**
 * The parts of exceljs's streaming reader (4.4) the import drives itself, each given the text of
 * one part. exceljs would read the zip with its own sequential parser and decode every inflated
 * chunk on its own, which splits a Chinese character falling across two chunks into two
 * replacement characters; here each part comes from the archive as checkXlsxArchive read it,
 * decoded as one UTF-8 text stream (docs/imports.md, Reading a large workbook).
 */
interface StreamingReader {
  options: Record<string, string>
  model?: { sheets?: { name: string; rId: string }[] }
  _parseRels(entry: Readable): Promise<void>
  _parseWorkbook(entry: Readable): Promise<void>
  _parseStyles(entry: Readable): Promise<void>
  _parseSharedStrings(entry: Readable): AsyncIterable<unknown>
  _parseWorksheet(entry: Readable, sheetNo: string): Iterable<{ value: WorksheetRows }>
  workbookRels?: { Id: string; Target: string }[]
}

interface WorksheetRows extends AsyncIterable<ExcelJS.Row> {
  name?: string
}

/** The part is not a whole XML document: exceljs's parser stops where the text stops, without a word. */
class TruncatedPartError extends Error {}

/**
 * One part's text, inflated and decoded as one stream, failing at its end unless it closes its
 * root element (`root`, with or without a namespace prefix): a cut-off part is a broken file, not
 * a shorter sheet.
 */
function partText(zip: Buffer, entry: ZipEntry, root: string): Readable {
  const data = zip.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize)
  const source = Readable.from([data], { objectMode: false })
  // zlib's own 16 KB chunks: each chunk's rows are all built before the next is read, and those of
  // 256 KB chunks lived long enough to reach the heap's old space (a higher peak RSS).
  const inflated = entry.method === 0 ? source : source.pipe(createInflateRaw())
  inflated.setEncoding('utf8')
  let tail = ''
  const closes = new RegExp(`</(?:[\\w.-]+:)?${root}>\\s*$`)
  const text = new Transform({
    decodeStrings: false,
    encoding: 'utf8',
    transform(chunk: string, _encoding, done) {
      tail = (tail + chunk).slice(-200)
      done(null, chunk)
    },
    flush(done) {
      done(closes.test(tail) ? null : new TruncatedPartError(entry.name))
    },
  })
  inflated.on('error', (error) => text.destroy(error))
  return inflated.pipe(text)
}

/** "worksheets/sheet1.xml" (relative to xl/) or "/xl/worksheets/sheet1.xml": the part's name in the zip. */
function partName(target: string): string {
  return target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`
}

/**
 * The sheets of an .xlsx file's bytes, in the workbook's order, each read row by row as it is
 * needed: only the shared strings are held, never the sheet (docs/imports.md, Reading a large
 * workbook). The archive is checked first (checkXlsxArchive); whatever exceljs then throws is
 * answered in Chinese, never with its English text.
 */
export async function streamWorkbookSheets(bytes: Buffer, name: string, limits: ImportLimits): Promise<SheetRows[]> {
  const entries = new Map((await checkXlsxArchive(bytes, name, limits)).map((entry) => [entry.name, entry]))
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([]), {
    sharedStrings: 'cache',
    // Styles tell a date from a number, as Excel shows the cell.
    styles: 'cache',
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'ignore',
  }) as unknown as StreamingReader
  const part = (partPath: string, root: string) => {
    const entry = entries.get(partPath)
    return entry ? partText(bytes, entry, root) : undefined
  }
  const sheets: { name: string; path: string }[] = []
  try {
    const rels = part('xl/_rels/workbook.xml.rels', 'Relationships')
    if (rels) await reader._parseRels(rels)
    await reader._parseWorkbook(part('xl/workbook.xml', 'workbook')!)
    const styles = part('xl/styles.xml', 'styleSheet')
    if (styles) await reader._parseStyles(styles)
    const sharedStrings = part('xl/sharedStrings.xml', 'sst')
    if (sharedStrings) for await (const _ of reader._parseSharedStrings(sharedStrings));
    for (const sheet of reader.model?.sheets ?? []) {
      const target = reader.workbookRels?.find((rel) => rel.Id === sheet.rId)?.Target
      if (target && entries.has(partName(target))) sheets.push({ name: sheet.name, path: partName(target) })
    }
  } catch (error) {
    throw readError(error, name, bytes)
  }
  return sheets.map((sheet) => ({ name: sheet.name, rows: sheetRows(reader, sheet.path, () => part(sheet.path, 'worksheet')!, name, bytes) }))
}

async function* sheetRows(reader: StreamingReader, path: string, open: () => Readable, name: string, bytes: Buffer): AsyncGenerator<SheetRow> {
  const sheetNo = /(\d+)\.xml$/.exec(path)?.[1] ?? '0'
  try {
    for (const { value: worksheet } of reader._parseWorksheet(open(), sheetNo)) {
      for await (const row of worksheet) {
        const cells: CellValue[] = []
        row.eachCell({ includeEmpty: true }, (cell, column) => {
          cells[column - 1] = cellText(cell.value)
        })
        for (let i = 0; i < cells.length; i++) cells[i] ??= null
        yield { number: row.number, cells }
      }
    }
  } catch (error) {
    throw readError(error, name, bytes)
  }
}

function readError(error: unknown, name: string, bytes: Buffer): UserFacingError {
  if (error instanceof UserFacingError) return error
  if (error instanceof RangeError) {
    return new UserFacingError('suspicious_archive', `「${name}」解压后的内容太大，无法读取。请拆分成几个文件分别导入。`)
  }
  return notXlsxError(name, bytes)
}
