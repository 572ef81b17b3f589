/**
 * Imports a ROWS-row (default 200,000, a province) ledger .xlsx into a campaign of UNITS units
 * (default 5,000, a leader and a responsible person each) on SQLite and (with BENCH_MYSQL_URL)
 * MariaDB/MySQL, as the command line does, in its own process: its time and peak RSS, beside the
 * floor — exceljs's streaming reader reading the same file, also in its own process — and the
 * ratio. Meanwhile the service (bench/callback-server.ts) on the same database answers a chat
 * message every 100 ms: the longest answer. Then the same import again (every row found, nothing
 * written). MONTH_END=1 adds the month-end job on that ledger (the monthly workbook built,
 * stored and queued for 组织部).
 *
 *   npm run bench:import
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:import
 *   ROWS=20000 UNITS=500 npm run bench:import
 *   PROFILE_DIR=/tmp/prof npm run bench:import     # and a CPU profile of each import
 *
 * Prints figures; asserts nothing.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import ExcelJS from 'exceljs'
import { createCampaign } from '../src/domain/campaign/create-campaign.js'
import { PersonSchema, RoleAssignmentSchema, UnitSchema } from '../src/db/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { checkXlsxArchive } from '../src/domain/spreadsheets/check-xlsx-archive.js'
import { DEFAULT_IMPORT_LIMITS, formatSize } from '../src/domain/spreadsheets/import-limits.js'
import { sendMonthEndReport } from '../src/domain/reports/month-end-report.js'
import { addDays } from '../src/time/calendar-date.js'
import { seedRoster } from '../test/helpers/roster.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'
import { sign, textXml } from '../test/helpers/wecom-callback-client.js'

const ROWS = Number(process.env.ROWS ?? 200_000)
const UNITS = Number(process.env.UNITS ?? 5_000)

/** The ledger as Excel saves it (shared strings), written row by row. */
async function writeLedger(path: string) {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true })
  const sheet = workbook.addWorksheet('工作台账')
  sheet.addRow(['单位', '问题类别', '问题描述', '整改措施', '整治目标', '完成时限', '责任部门', '责任领导', '具体责任人', '是否公开']).commit()
  for (let n = 0; n < ROWS; n++) {
    const unit = n % UNITS
    sheet.addRow([`单位${unit}`, `(${'一二三四五六七八'[n % 8]})`, `问题${n}：重点工作推进慢，群众反映办事难`, '建立台账，倒排工期', '按期整改到位', addDays('2015-08-01', n % 150), '办公室', `领导${unit}`, `责任人${unit}`, n % 2 ? '是' : '否']).commit()
  }
  sheet.commit()
  await workbook.commit()
}

interface RunFigures {
  seconds: number
  peakMb: number
  created?: number
  unchanged?: number
  problems?: number
}

/** A bench/ledger-import-run.ts process: its JSON line. */
function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunFigures> {
  // PROFILE_DIR=/tmp/prof: each import process writes a CPU profile there.
  const profile = process.env.PROFILE_DIR && args[0] === 'import' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'bench/ledger-import-run.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += String(d)))
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as RunFigures) : reject(new Error(`ledger-import-run ${args[0]} exited ${code}`)))))
}

/** The service on the same database, answering one chat message every 100 ms until stopped: the longest answer and the failures. */
async function chatWhile(databaseUrl: string, work: () => Promise<RunFigures>) {
  const server = spawn(process.execPath, ['--import', 'tsx', 'bench/callback-server.ts'], { env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<string>((resolve) => server.stdout!.on('data', (d: Buffer) => /listening (\d+)/.test(String(d)) && resolve(/listening (\d+)/.exec(String(d))![1]!)))
    let running = true
    const answers: number[] = []
    let failed = 0
    const chat = (async () => {
      while (running) {
        const signed = sign(textXml('zhangwei', '帮主'))
        const start = performance.now()
        const response = await fetch(`http://127.0.0.1:${port}/wecom/callback?${new URLSearchParams(signed.query)}`, { method: 'POST', body: signed.body, headers: { 'content-type': 'text/xml' } }).catch(() => null)
        await response?.arrayBuffer()
        answers.push(performance.now() - start)
        if (response?.status !== 200) failed += 1
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })()
    const figures = await work()
    running = false
    await chat
    answers.sort((a, b) => a - b)
    return { figures, answers: answers.length, failed, longestMs: answers.at(-1) ?? 0, p99Ms: answers[Math.ceil(answers.length * 0.99) - 1] ?? 0 }
  } finally {
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
  }
}

async function bench(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  try {
    const { campaign } = await ds.transaction((m) => createCampaign(m, loadPlan(DEFAULT_PLAN), '2015-07-01'))
    for (let i = 0; i < UNITS; i += 500) {
      const count = Math.min(500, UNITS - i)
      await ds.getRepository(UnitSchema).insert(Array.from({ length: count }, (_, n) => ({ name: `单位${i + n}`, kind: 'town' as const, parentId: null })))
    }
    const units = new Map((await ds.getRepository(UnitSchema).find()).map((u) => [u.name, u.id]))
    for (let i = 0; i < UNITS; i += 250) {
      const indexes = Array.from({ length: Math.min(250, UNITS - i) }, (_, n) => i + n)
      const people = indexes.flatMap((n) => [
        { userid: `l${n}`, name: `领导${n}`, unitId: units.get(`单位${n}`)!, title: null, mobile: null },
        { userid: `p${n}`, name: `责任人${n}`, unitId: units.get(`单位${n}`)!, title: null, mobile: null },
      ])
      await ds.getRepository(PersonSchema).insert(people)
      const ids = new Map((await ds.getRepository(PersonSchema).find({ select: { id: true, userid: true } })).map((p) => [p.userid, p.id]))
      await ds.getRepository(RoleAssignmentSchema).insert(indexes.flatMap((n) => [
        { personId: ids.get(`l${n}`)!, role: 'leader' as const, unitId: units.get(`单位${n}`)! },
        { personId: ids.get(`p${n}`)!, role: 'staff' as const, unitId: units.get(`单位${n}`)! },
      ]))
    }
    await seedRoster(ds, '城关镇', [{ userid: 'zhangwei', name: '张伟', roles: ['unit_head'] }])
    const path = join(mkdtempSync(join(tmpdir(), 'bench-import-')), 'ledger.xlsx')
    await writeLedger(path)
    const bytes = readFileSync(path)
    // The import's archive check alone (docs/imports.md): every part inflated once and counted.
    let start = performance.now()
    await checkXlsxArchive(bytes, 'ledger.xlsx', DEFAULT_IMPORT_LIMITS)
    const checkMilliseconds = performance.now() - start
    const floor = await run(['read', path])
    const first = await chatWhile(database.url, () => run(['import', path, String(campaign.id)], { DATABASE_URL: database.url }))
    const again = await run(['import', path, String(campaign.id)], { DATABASE_URL: database.url })
    const f = first.figures
    console.log(
      `${label}: ${ROWS} rows, ${formatSize(bytes.length)} — import ${f.seconds.toFixed(1)} s, peak RSS ${f.peakMb} MB (created ${f.created}, problems ${f.problems}); ` +
        `floor: exceljs streaming the file ${floor.seconds.toFixed(1)} s, peak RSS ${floor.peakMb} MB; ratio ${(f.seconds / floor.seconds).toFixed(1)}; ` +
        `re-import ${again.seconds.toFixed(1)} s, peak RSS ${again.peakMb} MB (unchanged ${again.unchanged}); archive check ${checkMilliseconds.toFixed(0)} ms`,
    )
    console.log(`${label}: chat during the import — ${first.answers} messages, longest answer ${first.longestMs.toFixed(0)} ms, p99 ${first.p99Ms.toFixed(0)} ms, ${first.failed} not answered 200`)
    if (process.env.MONTH_END !== '1') return
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
