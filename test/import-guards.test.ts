import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { constants, crc32, createInflateRaw, deflateRawSync } from 'node:zlib'
import type { DataSource } from 'typeorm'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load-config.js'
import { LedgerItemSchema, ProgressUpdateSchema, UnitSchema } from '../src/db/entities/index.js'
import { ConfigError, UserFacingError } from '../src/errors.js'
import { declaredSizeProblem } from '../src/domain/spreadsheets/check-xlsx-archive.js'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'
import { DEFAULT_IMPORT_LIMITS } from '../src/domain/spreadsheets/import-limits.js'
import { importUnits } from '../src/domain/spreadsheets/import-roster.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { part, zip, type Part } from './helpers/zip-writer.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * Imports refuse, before parsing, what would exhaust the process or answer in English: files
 * over the size limit, zip bombs (declared or hidden behind lying sizes), bytes that are no
 * workbook; and read CSV saved as GBK. Each refusal is Chinese and writes nothing.
 */

const MB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'import-guards-'))
let files = 0
const file = (extension: string, bytes: Buffer | string) => {
  const path = join(dir, `file${files++}${extension}`)
  writeFileSync(path, bytes)
  return path
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
const RELS = 'http://schemas.openxmlformats.org/package/2006/relationships'
const DOC = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
const TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml'
const STRINGS_HEAD = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="${MAIN}"><si><t>单位名称</t></si><si><t>单位类型</t></si><si><t>城关镇</t></si><si><t>镇</t></si>`

/** A workbook as Excel lays it out — one sheet 单位名称 | 单位类型 / 城关镇 | 镇 — with the shared strings given. */
function workbook(sharedStrings: Part, options: { workbookXml?: string; sheetXml?: string; zip64?: boolean } = {}): Buffer {
  const parts = [
    part(
      '[Content_Types].xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
        `<Override PartName="/xl/workbook.xml" ContentType="${TYPE}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="${TYPE}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="${TYPE}.sharedStrings+xml"/></Types>`,
    ),
    part('_rels/.rels', `<Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
    part('xl/workbook.xml', options.workbookXml ?? `<workbook xmlns="${MAIN}" xmlns:r="${DOC}"><sheets><sheet name="单位" sheetId="1" r:id="rId1"/></sheets></workbook>`),
    part('xl/_rels/workbook.xml.rels', `<Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${DOC}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`),
    part(
      'xl/worksheets/sheet1.xml',
      options.sheetXml ??
        `<worksheet xmlns="${MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row></sheetData></worksheet>`,
    ),
    sharedStrings,
  ]
  return zip(parts, options)
}

/**
 * xl/sharedStrings.xml expanding to `megabytes` MB: one megabyte of repeated text deflated once
 * and repeated (each piece ends on a full flush, so the pieces chain into one valid stream).
 */
function bombStrings(megabytes: number): Part {
  const flush = { finishFlush: constants.Z_FULL_FLUSH, level: 9 }
  const head = Buffer.from(STRINGS_HEAD)
  // 16 + 6 × 2728 = 16,384 bytes a record: 64 of them make exactly one megabyte.
  const block = Buffer.from(`<si><t>${'整改'.repeat(2728)}</t></si>`.repeat(64))
  const tail = Buffer.from('</sst>')
  const piece = deflateRawSync(block, flush)
  let crc = crc32(head)
  for (let i = 0; i < megabytes; i++) crc = crc32(block, crc)
  return {
    name: 'xl/sharedStrings.xml',
    deflated: Buffer.concat([deflateRawSync(head, flush), ...Array.from({ length: megabytes }, () => piece), deflateRawSync(tail)]),
    size: head.length + megabytes * block.length + tail.length,
    crc: crc32(tail, crc),
  }
}

/** The bytes a deflated part really expands to, counted in a stream (the fixture check). */
function inflatedLength(deflated: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0
    const inflate = createInflateRaw({ chunkSize: MB })
    inflate.on('data', (chunk: Buffer) => (total += chunk.length))
    inflate.on('end', () => resolve(total))
    inflate.on('error', reject)
    inflate.end(deflated)
  })
}

/** The Chinese message a refused import gives (it must refuse). */
async function refusal(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserFacingError)
  return (error as UserFacingError).message
}

/** Chinese, and none of the English that exceljs, jszip, zlib or csv-parse say. */
function expectChinese(message: string) {
  expect(message).toMatch(/[\u4e00-\u9fff]/)
  expect(message).not.toMatch(/central directory|jszip|stuk\.github|Invalid string length|Corrupted|unexpected|Error|Quote|incorrect header/i)
}

/** Process memory now, MB. */
const memory = () => ({ rss: process.memoryUsage().rss / MB, heap: process.memoryUsage().heapUsed / MB })

describe(`import guards on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  beforeEach(async () => {
    await db?.close()
    db = await createMigratedDatabase()
    ds = db.dataSource
  })
  afterAll(async () => {
    await db?.close()
  })
  const units = () => ds.getRepository(UnitSchema).count()

  it('the hand-made workbook is a real one: without a bomb in it, it imports, in ZIP64 form too', async () => {
    const strings = part('xl/sharedStrings.xml', `${STRINGS_HEAD}</sst>`)
    expect((await importUnits(ds, file('.xlsx', workbook(strings)))).created).toBe(1)
    expect((await importUnits(ds, file('.xlsx', workbook(strings, { zip64: true })))).unchanged).toBe(1)
    expect(await units()).toBe(1)
  })

  it('refuses a zip bomb in ZIP64 form, its sizes in the extra fields', async () => {
    const message = await refusal(importUnits(ds, file('.xlsx', workbook(bombStrings(340), { zip64: true }))))
    expect(message).toMatch(/^文件解压后过大或压缩比异常（「xl\/sharedStrings\.xml」由 \d+ KB 解压为 340 MB/)
    expect(await units()).toBe(0)
  })

  it('refuses a zip bomb (a few hundred KB whose sharedStrings.xml expands to 340 MB) at once, in Chinese, writing nothing; memory stays flat', async () => {
    const fixture = await seedLedger(ds)
    const strings = bombStrings(340)
    expect(await inflatedLength(strings.deflated)).toBe(strings.size)
    const path = file('.xlsx', workbook(strings))
    const before = { items: await ds.getRepository(LedgerItemSchema).count(), history: await ds.getRepository(ProgressUpdateSchema).count() }
    const start = memory()
    const started = performance.now()
    const message = await refusal(importLedger(ds, path, { campaignId: fixture.campaign.id }))
    const seconds = (performance.now() - started) / 1000
    const end = memory()
    expect(message).toMatch(/^文件解压后过大或压缩比异常（「xl\/sharedStrings\.xml」由 \d+ KB 解压为 340 MB，是 \d+ 倍，上限 100 倍），疑似损坏或恶意文件，已拒绝。/)
    expectChinese(message)
    expect(seconds).toBeLessThan(2)
    expect(end.rss - start.rss).toBeLessThan(100)
    expect({ items: await ds.getRepository(LedgerItemSchema).count(), history: await ds.getRepository(ProgressUpdateSchema).count() }).toEqual(before)
    console.log(
      `zip bomb ${(readFileSync(path).length / 1024).toFixed(0)} KB → ${(strings.size / MB).toFixed(0)} MB (declared): refused in ${(seconds * 1000).toFixed(0)} ms; ` +
        `RSS ${start.rss.toFixed(0)} → ${end.rss.toFixed(0)} MB (${(end.rss - start.rss).toFixed(1)} MB), heap ${start.heap.toFixed(0)} → ${end.heap.toFixed(0)} MB (${(end.heap - start.heap).toFixed(1)} MB)`,
    )
  })

  it('refuses a zip bomb whose directory lies (declares 2 KB): the inflating stops just past what was declared', async () => {
    const strings = { ...bombStrings(600), declaredSize: 2048 }
    const path = file('.xlsx', workbook(strings))
    const start = memory()
    const started = performance.now()
    const message = await refusal(importUnits(ds, path))
    const seconds = (performance.now() - started) / 1000
    const end = memory()
    expect(message).toBe('文件解压后过大或压缩比异常（「xl/sharedStrings.xml」实际解压出的数据多于它声明的 2 KB），疑似损坏或恶意文件，已拒绝。如确是正常的表格，请拆分成几个文件分别导入。')
    expect(seconds).toBeLessThan(2)
    expect(end.rss - start.rss).toBeLessThan(100)
    expect(await units()).toBe(0)
    console.log(`lying zip bomb (600 MB in ${(readFileSync(path).length / 1024).toFixed(0)} KB, declared 2 KB): refused in ${(seconds * 1000).toFixed(0)} ms; RSS ${(end.rss - start.rss).toFixed(1)} MB, heap ${(end.heap - start.heap).toFixed(1)} MB`)
  })

  it('judges declared sizes: a genuine 200,000-row province ledger (18 MB → 200 MB) passes; a bomb, too much in all, or one huge part does not', () => {
    const limits = DEFAULT_IMPORT_LIMITS
    const entry = (name: string, compressed: number, uncompressed: number) => ({ name, compressedSize: compressed * MB, uncompressedSize: uncompressed * MB })
    const province = [entry('xl/worksheets/sheet1.xml', 13, 150), entry('xl/sharedStrings.xml', 5, 50), entry('xl/styles.xml', 0.01, 0.05)]
    expect(declaredSizeProblem(province, 18 * MB, limits)).toBeNull()
    // Small parts compress as they like: a 2 MB sheet of empty cells from 10 KB is no bomb.
    expect(declaredSizeProblem([entry('xl/worksheets/sheet1.xml', 0.01, 2)], 0.02 * MB, limits)).toBeNull()
    expect(declaredSizeProblem([entry('xl/sharedStrings.xml', 0.8, 340)], 0.84 * MB, limits)).toBe('「xl/sharedStrings.xml」由 820 KB 解压为 340 MB，是 425 倍，上限 100 倍')
    expect(declaredSizeProblem([entry('xl/worksheets/sheet1.xml', 30, 600)], 30 * MB, limits)).toBe('「xl/worksheets/sheet1.xml」解压后 600 MB，单个部件上限 500 MB')
    expect(declaredSizeProblem([1, 2, 3].map((n) => entry(`xl/worksheets/sheet${n}.xml`, 15, 400)), 45 * MB, limits)).toBe('解压后共 1200 MB，上限 1024 MB')
    // Many parts each under the floor, but the file as a whole expands 200-fold.
    const many = Array.from({ length: 40 }, (_, n) => entry(`xl/worksheets/sheet${n}.xml`, 0.01, 5))
    expect(declaredSizeProblem(many, 1 * MB, limits)).toBe('1 MB 的文件解压为 200 MB，是 200 倍，上限 100 倍')
  })

  it('refuses a file over the size limit (default 50 MB) before reading it', async () => {
    const path = file('.xlsx', '')
    truncateSync(path, 51 * MB)
    const message = await refusal(importUnits(ds, path))
    expect(message).toBe(`文件过大：「${path.split('/').at(-1)}」有 51 MB，超过上限 50 MB。请拆分成几个文件分别导入（上限可用 IMPORT_MAX_MB 调整）。`)
    const csv = file('.csv', '单位名称,单位类型\n城关镇,镇\n')
    expect(await refusal(importUnits(ds, csv, { limits: { maxFileBytes: 10 } }))).toMatch(/^文件过大：.*有 1 KB，超过上限 1 KB/)
    expect(await units()).toBe(0)
  })

  it('answers bytes that are no workbook in Chinese: random bytes, text, an old .xls, a zip of something else, a truncated or corrupted workbook', async () => {
    const genuine = workbook(part('xl/sharedStrings.xml', `${STRINGS_HEAD}</sst>`))
    const corrupted = Buffer.from(genuine)
    corrupted.fill(0xff, 100, 160)
    const cases: [string, Buffer, RegExp][] = [
      ['random bytes', randomBytes(4096), /^不是有效的 xlsx 文件：「.*」不是 Excel 工作簿（可能已损坏，或是改了扩展名的其他文件）。请用 Excel 打开后另存为 \.xlsx 或 UTF-8 CSV 再导入。$/],
      ['text', Buffer.from('单位名称,单位类型\n城关镇,镇\n'), /^不是有效的 xlsx 文件/],
      ['an .xls', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), randomBytes(2048)]), /旧版 Excel（\.xls）文件或设了打开密码的工作簿/],
      ['a zip of something else', zip([part('word/document.xml', '<w:document/>')]), /^不是有效的 xlsx 文件/],
      ['a truncated workbook', genuine.subarray(0, genuine.length - 30), /^不是有效的 xlsx 文件/],
      ['a corrupted workbook', corrupted, /^不是有效的 xlsx 文件/],
      ['a workbook exceljs cannot read', workbook(part('xl/sharedStrings.xml', `${STRINGS_HEAD}</sst>`), { workbookXml: '<workbook><sheets><sheet name="x" r:id=' }), /^不是有效的 xlsx 文件/],
      // A whole zip whose sheet stops midway: the rows before the cut are not imported as if they were all.
      ['a sheet cut off midway', workbook(part('xl/sharedStrings.xml', `${STRINGS_HEAD}</sst>`), { sheetXml: `<worksheet xmlns="${MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c>` }), /^不是有效的 xlsx 文件/],
    ]
    for (const [name, bytes, expected] of cases) {
      const message = await refusal(importUnits(ds, file('.xlsx', bytes)))
      expect(message, name).toMatch(expected)
      expectChinese(message)
    }
    expect(await units()).toBe(0)
  })

  // GBK, as Excel on Chinese Windows saves "CSV (逗号分隔)"; the bytes of each character used.
  const GBK: Record<string, string> = { 单: 'b5a5', 位: 'cebb', 名: 'c3fb', 称: 'b3c6', 类: 'c0e0', 型: 'd0cd', 上: 'c9cf', 级: 'bcb6', 城: 'b3c7', 关: 'b9d8', 镇: 'd5f2', 县: 'cfd8', 住: 'd7a1', 建: 'bda8', 局: 'bed6', 直: 'd6b1' }
  const gbk = (text: string) => Buffer.concat([...text].map((c) => (GBK[c] ? Buffer.from(GBK[c], 'hex') : Buffer.from(c, 'latin1'))))

  it('imports a CSV saved as GBK', async () => {
    const bytes = gbk('单位名称,单位类型,上级单位\r\n城关镇,镇,\r\n县住建局,县直单位,\r\n')
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow()
    const result = await importUnits(ds, file('.csv', bytes))
    expect([result.created, result.problems]).toEqual([2, []])
    expect((await ds.getRepository(UnitSchema).find({ order: { id: 'ASC' } })).map((u) => [u.name, u.kind])).toEqual([
      ['城关镇', 'town'],
      ['县住建局', 'county_department'],
    ])
  })

  it('says what to do with a CSV it cannot read: neither UTF-8 nor GBK, UTF-16, an unclosed quote, GBK without the headers', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['neither UTF-8 nor GBK', Buffer.concat([gbk('单位名称,单位类型\n'), Buffer.from([0xff, 0x41, 0x81, 0x20])]), /文件可能是 GBK 编码，请另存为 UTF-8 CSV 或 xlsx。$/],
      ['UTF-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('单位名称\t单位类型\n', 'utf16le')]), /是 UTF-16 编码（Excel 的“Unicode 文本”），请另存为 UTF-8 CSV 或 xlsx。$/],
      ['an unclosed quote', Buffer.from('单位名称,单位类型\n"城关镇,镇\n县住建局,县直单位\n'), /^读不了「.*」：第 \d+ 行CSV 格式有误（多半是引号不成对）。/],
      ['GBK without the headers', gbk('城关镇,镇\n'), /^文件中没有找到表头。.*（文件不是 UTF-8，已按 GBK 编码读取。文件可能是 GBK 编码，请另存为 UTF-8 CSV 或 xlsx。）$/],
      ['an xlsx named .csv', workbook(part('xl/sharedStrings.xml', `${STRINGS_HEAD}</sst>`)), /的内容是 xlsx 工作簿，不是 CSV：请把扩展名改为 \.xlsx 再导入。$/],
    ]
    for (const [name, bytes, expected] of cases) {
      const message = await refusal(importUnits(ds, file('.csv', bytes)))
      expect(message, name).toMatch(expected)
      expectChinese(message)
    }
    expect(await units()).toBe(0)
  })

  it('IMPORT_MAX_MB sets the limit the command line uses (1–500, default 50)', async () => {
    expect(loadConfig({}).importMaxBytes).toBe(50 * MB)
    expect(loadConfig({ IMPORT_MAX_MB: '80' }).importMaxBytes).toBe(80 * MB)
    expect(() => loadConfig({ IMPORT_MAX_MB: '0' })).toThrow(ConfigError)
    const path = file('.xlsx', '')
    truncateSync(path, 2 * MB)
    const child = spawnService({ DATABASE_URL: db.url, IMPORT_MAX_MB: '1' }, 'src/cli/main.ts', ['import', 'units', path])
    expect(await child.exited).not.toBe(0)
    expect(child.output().trim()).toBe(`文件过大：「${path.split('/').at(-1)}」有 2 MB，超过上限 1 MB。请拆分成几个文件分别导入（上限可用 IMPORT_MAX_MB 调整）。`)
    expect(await units()).toBe(0)
  })
})
