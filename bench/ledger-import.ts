/**
 * Imports a ROWS-row (default 20,000) ledger .xlsx into a campaign of 500 units (four people
 * each) on SQLite and (with BENCH_MYSQL_URL) MariaDB/MySQL: the time to check and write it, and
 * a re-import of the same file (every row found again, nothing written). The baseline, in the
 * same run, is reading the same file with exceljs alone. Then the month-end job on that ledger:
 * the monthly workbook built, stored and queued for 组织部 (its size and time).
 *
 *   npm run bench:import
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:import
 *
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import ExcelJS from 'exceljs'
import { createCampaign } from '../src/domain/campaign/create-campaign.js'
import { PersonSchema, RoleAssignmentSchema, UnitSchema } from '../src/db/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { checkXlsxArchive } from '../src/domain/spreadsheets/check-xlsx-archive.js'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'
import { DEFAULT_IMPORT_LIMITS, formatSize } from '../src/domain/spreadsheets/import-limits.js'
import { sendMonthEndReport } from '../src/domain/reports/month-end-report.js'
import { addDays } from '../src/time/calendar-date.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'

const ROWS = Number(process.env.ROWS ?? 20_000)
const UNITS = 500

async function writeLedger(path: string) {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('工作台账')
  sheet.addRow(['单位', '问题类别', '问题描述', '整改措施', '整治目标', '完成时限', '责任部门', '责任领导', '具体责任人', '是否公开'])
  for (let n = 0; n < ROWS; n++) {
    const unit = n % UNITS
    sheet.addRow([`单位${unit}`, `(${'一二三四五六七八'[n % 8]})`, `问题${n}：重点工作推进慢，群众反映办事难`, '建立台账，倒排工期', '按期整改到位', addDays('2015-08-01', n % 150), '办公室', `领导${unit}`, `责任人${unit}`, n % 2 ? '是' : '否'])
  }
  await workbook.xlsx.writeFile(path)
}

async function bench(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  try {
    const { campaign } = await ds.transaction((m) => createCampaign(m, loadPlan(DEFAULT_PLAN), '2015-07-01'))
    await ds.getRepository(UnitSchema).insert(Array.from({ length: UNITS }, (_, i) => ({ name: `单位${i}`, kind: 'town' as const, parentId: null })))
    const units = new Map((await ds.getRepository(UnitSchema).find()).map((u) => [u.name, u.id]))
    for (let i = 0; i < UNITS; i++) {
      const unitId = units.get(`单位${i}`)!
      const [leader, person] = await ds.getRepository(PersonSchema).save([
        { userid: `l${i}`, name: `领导${i}`, unitId, title: null, mobile: null },
        { userid: `p${i}`, name: `责任人${i}`, unitId, title: null, mobile: null },
      ])
      await ds.getRepository(RoleAssignmentSchema).insert([{ personId: leader!.id, role: 'leader', unitId }, { personId: person!.id, role: 'staff', unitId }])
    }
    const path = join(mkdtempSync(join(tmpdir(), 'bench-import-')), 'ledger.xlsx')
    await writeLedger(path)
    let start = performance.now()
    const reader = new ExcelJS.Workbook()
    await reader.xlsx.readFile(path)
    const readSeconds = (performance.now() - start) / 1000
    // The import's archive check alone (docs/imports.md): every part inflated once and counted.
    const bytes = readFileSync(path)
    start = performance.now()
    await checkXlsxArchive(bytes, 'ledger.xlsx', DEFAULT_IMPORT_LIMITS)
    const checkMilliseconds = performance.now() - start
    start = performance.now()
    const first = await importLedger(ds, path, { campaignId: campaign.id })
    const importSeconds = (performance.now() - start) / 1000
    start = performance.now()
    const again = await importLedger(ds, path, { campaignId: campaign.id })
    const againSeconds = (performance.now() - start) / 1000
    console.log(
      `${label}: ${ROWS} rows — import ${importSeconds.toFixed(1)} s (created ${first.created}, problems ${first.problems.length}); ` +
        `re-import ${againSeconds.toFixed(1)} s (unchanged ${again.unchanged}); baseline: exceljs reading the file ${readSeconds.toFixed(1)} s; ` +
        `ratio ${(importSeconds / readSeconds).toFixed(1)}; archive check ${checkMilliseconds.toFixed(0)} ms for ${formatSize(bytes.length)}`,
    )
    const admin = await ds.getRepository(PersonSchema).save({ userid: 'orgadmin', name: '组织部', unitId: null, title: null, mobile: null })
    await ds.getRepository(RoleAssignmentSchema).insert({ personId: admin.id, role: 'org_admin', unitId: null })
    // The ledger as registered in July 2015, so that it exists as of the month the workbook reports.
    await ds.query("UPDATE ledger_item SET created_at = '2015-07-10 01:00:00'")
    start = performance.now()
    const monthEnd = await sendMonthEndReport(ds, new Date('2015-08-31T17:05:00+08:00'), [17, 0])
    const monthEndSeconds = (performance.now() - start) / 1000
    console.log(`${label}: month-end workbook for ${ROWS} items — built, stored and queued in ${monthEndSeconds.toFixed(1)} s, ${monthEnd.sent ? `${(monthEnd.bytes / 1024).toFixed(0)} KB` : `not sent (${monthEnd.reason})`}`)
  } finally {
    await database.close()
  }
}

await bench('SQLite')
if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
