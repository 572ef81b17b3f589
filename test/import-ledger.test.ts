import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { LedgerItemSchema, PersonSchema, ProblemCategorySchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { formatImportResult } from '../src/domain/spreadsheets/import-report.js'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
let files = 0

/**
 * A ledger as a unit keeps it: a title row, then a two-row header with 责任人 merged over
 * 责任领导 | 具体责任人, then the rows.
 */
async function ledgerFile(rows: (string | number | Date | null)[][], options: { withId?: boolean } = {}): Promise<string> {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('工作台账')
  const head = ['单位', '问题类别', '问题描述', '整改措施', '整治目标', '完成时限（年月日）', '责任部门', '责任人', '', '是否公开']
  const sub = ['', '', '', '', '', '', '', '责任领导', '具体责任人', '']
  const prefix = options.withId ? ['编号'] : []
  sheet.addRow(['城关镇“为官不为”问题整改工作台账'])
  sheet.mergeCells(1, 1, 1, head.length + prefix.length)
  sheet.addRow([...prefix, ...head])
  sheet.addRow([...prefix.map(() => ''), ...sub])
  sheet.mergeCells(2, 8 + prefix.length, 2, 9 + prefix.length)
  for (const row of rows) sheet.addRow(row)
  sheet.addRow([])
  const path = join(dir, `ledger${files++}.xlsx`)
  await workbook.xlsx.writeFile(path)
  return path
}

describe(`ledger import on ${dialect}`, () => {
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

  const imported = async () => {
    const items = await ds.getRepository(LedgerItemSchema).find({ where: { campaignId: fixture.campaign.id }, order: { id: 'ASC' } })
    const people = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.id, p.name]))
    const categories = new Map((await ds.getRepository(ProblemCategorySchema).find()).map((c) => [c.id, c.number]))
    return items.slice(3).map((i) => [i.problem, categories.get(i.categoryId), i.dueDate, people.get(i.responsibleLeaderId!), people.get(i.responsiblePersonId!), i.responsibleDepartment, i.isPublic, i.status])
  }
  const ROWS = [
    ['城关镇', '(二)', '信访件转办后推诿扯皮', '建立首办责任制', '积案全部化解', new Date(Date.UTC(2015, 8, 30)), '党政办', '李娜', '赵磊', '是'],
    ['城关镇', '履行职责不担当', '重点项目协调会议定事项落实慢', '建立督办台账', '按期办结', 42277, null, '李娜', '陈静', '否'],
    ['后港镇', '五', '农村低保审核把关不严', '逐户复核', '应退尽退', '2015年10月15日', null, '孙丽', '吴芳', null],
  ]

  it('imports a unit’s ledger (two-row merged header, Excel dates, serials and text dates, category by number or name) and finds it again on re-import', async () => {
    const path = await ledgerFile(ROWS)
    const first = await importLedger(ds, path)
    expect([first.problems, first.rows, first.created, first.updated, first.unchanged]).toEqual([[], 3, 3, 0, 0])
    expect(await imported()).toEqual([
      ['信访件转办后推诿扯皮', 2, '2015-09-30', '李娜', '赵磊', '党政办', true, 'open'],
      ['重点项目协调会议定事项落实慢', 2, '2015-09-30', '李娜', '陈静', null, false, 'open'],
      ['农村低保审核把关不严', 5, '2015-10-15', '孙丽', '吴芳', null, false, 'open'],
    ])
    expect(await ds.getRepository(ProgressUpdateSchema).countBy({ kind: 'created', note: '表格导入' })).toBe(3)
    const again = await importLedger(ds, path)
    expect([again.created, again.updated, again.unchanged]).toEqual([0, 0, 3])
    // The unit moves one date: updated in place, with its history row.
    const moved = await ledgerFile([ROWS[0]!, [...ROWS[1]!.slice(0, 5), '2015-10-31', ...ROWS[1]!.slice(6)], ROWS[2]!])
    const third = await importLedger(ds, moved)
    expect([third.created, third.updated, third.unchanged]).toEqual([0, 1, 2])
    expect((await imported())[1]![2]).toBe('2015-10-31')
    expect(await ds.getRepository(ProgressUpdateSchema).countBy({ kind: 'edited', note: '表格导入更新' })).toBe(1)
    expect(await ds.getRepository(LedgerItemSchema).countBy({ campaignId: fixture.campaign.id })).toBe(6)
  })

  it('writes nothing when rows in the middle are wrong, and names each sheet, row, column and reason', async () => {
    const path = await ledgerFile([
      ROWS[0]!,
      ['城关镇', '(九)', '问题甲', '措施', '目标', '下个月', null, '王五', '赵磊', '是'],
      ['后港镇', '(一)', '问题乙', '措施', '目标', '2015-06-30', null, '孙丽', '陈静', '也许'],
      ROWS[0]!,
      ROWS[2]!,
    ])
    const result = await importLedger(ds, path)
    expect(await ds.getRepository(LedgerItemSchema).countBy({ campaignId: fixture.campaign.id })).toBe(3)
    expect(formatImportResult(result, '台账条目', false).split('\n')).toEqual([
      '发现 7 处问题，未导入任何内容（共 5 行台账条目，改正后可全部导入）：',
      '- 工作表「工作台账」第 5 行「问题类别」列：问题类别「(九)」无法识别，可写：(一)促进发展不敢为、(二)履行职责不担当、(三)工作态度不积极、(四)推诿扯皮不主动、(五)降低标准不尽责、(六)服务群众不热心、(七)缺乏激情不进取、(八)因循守旧不敢闯（写编号或名称均可）',
      '- 工作表「工作台账」第 5 行「完成时限（年月日）」列：完成时限「下个月」不是能识别的日期，可写 2015-09-30、2015年9月30日 或 9月30日',
      '- 工作表「工作台账」第 5 行「责任领导」列：责任领导「王五」不在花名册中（请先导入人员）',
      '- 工作表「工作台账」第 6 行「完成时限（年月日）」列：完成时限 2015年6月30日 早于专项治理开始（2015年7月1日）',
      '- 工作表「工作台账」第 6 行「是否公开」列：是否公开「也许」请写 是 或 否',
      '- 工作表「工作台账」第 6 行「具体责任人」列：具体责任人「陈静」不是本单位人员',
      '- 工作表「工作台账」第 7 行：与第 4 行是同一条目（同一单位、同一问题）',
    ])
  })

  it('updates the item a 编号 column names, even with its problem reworded', async () => {
    const path = await ledgerFile([[fixture.items.overdue, '城关镇', '(一)', '招商引资项目跑办不积极（两个项目）', '成立专班', '按期完成', '2015-09-15', null, '李娜', '赵磊', '否']], { withId: true })
    const result = await importLedger(ds, path)
    expect([result.problems, result.created, result.updated]).toEqual([[], 0, 1])
    const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: fixture.items.overdue })
    expect([item.problem, item.dueDate, item.originalDueDate]).toEqual(['招商引资项目跑办不积极（两个项目）', '2015-09-15', '2015-08-25'])
    const unknown = await ledgerFile([[999, ...ROWS[0]!]], { withId: true })
    expect((await importLedger(ds, unknown)).problems.map((p) => p.reason)).toEqual(['编号「999」不是本专项治理的台账条目（新条目请留空）'])
  })

  it('matches a problem however it is spaced or typed full-width, as 登记 does, and 登记 refuses what was imported', async () => {
    await importLedger(ds, await ledgerFile([ROWS[0]!]))
    // Re-typed with spaces: the same problem, updated in place.
    const respaced = await importLedger(ds, await ledgerFile([['城关镇', '(二)', '信访件 转办后 推诿扯皮', '建立首办责任制', '积案全部化解', '2015-10-08', '党政办', '李娜', '赵磊', '是']]))
    expect([respaced.created, respaced.updated]).toEqual([0, 1])
    const chat = chatAs(ds, new Date('2015-08-20T02:00:00Z'))
    const { text } = await chat('chenjing', '登记\n类别：(二)\n问题：信访件转办后推诿扯皮\n措施：建立首办责任制\n目标：积案全部化解\n时限：9月30日\n责任领导：李娜\n责任人：赵磊')
    expect(text).toMatch(/^未登记：该问题已登记过：#\d+（于 .+ 由系统登记），无需重复。/)
    expect(await ds.getRepository(LedgerItemSchema).countBy({ campaignId: fixture.campaign.id })).toBe(4)
    // An item renumbered onto another's problem is refused, not left to the database.
    const [first] = await ds.getRepository(LedgerItemSchema).find({ where: { problem: '信访件 转办后 推诿扯皮' } })
    const clash = await importLedger(ds, await ledgerFile([[fixture.items.overdue, '城关镇', '(一)', '信访件转办后推诿扯皮', '成立专班', '按期完成', '2015-09-15', null, '李娜', '赵磊', '否']], { withId: true }))
    expect(clash.problems.map((p) => p.reason)).toEqual([`与已登记的 #${first!.id} 是同一问题（同一单位），请合并或修改问题描述`])
  })

  it('from the command line: checks with --dry-run, then imports', async () => {
    const path = await ledgerFile(ROWS)
    const run = async (...args: string[]) => {
      const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', args)
      return { code: await child.exited, output: child.output().trim() }
    }
    expect(await run('import', 'ledger', path, '--dry-run', '--campaign', String(fixture.campaign.id))).toEqual({ code: 0, output: '检查通过（试运行，未写入）：3 行台账条目，将新增 3 项；更新 0 项；未变 0 项。' })
    expect(await ds.getRepository(LedgerItemSchema).count()).toBe(3)
    const output = (await run('import', 'ledger', path)).output
    const ids = (await ds.getRepository(LedgerItemSchema).find({ order: { id: 'ASC' } })).slice(3).map((i) => i.id)
    expect(output).toBe(`已导入 3 行台账条目：新增 3 项（#${ids[0]}–#${ids[2]}）；更新 0 项；未变 0 项。`)
    expect((await run('import', 'ledger', path, '--campaign', '99')).output).toContain('没有编号为 #99 的专项治理')
  })
})
