import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { CampaignUnitSchema, LedgerItemSchema, PersonSchema, ProgressUpdateSchema, UnitSchema } from '../src/db/entities/index.js'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'
import { sqliteTurn } from '../src/domain/spreadsheets/ledger-import-write.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const dir = mkdtempSync(join(tmpdir(), 'import-batches-'))
let files = 0

/** A ledger of `count` rows for 城关镇 (李娜 leads, 赵磊 is responsible), problem texts from `problem`. */
async function ledger(count: number, problem: (n: number) => string, sheets = 1): Promise<string> {
  const workbook = new ExcelJS.Workbook()
  for (let s = 0; s < sheets; s++) {
    const sheet = workbook.addWorksheet(`工作台账${s + 1}`)
    sheet.addRow(['单位', '问题类别', '问题描述', '整改措施', '整治目标', '完成时限', '责任领导', '具体责任人'])
    for (let n = s; n < count; n += sheets) sheet.addRow(['城关镇', '(三)', problem(n), '建立台账，倒排工期', '按期整改到位', '2015-09-30', '李娜', '赵磊'])
  }
  const path = join(dir, `ledger${files++}.xlsx`)
  await workbook.xlsx.writeFile(path)
  return path
}

describe(`a ledger import written in batches, read as a stream, on ${dialect}`, () => {
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

  const items = () => ds.getRepository(LedgerItemSchema).find({ where: { campaignId: fixture.campaign.id }, order: { id: 'ASC' } })

  it('reads long Chinese texts exactly, whatever chunk of the inflated part a character falls across', async () => {
    // About 2 MB of shared strings in three-byte characters: the inflated text comes in many
    // chunks, and characters fall across their edges.
    const text = (n: number) => `第${n}项：${'群众反映办事难，窗口推诿扯皮，承诺事项久拖不办'.repeat(8 + (n % 5))}。`
    const path = await ledger(3000, text, 2)
    const result = await importLedger(ds, path)
    expect(result.problems).toEqual([])
    expect(result.created).toBe(3000)
    const problems = (await items()).slice(3).map((item) => item.problem)
    expect(problems.filter((p) => p.includes('\uFFFD'))).toEqual([])
    expect(new Set(problems)).toEqual(new Set(Array.from({ length: 3000 }, (_, n) => text(n))))
  }, 60_000)

  it('stopped midway, it says how far it got; run again, it completes without a second copy of anything', async () => {
    const path = await ledger(350, (n) => `批量导入问题${n}`)
    const failure = await importLedger(ds, path, {
      batchRows: 100,
      onProgress: (done) => {
        if (done === 250) throw new Error('the process stopped')
      },
    }).then(
      () => '',
      (error: Error) => error.message,
    )
    expect(failure).toMatch(/^导入中断：.*。表中前 200 条已写入（新增 200 项，更新 0 项），其余 150 条未写入。重新运行同一导入即可补全：已写入的条目按单位和问题描述找到，不会重复登记。$/)
    expect(await items()).toHaveLength(3 + 200)

    const again = await importLedger(ds, path, { batchRows: 100 })
    expect([again.created, again.unchanged, again.updated]).toEqual([150, 200, 0])
    const all = await items()
    expect(all.slice(3).map((item) => item.problem)).toEqual(Array.from({ length: 350 }, (_, n) => `批量导入问题${n}`))
    const created = await ds.getRepository(ProgressUpdateSchema).findBy({ kind: 'created', note: '表格导入' })
    expect(created).toHaveLength(350)
    expect(new Set(created.map((row) => row.ledgerItemId)).size).toBe(350)
    expect(await ds.getRepository(CampaignUnitSchema).countBy({ campaignId: fixture.campaign.id, unitId: fixture.chengguan, role: 'participant' })).toBe(1)
  }, 60_000)

  it('a failure in the first batch writes nothing and says so', async () => {
    const path = await ledger(150, (n) => `首批问题${n}`)
    const failure = await importLedger(ds, path, {
      batchRows: 100,
      onProgress: (done) => {
        if (done === 50) throw new Error('the process stopped')
      },
    }).then(
      () => '',
      (error: Error) => error.message,
    )
    expect(failure).toMatch(/^导入未完成：.*。未导入任何内容，请重新导入。$/)
    expect(await items()).toHaveLength(3)
  })

  it('a batch with more than a thousand units adds them all to the campaign', async () => {
    const count = 1200
    const units = ds.getRepository(UnitSchema)
    // A few hundred rows an insert: TypeORM reads back what it inserted with one OR per row.
    for (let i = 0; i < count; i += 200) {
      await units.insert(Array.from({ length: 200 }, (_, n) => ({ name: `批量镇${i + n}`, kind: 'town' as const, parentId: null })))
    }
    const unitIds = new Map((await units.find()).map((unit) => [unit.name, unit.id]))
    for (let i = 0; i < count; i += 200) {
      await ds.getRepository(PersonSchema).insert(
        Array.from({ length: 200 }, (_, n) => [
          { userid: `bl${i + n}`, name: `领导${i + n}`, unitId: unitIds.get(`批量镇${i + n}`)!, title: null, mobile: null },
          { userid: `bp${i + n}`, name: `责任人${i + n}`, unitId: unitIds.get(`批量镇${i + n}`)!, title: null, mobile: null },
        ]).flat(),
      )
    }
    const workbook = new ExcelJS.Workbook()
    const sheet = workbook.addWorksheet('工作台账')
    sheet.addRow(['单位', '问题类别', '问题描述', '整改措施', '整治目标', '完成时限', '责任领导', '具体责任人'])
    for (let n = 0; n < count; n++) sheet.addRow([`批量镇${n}`, '(三)', `各镇问题${n}`, '建立台账', '按期整改', '2015-09-30', `领导${n}`, `责任人${n}`])
    const path = join(dir, `ledger${files++}.xlsx`)
    await workbook.xlsx.writeFile(path)
    const result = await importLedger(ds, path)
    expect([result.created, result.problems.length]).toEqual([count, 0])
    const taking = await ds.getRepository(CampaignUnitSchema).findBy({ campaignId: fixture.campaign.id, role: 'participant' })
    const taken = new Set(taking.map((row) => row.unitId))
    const added = Array.from({ length: count }, (_, n) => unitIds.get(`批量镇${n}`)!)
    expect(added.filter((id) => !taken.has(id))).toEqual([])
  }, 60_000)

  it('lets go of SQLite’s write lock after each batch long enough for a waiting writer’s next look', () => {
    // SQLite's busy handler looks again after 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms.
    expect([10, 74, 75, 224, 225, 2000].map(sqliteTurn)).toEqual([25, 25, 50, 50, 100, 100])
  })
})
