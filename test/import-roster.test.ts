import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { PersonSchema, RoleAssignmentSchema, UnitSchema } from '../src/db/entities/index.js'
import { cellDate, formatImportResult } from '../src/domain/spreadsheets/import-report.js'
import { importPeople, importUnits } from '../src/domain/spreadsheets/import-roster.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const dir = mkdtempSync(join(tmpdir(), 'import-'))
let files = 0

/** An .xlsx file as offices make them: a title row merged over the columns, then sheets of rows. */
async function xlsx(sheets: { name: string; title?: string; rows: (string | number | Date | null)[][] }[]): Promise<string> {
  const workbook = new ExcelJS.Workbook()
  for (const sheet of sheets) {
    const worksheet = workbook.addWorksheet(sheet.name)
    if (sheet.title) {
      worksheet.addRow([sheet.title])
      worksheet.mergeCells(1, 1, 1, Math.max(...sheet.rows.map((r) => r.length)))
    }
    for (const row of sheet.rows) worksheet.addRow(row)
    // Trailing rows with nothing in them, as spreadsheets often have.
    worksheet.addRow([])
    worksheet.addRow([null, null])
  }
  const path = join(dir, `file${files++}.xlsx`)
  await workbook.xlsx.writeFile(path)
  return path
}

function csv(text: string): string {
  const path = join(dir, `file${files++}.csv`)
  writeFileSync(path, `\uFEFF${text}`)
  return path
}

describe(`roster import on ${dialect}`, () => {
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

  const units = async () => {
    const all = await ds.getRepository(UnitSchema).find({ order: { id: 'ASC' } })
    const names = new Map(all.map((u) => [u.id, u.name]))
    return all.map((u) => [u.name, u.kind, u.parentId === null ? null : names.get(u.parentId)])
  }

  it('imports units from .xlsx: a merged title row, full-width and hinted headers, a second sheet, empty rows; again, nothing changes', async () => {
    const path = await xlsx([
      {
        name: '乡镇',
        title: '2015年“为官不为”专项治理单位名册',
        rows: [
          ['序号', ' 单位名称 ', '单位类型（镇/县直/事业单位）', '上级单位'],
          [1, '城关镇', '镇', null],
          [2, '城关镇便民服务中心', '事业单位', '城关镇'],
        ],
      },
      { name: '县直', rows: [['单位名称', '单位类型'], ['县住建局', '县直单位'], ['县人社局', '县直']] },
    ])
    const first = await importUnits(ds, path)
    expect([first.problems, first.rows, first.created, first.updated, first.unchanged, first.written]).toEqual([[], 4, 4, 0, 0, true])
    expect(await units()).toEqual([
      ['城关镇', 'town', null],
      ['城关镇便民服务中心', 'institution', '城关镇'],
      ['县住建局', 'county_department', null],
      ['县人社局', 'county_department', null],
    ])
    const again = await importUnits(ds, path)
    expect([again.created, again.updated, again.unchanged]).toEqual([0, 0, 4])
    expect(await ds.getRepository(UnitSchema).count()).toBe(4)
    // The town became a street office's parent in a later version of the file: updated in place.
    const changed = await xlsx([{ name: 'Sheet1', rows: [['单位名称', '单位类型', '上级单位'], ['城关镇便民服务中心', '事业单位', null], ['县住建局', '县直单位', null]] }])
    const third = await importUnits(ds, changed)
    expect([third.created, third.updated, third.unchanged]).toEqual([0, 1, 1])
    expect((await units())[1]).toEqual(['城关镇便民服务中心', 'institution', null])
  })

  it('writes nothing when one row in the middle is wrong, and says where and why', async () => {
    const path = await xlsx([
      {
        name: '单位',
        rows: [['单位名称', '单位类型', '上级单位'], ['城关镇', '镇', null], ['后港镇', '乡政府', null], ['县住建局', '县直单位', '县政府'], ['城关镇', '镇', null]],
      },
    ])
    const result = await importUnits(ds, path)
    expect(result.written).toBe(false)
    expect(await ds.getRepository(UnitSchema).count()).toBe(0)
    expect(formatImportResult(result, '单位', false).split('\n')).toEqual([
      '发现 3 处问题，未导入任何内容（共 4 行单位，改正后可全部导入）：',
      '- 工作表「单位」第 3 行「单位类型」列：单位类型「乡政府」无法识别，可写 镇、县直单位、事业单位、联席会议成员单位',
      '- 工作表「单位」第 5 行「单位名称」列：与第 2 行重复',
      '- 工作表「单位」第 4 行「上级单位」列：上级单位「县政府」不在花名册或本表中',
    ])
  })

  it('imports people from a .csv (BOM, header synonyms, several roles); by userid, updated in place on re-import', async () => {
    await importUnits(ds, await xlsx([{ name: 'u', rows: [['单位名称', '单位类型'], ['城关镇', '镇'], ['县委组织部', '县直单位']] }]))
    const path = csv('姓名,帐号,所在单位,职务,角色,手机号\n张伟,ZhangWei,城关镇,党委书记,第一责任人,13800000001\n陈静,chenjing,城关镇,党政办主任,"联络员、责任人",\n王健,wangjian,县委组织部,干部监督科科长,组织部管理员 联席会议成员,\n')
    const result = await importPeople(ds, path)
    expect([result.problems, result.created, result.updated, result.unchanged]).toEqual([[], 3, 0, 0])
    const people = await ds.getRepository(PersonSchema).find({ order: { id: 'ASC' } })
    expect(people.map((p) => [p.userid, p.name, p.title, p.mobile])).toEqual([
      ['zhangwei', '张伟', '党委书记', '13800000001'],
      ['chenjing', '陈静', '党政办主任', null],
      ['wangjian', '王健', '干部监督科科长', null],
    ])
    const roles = async (userid: string) =>
      (await ds.getRepository(RoleAssignmentSchema).findBy({ personId: people.find((p) => p.userid === userid)!.id })).map((r) => [r.role, r.unitId === null]).sort()
    expect(await roles('chenjing')).toEqual([['liaison', false], ['staff', false]])
    expect(await roles('wangjian')).toEqual([['meeting_member', false], ['org_admin', true]])
    expect([(await importPeople(ds, path)).unchanged, await ds.getRepository(PersonSchema).count()]).toEqual([3, 3])
    const moved = csv('姓名,企业微信账号,单位,角色\n陈静,chenjing,城关镇,联络员\n')
    expect((await importPeople(ds, moved)).updated).toBe(1)
    expect(await roles('chenjing')).toEqual([['liaison', false]])
  })

  it('refuses people of an unknown unit, a duplicate userid, an unknown role; a dry run writes nothing', async () => {
    await importUnits(ds, await xlsx([{ name: 'u', rows: [['单位名称', '单位类型'], ['城关镇', '镇']] }]))
    const bad = csv('姓名,企业微信账号,单位,角色\n张伟,zhangwei,城关镇,第一责任人\n李娜,lina,城关县,分管领导\n赵磊,zhangwei,城关镇,科员\n')
    const result = await importPeople(ds, bad)
    expect(result.problems.map((p) => [p.row, p.column, p.reason])).toEqual([
      [3, '单位', '没有「城关县」这个单位。您是不是指「城关镇」？'],
      [4, '企业微信账号', '与第 2 行是同一账号'],
      [4, '角色', '角色「科员」无法识别，可写 第一责任人、分管领导、责任领导、联络员、责任人、具体责任人、联席会议成员'],
    ])
    expect(await ds.getRepository(PersonSchema).count()).toBe(0)
    const good = csv('姓名,企业微信账号,单位\n张伟,zhangwei,城关镇\n')
    const dry = await importPeople(ds, good, { dryRun: true })
    expect([dry.created, dry.written, await ds.getRepository(PersonSchema).count()]).toEqual([1, false, 0])
    expect(formatImportResult(dry, '人员', true)).toBe('检查通过（试运行，未写入）：1 行人员，将新增 1，更新 0，未变 0。')
  })

  it('reads Excel dates: date cells, serial numbers, and the text forms offices type', () => {
    expect(cellDate(new Date(Date.UTC(2015, 8, 30)), 2015)).toBe('2015-09-30')
    expect(cellDate(42277, 2015)).toBe('2015-09-30')
    expect(cellDate(20150930, 2015)).toBe('2015-09-30')
    for (const typed of ['2015-09-30', '2015/9/30', '2015.9.30', '2015年9月30日', '9月30日', '２０１５年９月３０日', '42277']) expect(cellDate(typed, 2015), typed).toBe('2015-09-30')
    for (const typed of ['9月31日', '下月', '2015-13-01', '']) expect(cellDate(typed, 2015), typed).toBeNull()
  })

  it('from the command line: a dry run, then the import; a missing file and a wrong type said plainly', async () => {
    const path = await xlsx([{ name: '单位', rows: [['单位名称', '单位类型'], ['城关镇', '镇']] }])
    const run = async (...args: string[]) => {
      const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', args)
      return { code: await child.exited, output: child.output().trim() }
    }
    expect(await run('import', 'units', path, '--dry-run')).toEqual({ code: 0, output: '检查通过（试运行，未写入）：1 行单位，将新增 1，更新 0，未变 0。' })
    expect(await ds.getRepository(UnitSchema).count()).toBe(0)
    expect(await run('import', 'units', path)).toEqual({ code: 0, output: '已导入 1 行单位：新增 1，更新 0，未变 0。' })
    expect(await ds.getRepository(UnitSchema).count()).toBe(1)
    expect((await run('import', 'units', join(dir, 'missing.xlsx'))).output).toBe(`找不到文件 ${join(dir, 'missing.xlsx')}`)
    expect((await run('import', 'units', join(dir, 'units.txt'))).output).toContain('不支持的文件类型「.txt」')
  })
})
