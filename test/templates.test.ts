import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'
import { importPeople, importUnits } from '../src/domain/spreadsheets/import-roster.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

describe(`import templates on ${dialect}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'templates-'))
  let db: MigratedDatabase
  beforeAll(async () => {
    db = await createMigratedDatabase()
    await seedLedger(db.dataSource)
  })
  afterAll(async () => {
    await db?.close()
  })
  const make = async (kind: string) => {
    const path = join(dir, `${kind}.xlsx`)
    const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', ['template', kind, '-o', path])
    expect([await child.exited, child.output().trim()]).toEqual([0, `已写出模板 ${path}`])
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.readFile(path)
    return { path, workbook }
  }

  it('writes the ledger template: headers, a sample row, the eight categories as a drop-down, notes; and the import reads it back', async () => {
    const { path, workbook } = await make('ledger')
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['工作台账', '填写说明'])
    const sheet = workbook.getWorksheet('工作台账')!
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(['单位', '问题类别', '问题描述', '整改措施', '整治目标', '完成时限', '责任部门', '责任领导', '具体责任人', '是否公开'])
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 })
    const validation = sheet.getCell('B5').dataValidation
    expect(validation.type).toBe('list')
    expect(validation.formulae[0]).toBe('"(一)促进发展不敢为,(二)履行职责不担当,(三)工作态度不积极,(四)推诿扯皮不主动,(五)降低标准不尽责,(六)服务群众不热心,(七)缺乏激情不进取,(八)因循守旧不敢闯"')
    expect(sheet.getCell('F2').value).toEqual(new Date(Date.UTC(2015, 8, 30)))
    expect(workbook.getWorksheet('填写说明')!.getCell('A3').value).toBe('问题类别')
    const checked = await importLedger(db.dataSource, path, { dryRun: true })
    expect([checked.problems, checked.rows, checked.created]).toEqual([[], 1, 1])
  })

  it('writes the units and people templates, roles as a drop-down; both read back', async () => {
    const units = await make('units')
    expect((units.workbook.worksheets[0]!.getRow(1).values as unknown[]).slice(1)).toEqual(['单位名称', '单位类型', '上级单位'])
    expect((await importUnits(db.dataSource, units.path, { dryRun: true })).problems).toEqual([])
    const people = await make('people')
    const sheet = people.workbook.worksheets[0]!
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(['姓名', '企业微信账号', '单位', '职务', '角色', '手机'])
    expect(sheet.getCell('E3').dataValidation.formulae[0]).toContain('第一责任人,分管领导')
    expect((await importPeople(db.dataSource, people.path, { dryRun: true })).problems).toEqual([])
  })

  it('says what is wrong with the arguments', async () => {
    const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', ['template', 'ledger', '-o', join(dir, 'x.csv')])
    expect([await child.exited, child.output().split('\n')[0]]).toEqual([1, '模板文件名应以 .xlsx 结尾。'])
  })
})
