import { Readable } from 'node:stream'
import { createInflateRaw } from 'node:zlib'
import { SaxesParser, type SaxesTagPlain } from 'saxes'
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

/** The part is not XML a workbook is made of (cut off, a DTD, malformed). */
class BrokenPartError extends Error {}

/** One XML event, as the readers below take them. */
type XmlEvent = { kind: 'open'; tag: SaxesTagPlain } | { kind: 'text'; text: string } | { kind: 'close'; name: string }

/**
 * One part of the archive, as checkXlsxArchive read it (docs/imports.md, Reading a large
 * workbook): inflated in zlib's 16 KB chunks, decoded as one UTF-8 text stream, parsed by saxes
 * (entities decoded once), its events handed over a chunk at a time. A part that is not a whole
 * document (cut off midway) or declares a DTD fails.
 */
async function* partEvents(zip: Buffer, entry: ZipEntry): AsyncGenerator<XmlEvent[]> {
  const data = zip.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize)
  const source = Readable.from([data], { objectMode: false })
  // zlib's own 16 KB chunks: each chunk's events are all built before the next is read, and those
  // of 256 KB chunks lived long enough to reach the heap's old space (a higher peak RSS).
  const text = entry.method === 0 ? source : source.pipe(createInflateRaw())
  text.setEncoding('utf8')
  const parser = new SaxesParser()
  let events: XmlEvent[] = []
  let failure: Error | undefined
  parser.on('error', (error) => (failure ??= error))
  parser.on('doctype', () => (failure ??= new BrokenPartError(`${entry.name}: a DTD`)))
  parser.on('opentag', (tag) => events.push({ kind: 'open', tag: tag as SaxesTagPlain }))
  parser.on('text', (value) => events.push({ kind: 'text', text: value }))
  parser.on('cdata', (value) => events.push({ kind: 'text', text: value }))
  parser.on('closetag', (tag) => events.push({ kind: 'close', name: tag.name }))
  for await (const chunk of text as AsyncIterable<string>) {
    parser.write(chunk)
    if (failure) throw failure
    yield events
    events = []
  }
  parser.close()
  if (failure) throw failure
  yield events
}

/** The local name of a tag ("x:worksheet" → "worksheet"). */
const local = (name: string) => name.slice(name.indexOf(':') + 1)

/** An attribute by its local name. */
function attribute(tag: SaxesTagPlain, name: string): string | undefined {
  for (const [key, value] of Object.entries(tag.attributes)) if (local(key) === name) return value
  return undefined
}

/**
 * The text of a shared string (`<si>`) or an inline string (`<is>`): every `<t>`, in plain or
 * rich-text runs, together; a phonetic guide (`<rPh>`, 拼音指南) is not the text.
 */
class StringText {
  private parts: string[] = []
  private inT = false
  private inGuide = 0
  open(name: string): void {
    if (name === 'rPh') this.inGuide += 1
    else if (name === 't' && this.inGuide === 0) this.inT = true
  }
  close(name: string): void {
    if (name === 'rPh') this.inGuide -= 1
    else if (name === 't') this.inT = false
  }
  text(value: string): void {
    if (this.inT) this.parts.push(value)
  }
  take(): string {
    const text = this.parts.join('')
    this.parts = []
    return text
  }
}

/** xl/sharedStrings.xml: every string's text, in order. */
async function readSharedStrings(events: AsyncIterable<XmlEvent[]>): Promise<string[]> {
  const strings: string[] = []
  const text = new StringText()
  let inString = false
  for await (const batch of events) {
    for (const event of batch) {
      if (event.kind === 'open') {
        const name = local(event.tag.name)
        if (name === 'si') inString = true
        else if (inString) text.open(name)
      } else if (event.kind === 'text') {
        if (inString) text.text(event.text)
      } else {
        const name = local(event.name)
        if (name === 'si') {
          strings.push(text.take())
          inString = false
        } else if (inString) text.close(name)
      }
    }
  }
  return strings
}

/** Excel's built-in number formats that show a date or a time (ECMA-376 18.8.30, with the CJK ones). */
const BUILT_IN_DATES = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58])

/** A format code that shows a date or time: y, m, d, h or s outside quoted text, brackets and escapes. */
export function isDateFormat(code: string): boolean {
  const plain = code.replace(/"[^"]*"/g, '').replace(/\[[^\]]*]/g, '').replace(/\\./g, '').replace(/_.|\*./g, '')
  return /[ymdhs]/i.test(plain) && !/^general$/i.test(plain.trim())
}

/** xl/styles.xml: for each cell style (`s`), whether it shows a date. */
async function readDateStyles(events: AsyncIterable<XmlEvent[]>): Promise<boolean[]> {
  const custom = new Map<number, boolean>()
  const styles: boolean[] = []
  let inCellXfs = false
  for await (const batch of events) {
    for (const event of batch) {
      if (event.kind === 'open') {
        const name = local(event.tag.name)
        if (name === 'numFmt') custom.set(Number(attribute(event.tag, 'numFmtId')), isDateFormat(attribute(event.tag, 'formatCode') ?? ''))
        else if (name === 'cellXfs') inCellXfs = true
        else if (name === 'xf' && inCellXfs) {
          const id = Number(attribute(event.tag, 'numFmtId') ?? 0)
          styles.push(custom.get(id) ?? BUILT_IN_DATES.has(id))
        }
      } else if (event.kind === 'close' && local(event.name) === 'cellXfs') inCellXfs = false
    }
  }
  return styles
}

/** xl/workbook.xml: the sheets in order (name, relationship id) and the date system. */
async function readWorkbook(events: AsyncIterable<XmlEvent[]>): Promise<{ sheets: { name: string; rId: string }[]; date1904: boolean }> {
  const sheets: { name: string; rId: string }[] = []
  let date1904 = false
  for await (const batch of events) {
    for (const event of batch) {
      if (event.kind !== 'open') continue
      const name = local(event.tag.name)
      if (name === 'workbookPr') date1904 = ['1', 'true'].includes(attribute(event.tag, 'date1904') ?? '')
      else if (name === 'sheet') sheets.push({ name: attribute(event.tag, 'name') ?? '', rId: attribute(event.tag, 'id') ?? '' })
    }
  }
  return { sheets, date1904 }
}

/** xl/_rels/workbook.xml.rels: the worksheets' part names by relationship id (chart sheets and others left out). */
async function readWorksheetTargets(events: AsyncIterable<XmlEvent[]>): Promise<Map<string, string>> {
  const targets = new Map<string, string>()
  for await (const batch of events) {
    for (const event of batch) {
      if (event.kind !== 'open' || local(event.tag.name) !== 'Relationship') continue
      const type = attribute(event.tag, 'Type') ?? ''
      const target = attribute(event.tag, 'Target')
      if (type.endsWith('/worksheet') && target) targets.set(attribute(event.tag, 'Id') ?? '', partName(target))
    }
  }
  return targets
}

/** "worksheets/sheet1.xml" (relative to xl/) or "/xl/worksheets/sheet1.xml": the part's name in the zip. */
function partName(target: string): string {
  return target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`
}

/** "AB12" → 27 (0-based column). */
function columnOf(ref: string): number {
  let column = 0
  for (let i = 0; i < ref.length; i++) {
    const code = ref.charCodeAt(i)
    if (code < 65 || code > 90) break
    column = column * 26 + (code - 64)
  }
  return column - 1
}

/** A serial date in the workbook's date system, as a UTC instant (what exceljs gave). */
function serialDate(serial: number, date1904: boolean): Date {
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, 30)
  return new Date(epoch + Math.round(serial * 86_400_000))
}

/** Text as the import takes it: trimmed, empty as nothing. */
const textCell = (text: string): CellValue => (text.trim() === '' ? null : text.trim())

interface SheetContext {
  strings: readonly string[]
  dateStyles: readonly boolean[]
  date1904: boolean
}

/**
 * A worksheet's rows, as each row's end is read. A cell's value is its shared string, its inline
 * string, its boolean (是/否), its number — a date when its style shows one, a formula's cached
 * result too — or nothing (an error, a blank). A cell or row without its reference follows the
 * one before it.
 */
async function* readSheetRows(events: AsyncIterable<XmlEvent[]>, context: SheetContext): AsyncGenerator<SheetRow> {
  let rowNumber = 0
  let cells: CellValue[] | null = null
  let column = -1
  let cell: { type: string; style: number; value: string | null } | null = null
  let inValue = false
  let inInline = false
  const inline = new StringText()
  const valueParts: string[] = []
  for await (const batch of events) {
    const rows: SheetRow[] = []
    for (const event of batch) {
      if (event.kind === 'open') {
        const name = local(event.tag.name)
        if (name === 'row') {
          const r = attribute(event.tag, 'r')
          rowNumber = r ? Number(r) : rowNumber + 1
          cells = []
          column = -1
        } else if (name === 'c' && cells) {
          const r = attribute(event.tag, 'r')
          column = r ? columnOf(r) : column + 1
          cell = { type: attribute(event.tag, 't') ?? 'n', style: Number(attribute(event.tag, 's') ?? 0), value: null }
        } else if (name === 'v' && cell) {
          inValue = true
          valueParts.length = 0
        } else if (name === 'is' && cell) inInline = true
        else if (inInline) inline.open(name)
      } else if (event.kind === 'text') {
        if (inValue) valueParts.push(event.text)
        else if (inInline) inline.text(event.text)
      } else {
        const name = local(event.name)
        if (name === 'v' && inValue) {
          inValue = false
          cell!.value = valueParts.join('')
        } else if (name === 'is' && inInline) {
          inInline = false
          cell!.value = inline.take()
        } else if (inInline) inline.close(name)
        else if (name === 'c' && cell && cells) {
          cells[column] = cellValue(cell, context)
          cell = null
        } else if (name === 'row' && cells) {
          for (let i = 0; i < cells.length; i++) cells[i] ??= null
          rows.push({ number: rowNumber, cells })
          cells = null
        }
      }
    }
    yield* rows
  }
}

function cellValue(cell: { type: string; style: number; value: string | null }, context: SheetContext): CellValue {
  const { type, value } = cell
  if (value === null) return null
  switch (type) {
    case 's':
      return textCell(context.strings[Number(value)] ?? '')
    case 'inlineStr':
    case 'str':
      return textCell(value)
    case 'b':
      return value.trim() === '0' ? '否' : '是'
    case 'e':
      return null
    case 'd': {
      const date = new Date(value)
      return Number.isNaN(date.getTime()) ? textCell(value) : date
    }
    default: {
      const number = Number(value)
      if (value.trim() === '' || !Number.isFinite(number)) return textCell(value)
      return context.dateStyles[cell.style] ? serialDate(number, context.date1904) : number
    }
  }
}

/**
 * The sheets of an .xlsx file's bytes, in the workbook's order, each read row by row as it is
 * needed: only the shared strings are held, never the sheet (docs/imports.md, Reading a large
 * workbook). The archive is checked first (checkXlsxArchive); a part that is not the XML a
 * workbook is made of is answered in Chinese as a broken file.
 */
export async function streamWorkbookSheets(bytes: Buffer, name: string, limits: ImportLimits): Promise<SheetRows[]> {
  const entries = new Map((await checkXlsxArchive(bytes, name, limits)).map((entry) => [entry.name, entry]))
  const events = (path: string) => {
    const entry = entries.get(path)
    return entry ? partEvents(bytes, entry) : undefined
  }
  let context: SheetContext
  const sheets: { name: string; path: string }[] = []
  try {
    const workbook = await readWorkbook(events('xl/workbook.xml')!)
    const rels = events('xl/_rels/workbook.xml.rels')
    const targets = rels ? await readWorksheetTargets(rels) : new Map<string, string>()
    const styles = events('xl/styles.xml')
    const strings = events('xl/sharedStrings.xml')
    context = { strings: strings ? await readSharedStrings(strings) : [], dateStyles: styles ? await readDateStyles(styles) : [], date1904: workbook.date1904 }
    for (const sheet of workbook.sheets) {
      const path = targets.get(sheet.rId)
      if (path && entries.has(path)) sheets.push({ name: sheet.name, path })
    }
  } catch (error) {
    throw readError(error, name, bytes)
  }
  return sheets.map((sheet) => ({ name: sheet.name, rows: guarded(readSheetRows(events(sheet.path)!, context), name, bytes) }))
}

async function* guarded(rows: AsyncIterable<SheetRow>, name: string, bytes: Buffer): AsyncGenerator<SheetRow> {
  try {
    yield* rows
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
