import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AccountabilitySchema,
  InspectionSchema,
  PersonSchema,
  PublicReportReporterSchema,
  PublicReportSchema,
  type Accountability,
  type Inspection,
  type PublicReport,
} from '../src/db/entities/index.js'
import { ASSESSMENT_SHEETS, assessmentSummary, LEADER_HEADERS, renderAssessmentWorkbook, UNIT_HEADERS } from '../src/domain/reports/assessment-workbook.js'
import { assessmentFigures } from '../src/read-model/assessment.js'
import { beijingDate } from '../src/time/calendar-date.js'
import { addLedgerItem, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const at = (text: string) => new Date(`${text}+08:00`)
const TODAY = '2015-09-15'
/** Who reported, confidential (docs/inspections.md): in no cell of the export. */
const REPORTER = { name: '欧阳秘举', contact: '13912345678' }

/**
 * The hand-computed ledger, on 15 September 2015. seedLedger's three items — 城关镇 #overdue (due 25
 * Aug) and #soon (due 2 Sep), both 整改中 with 李娜 as leader, so both overdue; 后港镇 #other (due
 * 30 Sep, 孙丽) not yet due — and three more: 城关镇's closed on 5 Sep, due 10 Sep (on time, 张伟);
 * 后港镇's closed on 8 Sep, due 1 Sep (late, 孙丽) and one rectified, due 5 Sep (due, not on time,
 * not overdue: it waits on 组织部; 孙丽).
 *   城关镇 3 items, 1 closed, 3 due, 1 on time (33.3%), 2 overdue; 后港镇 3, 1 closed, 2 due, 0 on
 *   time (0%), 0 overdue; totals 6, 2 closed, 5 due, 1 on time (20%), 2 overdue.
 * Findings: 城关镇 a 随机抽查 that made #overdue and a 全面检查 (2, 1 item); 后港镇 a 重点检查 that
 * made the rectified item (1, 1).
 * Decisions: 李娜 诫勉 and 谈话提醒, 城关镇 通报批评, 赵磊 责令检查 (城关镇: 4); 孙丽 批评教育 (后港镇:
 * 1); 县信访局 谈话提醒 (a unit with neither items nor findings: listed for its decision).
 */
async function seedAssessment(ds: DataSource) {
  const fixture = await seedLedger(ds)
  const { campaign, chengguan, hougang } = fixture
  const person = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
  await addLedgerItem(ds, campaign.id, chengguan, { leader: 'zhangwei', person: 'zhaolei' }, { problem: '按期销号', status: 'closed', progress: 100, dueDate: '2015-09-10', closedAt: at('2015-09-05T10:00:00') })
  await addLedgerItem(ds, campaign.id, hougang, { leader: 'sunli', person: 'wufang' }, { problem: '逾期销号', status: 'closed', progress: 100, dueDate: '2015-09-01', closedAt: at('2015-09-08T10:00:00') })
  const rectified = await addLedgerItem(ds, campaign.id, hougang, { leader: 'sunli', person: 'wufang' }, { problem: '待销号', status: 'rectified', progress: 100, dueDate: '2015-09-05' })
  const xinfang = await seedRoster(ds, '县信访局', [{ userid: 'yangfan', name: '杨帆', roles: ['unit_head'] }])
  const check = (unitId: number, method: Inspection['method'], mustRectify: boolean, ledgerItemId: number | null) =>
    ds.getRepository(InspectionSchema).save({ campaignId: campaign.id, unitId, inspectorId: null, method, inspectedOn: '2015-09-01', findings: '督查发现', categoryId: null, mustRectify, ledgerItemId, isTypicalCase: false } as Inspection)
  await check(chengguan, 'random_check', true, fixture.items.overdue)
  await check(chengguan, 'full_check', false, null)
  await check(hougang, 'key_check', true, rectified.id)
  const admin = await person('wangjian')
  const decide = async (unitId: number, userid: string | null, measure: Accountability['measure']) =>
    ds.getRepository(AccountabilitySchema).save({ campaignId: campaign.id, inspectionId: null, unitId, personId: userid ? await person(userid) : null, measure, decidedOn: '2015-09-10', note: '考核测试', recordedById: admin, notifiedAt: null } as Accountability)
  await decide(chengguan, 'lina', 'admonishment')
  await decide(chengguan, 'lina', 'talk_reminder')
  await decide(chengguan, null, 'circulated_criticism')
  await decide(chengguan, 'zhaolei', 'self_review')
  await decide(hougang, 'sunli', 'criticism')
  await decide(xinfang, null, 'talk_reminder')
  // A report from the public about 城关镇, with its reporter: the export must not carry who it was.
  const report = await ds.getRepository(PublicReportSchema).save({
    campaignId: campaign.id, source: 'telephone', receivedOn: '2015-09-02', content: '反映招商引资项目未申报', unitId: chengguan, concernedPerson: '李娜', registeredById: admin, assignedToId: await person('liuyang'),
    verifyBy: '2015-09-20', status: 'assigned', verdict: null, verdictNote: null, verifiedAt: null, inspectionId: null,
  } as PublicReport)
  await ds.getRepository(PublicReportReporterSchema).insert({ publicReportId: report.id, anonymous: false, ...REPORTER })
  return fixture
}

const values = (row: ExcelJS.Row) => (row.values as ExcelJS.CellValue[]).slice(1)
const rows = (sheet: ExcelJS.Worksheet) => Array.from({ length: sheet.rowCount - 2 }, (_, i) => values(sheet.getRow(i + 3)))

describe(`the annual assessment export on ${dialect}`, () => {
  let db: MigratedDatabase
  let fixture: Awaited<ReturnType<typeof seedAssessment>>
  let book: ExcelJS.Workbook

  beforeAll(async () => {
    db = await createMigratedDatabase()
    fixture = await seedAssessment(db.dataSource)
    const built = renderAssessmentWorkbook(await assessmentFigures(db.dataSource, fixture.campaign, TODAY), at(`${TODAY}T10:00:00`))
    // Written and read back, as Excel would read it.
    book = new ExcelJS.Workbook()
    await book.xlsx.load((await built.xlsx.writeBuffer()) as ArrayBuffer)
  })
  afterAll(async () => {
    await db?.close()
  })

  it('单位: per unit, worst first — items, closed, on-time rate, overdue, findings, items from findings, decisions by measure — and totals', () => {
    const s = book.getWorksheet('单位')!
    expect(book.worksheets.map((w) => w.name)).toEqual([...ASSESSMENT_SHEETS])
    expect(s.getCell('A1').value).toBe('“为官不为”行为专项治理（2015年7月起） 年度考核：各单位整改和问责情况（截至2015年9月15日）')
    expect(values(s.getRow(2))).toEqual([...UNIT_HEADERS])
    expect(UNIT_HEADERS).toEqual(['单位', '台账事项', '已销号', '按期销号率', '逾期', '督查发现', '督查转台账', '谈话提醒', '批评教育', '责令检查', '通报批评', '诫勉', '组织处理', '纪律处分', '问责合计'])
    expect(rows(s)).toEqual([
      ['城关镇', 3, 1, 1 / 3, 2, 2, 1, 1, 0, 1, 1, 1, 0, 0, 4],
      ['后港镇', 3, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1],
      ['县信访局', 0, 0, '—', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1],
      ['合计', 6, 2, 0.2, 2, 3, 2, 2, 1, 1, 1, 1, 0, 0, 6],
    ])
    expect(s.getCell('D3').numFmt).toBe('0.0%')
  })

  it('领导: per responsible leader (and whoever a decision concerns), by unit then name — items, on-time rate, overdue, decisions', () => {
    const s = book.getWorksheet('领导')!
    expect(s.getCell('A1').value).toBe('“为官不为”行为专项治理（2015年7月起） 年度考核：各责任领导整改和问责情况（截至2015年9月15日）')
    expect(values(s.getRow(2))).toEqual([...LEADER_HEADERS])
    expect(rows(s).map((r) => r.map((v) => v ?? ''))).toEqual([
      ['李娜', '城关镇', 2, 0, 0, 2, 2, '谈话提醒 1、诫勉 1'],
      ['张伟', '城关镇', 1, 1, 1, 0, 0, ''],
      ['赵磊', '城关镇', 0, 0, '—', 0, 1, '责令检查 1'],
      ['孙丽', '后港镇', 3, 1, 0, 0, 1, '批评教育 1'],
    ])
  })

  it('never holds who reported: no cell has the reporter’s name or telephone', () => {
    const cells: string[] = []
    for (const s of book.worksheets) s.eachRow((row) => row.eachCell((cell) => cells.push(String(cell.value))))
    expect(cells.length).toBeGreaterThan(80)
    for (const text of cells) {
      expect(text).not.toContain(REPORTER.name)
      expect(text).not.toContain(REPORTER.contact)
    }
  })

  it('npm run cli -- export assessment writes the file, says its figures, and refuses a bad file name or campaign', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assessment-'))
    const cli = async (...args: string[]) => {
      const run = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', args)
      return { code: await run.exited, output: run.output() }
    }
    const file = join(dir, '2015年度考核.xlsx')
    const ok = await cli('export', 'assessment', '--campaign', String(fixture.campaign.id), '--out', file)
    // The CLI reports as of the real today: the same figures the read model gives for it.
    const now = await assessmentFigures(db.dataSource, fixture.campaign, beijingDate(new Date()))
    expect(ok.output).toBe(`${file}\n${assessmentSummary(now)}\n`)
    expect(ok.code).toBe(0)
    const written = new ExcelJS.Workbook()
    await written.xlsx.readFile(file)
    expect(written.worksheets.map((w) => w.name)).toEqual(['单位', '领导'])
    expect(values(written.getWorksheet('单位')!.getRow(3)).slice(0, 3)).toEqual(['城关镇', 3, 1])
    const bad = await cli('export', 'assessment', '--out', join(dir, 'bad.txt'))
    expect(bad.code).toBe(1)
    expect(bad.output).toContain('--out「')
    expect(bad.output).toContain('应以 .xlsx 结尾')
    expect(existsSync(join(dir, 'bad.txt'))).toBe(false)
    const missing = await cli('export', 'assessment', '--campaign', '99', '--out', join(dir, 'none.xlsx'))
    expect(missing.code).toBe(1)
    expect(missing.output).toContain('没有编号为 #99 的专项治理')
  }, 60_000)

  it('says the totals in one line', async () => {
    expect(assessmentSummary(await assessmentFigures(db.dataSource, fixture.campaign, TODAY))).toBe(
      '“为官不为”行为专项治理（2015年7月起） 考核汇总（截至 2015-09-15）：3 个单位、4 名责任领导；台账 6 项，按期销号率 20%，逾期 2；督查发现 3 项；问责 6 项。',
    )
  })
})
