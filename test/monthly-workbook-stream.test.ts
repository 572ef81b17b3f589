import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqlInstant } from '../src/db/sql-instant.js'
import { monthlyFigures, type MonthEvent, type MonthlyFigures, type OverdueRow } from '../src/domain/reports/monthly-figures.js'
import { monthlyWorkbookBytes, renderMonthlyWorkbook, writeMonthlyWorkbook } from '../src/domain/reports/monthly-workbook.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * The monthly workbook is streamed (docs/figures.md, The monthly workbook): the file the streaming
 * writer makes must be the one the whole in-memory model made, cell for cell.
 */
const NOW = new Date('2015-09-30T17:00:00+08:00')

const load = async (bytes: Uint8Array | ArrayBuffer) => {
  const book = new ExcelJS.Workbook()
  await book.xlsx.load(Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) as unknown as ArrayBuffer)
  return book
}

describe(`the streamed monthly workbook on ${dialect}`, () => {
  let db: MigratedDatabase
  let figures: MonthlyFigures

  beforeAll(async () => {
    db = await createMigratedDatabase()
    const { campaign } = await seedLedger(db.dataSource)
    await db.dataSource.query('UPDATE ledger_item SET created_at = ?', [sqlInstant(db.dataSource, new Date('2015-07-01T02:00:00Z'))])
    const month = await monthlyFigures(db.dataSource, campaign, '2015-09', NOW)
    // Sheets longer than the rows written between two looks at the zip, with some text past its column's widest.
    const overdue = month.overdue[0]!
    const more: OverdueRow[] = Array.from({ length: 1_300 }, (_, i) => ({ ...overdue, itemId: 1_000 + i, problem: `${overdue.problem}${'，问题仍未整改'.repeat(i % 9)}`, workdaysOverdue: i % 40 }))
    const events: MonthEvent[] = Array.from({ length: 700 }, (_, i) => ({ at: new Date(NOW.getTime() - i * 60_000), unitName: overdue.unitName, itemId: 1_000 + i, problem: overdue.problem, kind: 'progress', progress: i % 100, note: `第${i}次反馈`, by: overdue.person, evidence: i % 3 }))
    figures = { ...month, overdue: [...month.overdue, ...more], events: [...month.events, ...events] }
  })
  afterAll(async () => {
    await db?.close()
  })

  it('is the workbook the whole in-memory model makes: values, formats, widths, heights, merged titles, frozen headers', async () => {
    const model = new ExcelJS.Workbook()
    await renderMonthlyWorkbook(figures, NOW, model)
    const whole = await load(await model.xlsx.writeBuffer())
    const { content } = await monthlyWorkbookBytes(figures, NOW)
    const streamed = await load(content!)
    expect(streamed.worksheets.map((s) => s.name)).toEqual(whole.worksheets.map((s) => s.name))
    expect(streamed.getWorksheet('逾期明细')!.rowCount).toBe(2 + figures.overdue.length)
    for (const a of whole.worksheets) {
      const b = streamed.getWorksheet(a.name)!
      expect(b.views, a.name).toEqual(a.views)
      expect(b.getCell('A1').isMerged, a.name).toBe(true)
      // The streaming writer also writes Excel's default margins, which the model left out.
      expect({ ...b.pageSetup, margins: null }, a.name).toEqual({ ...a.pageSetup, margins: null })
      expect([b.rowCount, b.columnCount], a.name).toEqual([a.rowCount, a.columnCount])
      for (let c = 1; c <= a.columnCount; c += 1) expect(b.getColumn(c).width, `${a.name} column ${c}`).toBe(a.getColumn(c).width)
      for (let r = 1; r <= a.rowCount; r += 1) {
        expect(b.getRow(r).height, `${a.name} row ${r}`).toBe(a.getRow(r).height)
        for (let c = 1; c <= a.columnCount; c += 1) {
          const [x, y] = [a.getRow(r).getCell(c), b.getRow(r).getCell(c)]
          expect([y.value, y.style], `${a.name} ${x.address}`).toEqual([x.value, x.style])
        }
      }
    }
  })

  it('only counts a workbook past the limit: its size, no content', async () => {
    const full = await monthlyWorkbookBytes(figures, NOW)
    const over = await monthlyWorkbookBytes(figures, NOW, full.bytes - 1)
    expect(over).toEqual({ bytes: full.bytes, content: null })
    expect((await monthlyWorkbookBytes(figures, NOW, full.bytes)).content).toHaveLength(full.bytes)
  })

  it('fails, rather than waits for ever, when what it writes to fails', async () => {
    let written = 0
    const failing = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.length
        done(written > 20_000 ? new Error('磁盘已满') : null)
      },
    })
    await expect(writeMonthlyWorkbook(figures, NOW, { stream: failing })).rejects.toThrow('磁盘已满')
  })

  it('npm run cli -- export monthly says a file it cannot write, and leaves none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monthly-stream-'))
    const file = join(dir, 'missing', '月报.xlsx')
    const run = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', ['export', 'monthly', '--month', '2015-09', '-o', file])
    expect(await run.exited).toBe(1)
    expect(run.output()).toContain(`写不了文件 ${file}：ENOENT`)
    expect(existsSync(file)).toBe(false)
  })
})
