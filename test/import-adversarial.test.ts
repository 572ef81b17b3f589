import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { LedgerItemSchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { UserFacingError } from '../src/errors.js'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'
import { startCallbackRig, type Said } from './helpers/callback-rig.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { part, zip } from './helpers/zip-writer.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * Adversarial checks of the streamed ledger import (docs/imports.md, Reading a large workbook;
 * Writing in batches): workbooks the whole-workbook reader read and the streaming one must read
 * the same, hostile XML, interrupted batches and reruns, two imports at once, the dry run.
 */

const dir = mkdtempSync(join(tmpdir(), 'import-adversarial-'))
let files = 0
const save = (bytes: Buffer | string, extension = '.xlsx') => {
  const path = join(dir, `file${files++}${extension}`)
  writeFileSync(path, bytes)
  return path
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
const RELS = 'http://schemas.openxmlformats.org/package/2006/relationships'
const DOC = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
const HEAD = ['单位', '问题类别', '问题描述', '整改措施', '整治目标', '完成时限', '责任领导', '具体责任人']
/** A row of 城关镇 (李娜 leads, 赵磊 is responsible), its problem text given. */
const ROW = (problem: string) => ['城关镇', '(三)', problem, '建立台账', '按期整改', '2015-09-30', '李娜', '赵磊']
const column = (i: number) => String.fromCharCode(65 + i)
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
/** An inline-string cell. */
const inline = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${escape(text)}</t></is></c>`
/** A row of inline strings; `replace` gives some cells' XML instead (by column index). */
const row = (n: number, texts: string[], replace: Record<number, string> = {}) =>
  `<row r="${n}">${texts.map((t, i) => replace[i] ?? inline(`${column(i)}${n}`, t)).join('')}</row>`
const sheetXml = (rows: string[], tail = '') => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${MAIN}"><sheetData>${rows.join('')}</sheetData></worksheet>${tail}`
/** Styles: cellXfs 1 is the built-in date format 14. */
const STYLES =
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="${MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
  `<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
  `<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`

interface Sheet {
  name: string
  /** The rels Target; worksheets/sheetN.xml by default. */
  target?: string
  /** The part's name in the zip, when not xl/ + target. */
  path?: string
  /** The part's XML; no part at all when undefined (a sheet listed but missing). */
  xml?: string
  sheetId?: number
  state?: string
  type?: string
}

/** A workbook laid out as Excel does, with the sheets given (in workbook order). */
function workbook(sheets: Sheet[], options: { workbookPr?: string; sharedStrings?: string } = {}): Buffer {
  const target = (s: Sheet, i: number) => s.target ?? `worksheets/sheet${i + 1}.xml`
  const rels = sheets.map((s, i) => `<Relationship Id="rId${i + 1}" Type="${DOC}/${s.type ?? 'worksheet'}" Target="${target(s, i)}"/>`)
  rels.push(`<Relationship Id="rId91" Type="${DOC}/styles" Target="styles.xml"/>`)
  if (options.sharedStrings) rels.push(`<Relationship Id="rId90" Type="${DOC}/sharedStrings" Target="sharedStrings.xml"/>`)
  const parts = [
    part(
      '[Content_Types].xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
    ),
    part('_rels/.rels', `<Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
    part(
      'xl/workbook.xml',
      `<workbook xmlns="${MAIN}" xmlns:r="${DOC}">${options.workbookPr ?? ''}<sheets>${sheets.map((s, i) => `<sheet name="${s.name}" sheetId="${s.sheetId ?? i + 1}"${s.state ? ` state="${s.state}"` : ''} r:id="rId${i + 1}"/>`).join('')}</sheets></workbook>`,
    ),
    part('xl/_rels/workbook.xml.rels', `<Relationships xmlns="${RELS}">${rels.join('')}</Relationships>`),
    part('xl/styles.xml', STYLES),
    ...(options.sharedStrings ? [part('xl/sharedStrings.xml', options.sharedStrings)] : []),
    ...sheets.flatMap((s, i) => (s.xml === undefined ? [] : [part(s.path ?? `xl/${target(s, i).replace(/^\.?\//, '').replace(/^xl\//, '')}`, s.xml)])),
  ]
  return zip(parts)
}

/** A sheet of the header and one row per problem text. */
const ledgerSheet = (...problems: string[]) => sheetXml([row(1, HEAD), ...problems.map((p, i) => row(i + 2, ROW(p)))])

/** The message an import is refused with, '' when it is not. */
const refusal = (run: Promise<unknown>) =>
  run.then(
    () => '',
    (error: unknown) => {
      expect(error).toBeInstanceOf(UserFacingError)
      return (error as Error).message
    },
  )

describe(`the streamed ledger import, adversarially, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  beforeEach(async () => {
    await db?.close()
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
  })
  afterAll(async () => {
    await db?.close()
  })

  /** The problem texts of the items the import added (the fixture has three). */
  const added = async () => (await ds.getRepository(LedgerItemSchema).find({ where: { campaignId: fixture.campaign.id }, order: { id: 'ASC' } })).slice(3)

  /** Imports the workbook; no problems; the added items' problem texts. */
  async function imported(bytes: Buffer): Promise<string[]> {
    const result = await importLedger(ds, save(bytes))
    expect(result.problems).toEqual([])
    return (await added()).map((item) => item.problem)
  }

  describe('workbooks the whole-workbook reader read', () => {
    it('an inline string of several rich-text runs reads as all its runs', async () => {
      const rich = `<c r="C2" t="inlineStr"><is><r><t>便民服务</t></r><r><rPr><b/></rPr><t>窗口推诿</t></r></is></c>`
      expect(await imported(workbook([{ name: '台账', xml: sheetXml([row(1, HEAD), row(2, ROW(''), { 2: rich })]) }]))).toEqual(['便民服务窗口推诿'])
    })

    it('a shared string with a phonetic guide (拼音指南) reads as its text, not the guide', async () => {
      const strings = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="${MAIN}"><si><t>窗口推诿</t><rPh sb="0" eb="4"><t>chuang kou tui wei</t></rPh><phoneticPr fontId="0" type="noConversion"/></si></sst>`
      const xml = sheetXml([row(1, HEAD), row(2, ROW(''), { 2: '<c r="C2" t="s"><v>0</v></c>' })])
      expect(await imported(workbook([{ name: '台账', xml }], { sharedStrings: strings }))).toEqual(['窗口推诿'])
    })

    it('a workbook with a chart sheet beside the data imports the data', async () => {
      const chart = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<chartsheet xmlns="${MAIN}" xmlns:r="${DOC}"><sheetPr/><sheetViews><sheetView workbookViewId="0"/></sheetViews><drawing r:id="rId1"/></chartsheet>`
      const bytes = workbook([
        { name: '台账', xml: ledgerSheet('图表旁的问题') },
        { name: '进度图', type: 'chartsheet', target: 'chartsheets/sheet1.xml', xml: chart },
      ])
      expect(await imported(bytes)).toEqual(['图表旁的问题'])
    })

    it('a sheet part whose root is followed by a comment or a processing instruction, or closed as </worksheet >, is a whole sheet', async () => {
      const endings = [
        ledgerSheet('注释结尾') + '<!-- exported by 台账系统 -->',
        ledgerSheet('指令结尾') + '<?generator 台账系统?>',
        ledgerSheet('空格结尾').replace('</worksheet>', '</worksheet >'),
      ]
      const read: string[] = []
      for (const xml of endings) {
        await refusal(importLedger(ds, save(workbook([{ name: '台账', xml }])))).then((message) => expect(message).toBe(''))
        read.push(...(await added()).map((item) => item.problem).filter((p) => !read.includes(p)))
      }
      expect(read).toEqual(['注释结尾', '指令结尾', '空格结尾'])
    })

    it('a due date computed by a formula in a workbook of the 1904 date system is that date', async () => {
      // =DATE(2020,9,30) cached as 1904 serial 42642, in a date format: Excel shows 2020-09-30.
      const due = '<c r="F2" s="1"><f>DATE(2020,9,30)</f><v>42642</v></c>'
      const bytes = workbook([{ name: '台账', xml: sheetXml([row(1, HEAD), row(2, ROW('公式时限'), { 5: due })]) }], { workbookPr: '<workbookPr date1904="1"/>' })
      expect(await imported(bytes)).toEqual(['公式时限'])
      expect((await added())[0]!.dueDate).toBe('2020-09-30')
    })

    it('an inline string keeps text that looks like an XML entity ("A&lt;B" as typed)', async () => {
      expect(await imported(workbook([{ name: '台账', xml: ledgerSheet('标准“&lt;”与“&amp;”写法不一') }]))).toEqual(['标准“&lt;”与“&amp;”写法不一'])
    })

    it('reads the sheets as the old reader did: rels targets absolute, ./ or oddly named; a listed sheet missing; hidden and empty sheets; a BOM; dates as dates in both systems; booleans; row 1,048,576; a header on row 10 under a second header row', async () => {
      const dated = (n: number, problem: string, serial: number) => row(n, ROW(problem), { 5: `<c r="F${n}" s="1"><v>${serial}</v></c>` })
      const publicHead = [...HEAD, '是否公开']
      const twoRowHead = ['单位', '问题类别', '问题描述', '整改措施', '整治目标', '完成时限', '责任人', '']
      const bytes = workbook([
        { name: '缺失' },
        { name: '绝对路径', target: '/xl/worksheets/sheet2.xml', xml: ledgerSheet('绝对路径的表') },
        { name: '点路径', target: './worksheets/sheet3.xml', xml: '\uFEFF' + ledgerSheet('带BOM的表') },
        { name: '隐藏', state: 'hidden', target: 'worksheets/data.xml', xml: sheetXml([row(1, HEAD), dated(2, '日期格式的时限', 42277)]) },
        { name: '空表', xml: sheetXml([]) },
        {
          name: '布尔',
          xml: sheetXml([row(1, publicHead), row(2, [...ROW('布尔公开'), ''], { 8: '<c r="I2" t="b"><v>1</v></c>' }), row(1_048_576, [...ROW('最后一行'), '否'])]),
        },
        {
          name: '第十行表头',
          // Notes above, "责任人" over 责任领导 | 具体责任人 on rows 10 and 11.
          xml: sheetXml([row(1, ['说明：本表为第三季度台账']), row(10, twoRowHead), row(11, ['', '', '', '', '', '', '责任领导', '具体责任人']), row(12, ROW('第十行表头下的问题'))]),
        },
      ])
      expect(await imported(bytes)).toEqual(['绝对路径的表', '带BOM的表', '日期格式的时限', '布尔公开', '最后一行', '第十行表头下的问题'])
      const items = await added()
      expect(items.map((i) => [i.dueDate, i.isPublic])).toEqual([
        ['2015-09-30', false],
        ['2015-09-30', false],
        ['2015-09-30', false],
        ['2015-09-30', true],
        ['2015-09-30', false],
        ['2015-09-30', false],
      ])
      // The 1904 system: serial 40815 is 2015-09-30 there.
      const bytes1904 = workbook([{ name: '台账', xml: sheetXml([row(1, HEAD), dated(2, '1904日期', 40815)]) }], { workbookPr: '<workbookPr date1904="1"/>' })
      expect(await imported(bytes1904)).toContain('1904日期')
      expect((await added()).at(-1)!.dueDate).toBe('2015-09-30')
    })

    it('refuses hostile XML in Chinese, writing nothing: an entity declared in a DOCTYPE, a sheet cut off after a row', async () => {
      const entity = `<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY u "城关镇">]>` + ledgerSheet('实体').replace(/^<\?xml[^>]*>\n/, '').replace('城关镇', '&u;')
      const cut = ledgerSheet('截断一', '截断二').replace(/<row r="3">[\s\S]*$/, '')
      for (const xml of [entity, cut]) {
        const message = await refusal(importLedger(ds, save(workbook([{ name: '台账', xml }]))))
        expect(message).toMatch(/^不是有效的 xlsx 文件/)
      }
      expect(await added()).toEqual([])
    })
  })

  describe('writing in batches', () => {
    /** A workbook of `count` rows of 城关镇, problem texts from `problem`, measures `measures`. */
    async function ledger(count: number, problem: (n: number) => string, measures: (n: number) => string = () => '建立台账'): Promise<string> {
      const book = new ExcelJS.Workbook()
      const sheet = book.addWorksheet('工作台账')
      sheet.addRow(['编号', ...HEAD])
      for (let n = 0; n < count; n++) sheet.addRow([null, '城关镇', '(三)', problem(n), measures(n), '按期整改', '2015-09-30', '李娜', '赵磊'])
      const path = join(dir, `ledger${files++}.xlsx`)
      await book.xlsx.writeFile(path)
      return path
    }
    const history = (kind: 'created' | 'edited') => ds.getRepository(ProgressUpdateSchema).findBy({ kind, note: kind === 'created' ? '表格导入' : '表格导入更新' })

    it('a batch failing after its items were inserted but before their history rows writes none of them; the rerun adds each once, with one created row', async () => {
      const path = await ledger(350, (n) => `中断问题${n}`)
      // The third batch of 100 inserts its items (303 in all), then its history rows fail.
      const trigger =
        dialect === 'mysql'
          ? `CREATE TRIGGER adversarial_fail BEFORE INSERT ON progress_update FOR EACH ROW BEGIN IF (SELECT COUNT(*) FROM ledger_item) > 250 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`
          : `CREATE TRIGGER adversarial_fail BEFORE INSERT ON progress_update WHEN (SELECT COUNT(*) FROM ledger_item) > 250 BEGIN SELECT RAISE(ABORT, 'injected failure'); END`
      await ds.query(trigger)
      const message = await refusal(importLedger(ds, path, { batchRows: 100 }))
      await ds.query('DROP TRIGGER adversarial_fail')
      expect(message).toMatch(/^导入中断：数据库出错（.*injected failure.*）。表中前 200 条已写入（新增 200 项，更新 0 项），其余 150 条未写入。/)
      expect(await added()).toHaveLength(200)
      expect(await history('created')).toHaveLength(200)

      const again = await importLedger(ds, path, { batchRows: 100 })
      expect([again.created, again.updated, again.unchanged]).toEqual([150, 0, 200])
      const items = await added()
      expect(items.map((i) => i.problem)).toEqual(Array.from({ length: 350 }, (_, n) => `中断问题${n}`))
      const created = await history('created')
      expect(created.map((row) => row.ledgerItemId).sort((a, b) => a - b)).toEqual(items.map((i) => i.id))
    }, 60_000)

    it('the dry run counts what the import then does: new, changed, unchanged, found by 编号 or by a problem text written differently', async () => {
      await importLedger(ds, await ledger(12, (n) => `核对问题${n}`))
      const ids = (await added()).map((i) => i.id)
      const book = new ExcelJS.Workbook()
      const sheet = book.addWorksheet('工作台账')
      sheet.addRow(['编号', ...HEAD])
      for (let n = 0; n < 12; n++) {
        // 0–3 as they were; 4–6 new measures; 7–8 the problem with full-width digits and spaces (the same item, its text updated); 9–11 by 编号 with a new target; and 4 new.
        const problem = n === 7 || n === 8 ? `核对 问题${String.fromCharCode(0xff10 + n)}` : `核对问题${n}`
        sheet.addRow([n >= 9 ? `#${ids[n]}` : null, '城关镇', '(三)', problem, n >= 4 && n <= 6 ? '新措施' : '建立台账', n >= 9 ? '新目标' : '按期整改', '2015-09-30', '李娜', '赵磊'])
      }
      for (let n = 0; n < 4; n++) sheet.addRow([null, '城关镇', '(三)', `新增核对问题${n}`, '建立台账', '按期整改', '2015-09-30', '李娜', '赵磊'])
      const path = join(dir, `ledger${files++}.xlsx`)
      await book.xlsx.writeFile(path)

      const dry = await importLedger(ds, path, { dryRun: true, batchRows: 5 })
      const real = await importLedger(ds, path, { batchRows: 5 })
      const counts = (r: typeof dry) => ({ rows: r.rows, created: r.created, updated: r.updated, unchanged: r.unchanged, updatedIds: [...(r.updatedIds ?? [])].sort((a, b) => a - b) })
      expect(counts(dry)).toEqual(counts(real))
      expect([real.created, real.updated, real.unchanged]).toEqual([4, 8, 4])
      const after = await importLedger(ds, path, { dryRun: true })
      expect([after.created, after.updated, after.unchanged]).toEqual([0, 0, 16])
    }, 60_000)

    it('two imports of the same file at the same time: each item once, one created row each, the two agree on what was written', async () => {
      const path = await ledger(2500, (n) => `同时导入问题${n}`)
      const [a, b] = await Promise.all([importLedger(ds, path, { batchRows: 500 }), importLedger(ds, path, { batchRows: 500 })])
      const items = await added()
      expect(items).toHaveLength(2500)
      expect(new Set(items.map((i) => i.problem)).size).toBe(2500)
      expect(a.created + b.created).toBe(2500)
      expect(a.created + a.updated + a.unchanged).toBe(2500)
      expect(b.created + b.updated + b.unchanged).toBe(2500)
      expect(a.updated + b.updated).toBe(0)
      const created = await history('created')
      expect(created.map((row) => row.ledgerItemId).sort((x, y) => x - y)).toEqual(items.map((i) => i.id))
    }, 120_000)

    it('the command line, 5,000 rows: one line saying what was written; a re-import changing every other row says so in a line people can read', async () => {
      const run = async (path: string) => {
        const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', ['import', 'ledger', path])
        expect(await child.exited).toBe(0)
        return child.output().trim()
      }
      const first = await run(await ledger(5000, (n) => `命令行问题${n}`))
      const ids = (await added()).map((i) => i.id)
      expect(first).toBe(`已导入 5000 行台账条目：新增 5000 项（#${ids[0]}–#${ids.at(-1)}）；更新 0 项；未变 0 项。`)
      const second = await run(await ledger(5000, (n) => `命令行问题${n}`, (n) => (n % 2 ? '改过的措施' : '建立台账')))
      expect(second).toMatch(/^已导入 5000 行台账条目：新增 0 项；更新 2500 项/)
      // 2,500 scattered ids listed one by one would be some 20,000 characters on one line.
      expect(second.length).toBeLessThan(2000)
    }, 180_000)
  })
})

/**
 * The batch's promise (docs/imports.md, Writing in batches): a problem someone registers in chat
 * while the batch that adds it runs is one item, not a failed import. The batch's INSERT is made
 * slow (on MariaDB, a trigger sleeping per row) so that the 登记 lands between the batch's look at
 * the items added since and its INSERT.
 */
describe(`a 登记 landing inside a batch, on ${dialect}`, () => {
  const NOW = new Date('2015-08-20T10:00:00+08:00')
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  beforeEach(async () => {
    await rig?.close()
    await db?.close()
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedCircularAudience(ds)
    rig = await startCallbackRig(ds, { now: NOW })
  }, 120_000)
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  it('the import updates the item the 登记 made, and neither fails', async () => {
    const rows = 300
    const lines = ['单位,问题类别,问题描述,整改措施,整治目标,完成时限,责任领导,具体责任人']
    for (let i = 0; i < rows; i += 1) lines.push(`城关镇,(三),批内登记问题${i},导入措施,按期完成,2015-09-30,李娜,赵磊`)
    const path = save(lines.join('\n'), '.csv')
    if (dialect === 'mysql') await ds.query('CREATE TRIGGER adversarial_slow BEFORE INSERT ON ledger_item FOR EACH ROW SET @adversarial = SLEEP(0.01)')
    let registered: Promise<Said> | undefined
    const outcome = await importLedger(ds, path, {
      now: NOW,
      batchRows: rows,
      onProgress: (n) => {
        if (n === 1) registered = rig.say('zhangwei', `登记\n类别：(三)\n问题：批内登记问题${rows - 1}\n措施：某措施\n目标：某目标\n时限：9月30日\n责任领导：李娜\n责任人：赵磊`)
      },
    }).then(
      (result) => result,
      (error: Error) => error.message,
    )
    if (dialect === 'mysql') await ds.query('DROP TRIGGER adversarial_slow')
    let answer = (await registered!).answer
    // On MariaDB the 登记 waits for the slowed batch past the reply budget: it is answered through the outbox.
    for (let tries = 0; answer === '' && tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      const [reply] = (await ds.query("SELECT payload FROM outbox_message WHERE dedupe_key LIKE 'reply:%' ORDER BY id DESC LIMIT 1")) as { payload: string }[]
      answer = reply ? ((JSON.parse(reply.payload) as { text?: { content: string } }).text?.content ?? '') : ''
    }
    expect(outcome).not.toBeTypeOf('string')
    const copies = await ds.getRepository(LedgerItemSchema).findBy({ problem: `批内登记问题${rows - 1}` })
    expect(copies).toHaveLength(1)
    expect(answer).toMatch(/^(已登记 #\d+|未登记：该问题已登记过：#\d+)/)
  }, 120_000)
})
