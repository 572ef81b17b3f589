/**
 * The monthly workbook (月报 汇总, the month-end report, `export monthly`, the dashboard's 月报
 * download; docs/figures.md, The monthly workbook) at province size: bench/province.ts's campaign
 * — 5,000 units, 20,000 people, 200,000 items — with a history to September 2015 (each item's
 * 'created' row from the import in July; progress reports, reports of rectification and closings
 * from August on; a few approved extensions decided in September; most units' September report),
 * built on its last working day in the afternoon, as the month-end report builds it. Written with
 * plain multi-row INSERTs, once per database, on SQLite and (with BENCH_MYSQL_URL) MariaDB/MySQL.
 *
 * Each reading in a fresh process, so its peak RSS (process.resourceUsage().maxRSS) is its own:
 *   figures   monthlyFigures alone (the queries and the figures, no workbook);
 *   buffer    monthlyReportFile: the figures and the workbook in memory as a file to send (月报 汇总, the month-end report);
 *   file      the figures and the workbook streamed to a file (`export monthly`);
 *   model     the figures and the workbook built as a whole ExcelJS.Workbook, then written (how it was made before streaming);
 *   inline    as `file`, with inline strings instead of the shared strings table;
 *   floor     the same cells (every sheet's rows and values, read back from `file`'s workbook) written
 *             with the streaming writer, nothing queried, no formatting.
 *
 *   npm run bench:workbook
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:workbook
 *
 * To keep a seeded database: `npx tsx bench/monthly-workbook.ts seed sqlite:/tmp/mw.sqlite`, then
 * `npx tsx bench/monthly-workbook.ts run sqlite:/tmp/mw.sqlite`.
 *
 * Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process'
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import { parseDatabaseUrl } from '../src/config/database-url.js'
import { createDataSource } from '../src/db/create-data-source.js'
import { CampaignSchema, PersonSchema, RoleAssignmentSchema, UnitSchema, type Campaign } from '../src/db/entities/index.js'
import { isMysql, sqlInstant } from '../src/db/sql-instant.js'
import { monthlyFigures } from '../src/domain/reports/monthly-figures.js'
import { monthlyReportFile } from '../src/domain/reports/monthly-summary.js'
import { renderMonthlyWorkbook, writeMonthlyWorkbook } from '../src/domain/reports/monthly-workbook.js'
import { addDays, beijingInstant } from '../src/time/calendar-date.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'
import { insertHistory, insertRows, ITEMS, random, seedProvince, UNITS } from './province.js'

const MONTH = '2015-09'
/** The month's last working day in the afternoon: when the month-end report is built. */
const NOW = new Date('2015-09-30T17:00:00+08:00')
const IMPORTED = beijingInstant('2015-07-01', 10)
const HOUR = 3_600_000
const DAY = 24 * HOUR

// ---------------------------------------------------------------- the history

const NOTES = ['已召开专题会议研究整改措施，正在落实', '已完成第一阶段整改，正在推进制度建设', '已约谈相关责任人，整改方案已报送', '整改工作有序推进，部分措施已见成效', '已按要求推进整改，正在落实']

/**
 * Every item was imported on 1 July (its 'created' row). An item in progress today reported
 * progress between 1 August and now; one rectified or closed reported rectification after that,
 * and 组织部 closed it one to four days later (later than now: still awaiting verification at the
 * month's end). A few items due in October had their deadline extended, decided in September.
 */
async function seedHistory(ds: DataSource, campaign: Campaign, firstUnit: number, firstPerson: number) {
  const rand = random(20150930)
  const org = await ds.getRepository(UnitSchema).save({ name: '省委组织部', kind: 'county_department', parentId: null })
  const admin = await ds.getRepository(PersonSchema).save({ userid: 'zuzhibu', name: '组织部干部', unitId: org.id, title: null, mobile: null })
  await ds.getRepository(RoleAssignmentSchema).save({ personId: admin.id, role: 'org_admin', unitId: null })
  await ds.query('UPDATE ledger_item SET created_at = ? WHERE campaign_id = ?', [sqlInstant(ds, IMPORTED), campaign.id])
  const items = (await ds.query('SELECT id, status, due_date AS dueDate, responsible_person_id AS person FROM ledger_item WHERE campaign_id = ? ORDER BY id', [campaign.id])) as {
    id: number
    status: string
    dueDate: string | Date
    person: number
  }[]
  const at = (instant: number) => sqlInstant(ds, new Date(instant))
  const from = beijingInstant('2015-08-01', 9).getTime()
  const updates: unknown[][] = []
  const extensions: unknown[][] = []
  for (const item of items) {
    const due = typeof item.dueDate === 'string' ? item.dueDate.slice(0, 10) : item.dueDate.toISOString().slice(0, 10)
    updates.push([item.id, null, 'created', null, 'open', null, 0, '台账导入', at(IMPORTED.getTime())])
    if (item.status === 'open') continue
    const progressAt = from + rand() * (NOW.getTime() - from)
    const progress = 20 + Math.floor(rand() * 60)
    updates.push([item.id, item.person, 'progress', 'open', 'in_progress', 0, progress, NOTES[Math.floor(rand() * NOTES.length)], at(progressAt)])
    if (item.status === 'rectified' || item.status === 'closed') {
      const rectifiedAt = progressAt + rand() * (NOW.getTime() - progressAt)
      updates.push([item.id, item.person, 'rectified', 'in_progress', 'rectified', progress, 100, '已完成整改，佐证材料已上传', at(rectifiedAt)])
      if (item.status === 'closed') updates.push([item.id, admin.id, 'closed', 'rectified', 'closed', 100, 100, '销号', at(rectifiedAt + (1 + rand() * 3) * DAY)])
    }
    if (due >= '2015-10-01' && due < '2015-10-20' && rand() < 0.1) {
      const decided = beijingInstant('2015-09-01', 10).getTime() + rand() * 28 * DAY
      extensions.push([item.id, item.person, addDays(due, -20), due, '工作量大，申请延期', 'approved', admin.id, at(decided), '同意', at(decided - DAY)])
    }
  }
  await insertHistory(ds, updates, extensions)
  // September's reports: nine units in ten, in the month's last ten days.
  const reports: unknown[][] = []
  for (let unit = 0; unit < UNITS; unit += 1) {
    if (rand() >= 0.9) continue
    const submitted = at(beijingInstant('2015-09-20', 9).getTime() + rand() * 10 * DAY * 0.9)
    const content = `${MONTH} 月报：本月召开专题会议 ${1 + (unit % 4)} 次，推进整改问题 ${unit % 37} 项，完成销号 ${unit % 11} 项；下月将继续落实整改措施，健全长效机制。`
    reports.push([campaign.id, firstUnit + unit, MONTH, content, firstPerson + unit * 4 + 2, submitted, 1, submitted, submitted])
  }
  await insertRows(ds, 'monthly_report', ['campaign_id', 'unit_id', 'month', 'content', 'submitted_by_id', 'submitted_at', 'revision', 'created_at', 'updated_at'], reports)
  return { updates: updates.length, extensions: extensions.length, reports: reports.length }
}

async function seedAll(ds: DataSource) {
  const { campaign, firstUnit, firstPerson } = await seedProvince(ds)
  const history = await seedHistory(ds, campaign, firstUnit, firstPerson)
  await ds.query(isMysql(ds) ? 'ANALYZE TABLE ledger_item, progress_update, extension_request, monthly_report, person, unit, campaign_unit' : 'ANALYZE')
  return history
}

async function open(url: string): Promise<DataSource> {
  const target = parseDatabaseUrl(url)
  if ('problem' in target) throw new Error(target.problem)
  const ds = await createDataSource(target)
  await ds.initialize()
  return ds
}

// ---------------------------------------------------------------- measuring

type Phase = 'figures' | 'buffer' | 'file' | 'model' | 'inline' | 'floor'

interface Reading {
  phase: Phase
  ms: number
  peakMb: number
  startMb: number
  bytes: number
  rows?: number
}

const mb = (bytes: number) => bytes / 2 ** 20

/** One reading in this process: `out` is the workbook's file (file, model, inline) or the floor's cells (floor). */
async function measure(phase: Phase, url: string, out: string): Promise<Reading> {
  const startMb = mb(process.memoryUsage().rss)
  if (phase === 'floor') {
    const start = performance.now()
    const { rows, bytes } = await writeFloor(out, `${out}.floor.xlsx`)
    return { phase, ms: performance.now() - start, peakMb: process.resourceUsage().maxRSS / 1024, startMb, bytes, rows }
  }
  const ds = await open(url)
  try {
    const campaign = await ds.getRepository(CampaignSchema).findOneOrFail({ where: {}, order: { id: 'ASC' } })
    const start = performance.now()
    let bytes = 0
    if (phase === 'figures') await monthlyFigures(ds, campaign, MONTH, NOW)
    else if (phase === 'buffer') {
      const { attachment } = await monthlyReportFile(ds, campaign, MONTH, NOW, { maxBytes: Number.MAX_SAFE_INTEGER })
      bytes = attachment!.content.length
    } else if (phase === 'model') {
      const workbook = new ExcelJS.Workbook()
      await renderMonthlyWorkbook(await monthlyFigures(ds, campaign, MONTH, NOW), NOW, workbook)
      await workbook.xlsx.writeFile(out)
      bytes = statSync(out).size
    } else {
      const figures = await monthlyFigures(ds, campaign, MONTH, NOW)
      await writeMonthlyWorkbook(figures, NOW, { stream: createWriteStream(out), sharedStrings: phase !== 'inline' })
      bytes = statSync(out).size
    }
    return { phase, ms: performance.now() - start, peakMb: process.resourceUsage().maxRSS / 1024, startMb, bytes }
  } finally {
    await ds.destroy()
  }
}

/** Every sheet's rows, values only, as lines of JSON (a Date as {d: ISO}), read with the streaming reader. */
async function dumpCells(xlsx: string, cells: string): Promise<void> {
  const output = createWriteStream(cells)
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(xlsx, { sharedStrings: 'cache', styles: 'cache', worksheets: 'emit', hyperlinks: 'ignore', entries: 'ignore' })
  for await (const sheet of reader) {
    const ws = sheet as unknown as AsyncIterable<ExcelJS.Row> & { name: string }
    output.write(`${JSON.stringify({ sheet: ws.name })}\n`)
    for await (const row of ws) {
      const values = (row.values as ExcelJS.CellValue[]).slice(1).map((v) => (v instanceof Date ? { d: v.toISOString() } : (v ?? null)))
      if (!output.write(`${JSON.stringify(values)}\n`)) await new Promise<void>((resolve) => output.once('drain', () => resolve()))
    }
  }
  await new Promise((resolve) => output.end(resolve))
}

/** The floor: the dumped cells written with the streaming writer (shared strings, no styles), one row at a time. */
async function writeFloor(cells: string, xlsx: string): Promise<{ rows: number; bytes: number }> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: xlsx, useSharedStrings: true, useStyles: false })
  let sheet: ExcelJS.Worksheet | null = null
  let rows = 0
  for await (const line of createInterface({ input: createReadStream(cells), crlfDelay: Infinity })) {
    const parsed = JSON.parse(line) as { sheet: string } | (ExcelJS.CellValue | { d: string })[]
    if (!Array.isArray(parsed)) {
      sheet?.commit()
      sheet = workbook.addWorksheet(parsed.sheet)
      continue
    }
    sheet!.addRow(parsed.map((v) => (v !== null && typeof v === 'object' && 'd' in v ? new Date(v.d) : v))).commit()
    rows += 1
    if (rows % 1000 === 0) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  sheet?.commit()
  await workbook.commit()
  return { rows, bytes: statSync(xlsx).size }
}

function measureInChild(phase: Phase, url: string, out: string): Promise<Reading> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['measure', phase, url, out], { stdio: 'inherit' })
    let reading: Reading | undefined
    child.on('message', (m) => (reading = m as Reading))
    child.on('error', reject)
    child.on('exit', (code) => (reading ? resolve(reading) : reject(new Error(`${phase}: measuring process exited with ${code}`))))
  })
}

const PHASES: Phase[] = (process.env.PHASES?.split(',') as Phase[] | undefined) ?? ['figures', 'buffer', 'file', 'model', 'inline']

async function run(url: string) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-workbook-'))
  try {
    const file = join(dir, 'workbook.xlsx')
    const readings: Reading[] = []
    for (const phase of PHASES) readings.push(await measureInChild(phase, url, phase === 'file' ? file : join(dir, `${phase}.xlsx`)))
    const streamed = readings.find((r) => r.phase === 'file')
    if (streamed) {
      await dumpCells(file, join(dir, 'cells.ndjson'))
      readings.push(await measureInChild('floor', url, join(dir, 'cells.ndjson')))
    }
    print(readings)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const LABELS: Record<Phase, string> = {
  figures: 'monthlyFigures alone (queries, no workbook)',
  buffer: 'monthlyReportFile (月报 汇总, month-end): figures + workbook in memory',
  file: 'export monthly: figures + workbook streamed to a file',
  model: 'the old way: figures + whole ExcelJS.Workbook model, then written',
  inline: 'as export monthly, inline strings (no shared strings table)',
  floor: 'floor: the same cells, streaming writer, no queries, no formatting',
}

function print(readings: Reading[]) {
  const floor = readings.find((r) => r.phase === 'floor')
  const figures = readings.find((r) => r.phase === 'figures')
  const width = Math.max(...readings.map((r) => [...LABELS[r.phase]].length))
  for (const r of readings) {
    const ratio = floor && r !== floor ? `  ×${(r.ms / floor.ms).toFixed(1)} time, ×${(r.peakMb / floor.peakMb).toFixed(1)} RSS of the floor` : ''
    const size = r.bytes ? `  ${mb(r.bytes).toFixed(1)} MB file` : ''
    console.log(`  ${LABELS[r.phase]}${' '.repeat(width - [...LABELS[r.phase]].length)}  ${(r.ms / 1000).toFixed(1).padStart(6)} s  peak RSS ${r.peakMb.toFixed(0).padStart(5)} MB (start ${r.startMb.toFixed(0)})${size}${r.rows ? `, ${r.rows} rows` : ''}${ratio}`)
  }
  if (figures) {
    for (const r of readings.filter((x) => x.phase !== 'figures' && x.phase !== 'floor')) console.log(`  ${r.phase}: the workbook's own cost over monthlyFigures: +${((r.ms - figures.ms) / 1000).toFixed(1)} s, +${(r.peakMb - figures.peakMb).toFixed(0)} MB peak RSS`)
  }
}

async function bench(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  try {
    const start = performance.now()
    const history = await seedAll(database.dataSource)
    await database.dataSource.destroy()
    console.log(
      `${label}: ${UNITS} units, ${UNITS * 4} people, ${ITEMS} items, ${history.updates} history rows, ${history.extensions} extensions, ${history.reports} September reports ` +
        `seeded in ${((performance.now() - start) / 1000).toFixed(1)} s; the ${MONTH} workbook as of ${NOW.toISOString()}`,
    )
    await run(database.url)
  } finally {
    await database.close()
  }
}

if (process.argv[2] === 'measure') {
  const reading = await measure(process.argv[3] as Phase, process.argv[4]!, process.argv[5]!)
  if (process.send) process.send(reading)
  else console.log(JSON.stringify(reading))
} else if (process.argv[2] === 'seed') {
  const ds = await open(process.argv[3]!)
  await ds.runMigrations({ transaction: 'each' })
  console.log(await seedAll(ds))
  await ds.destroy()
} else if (process.argv[2] === 'run') {
  await run(process.argv[3]!)
} else {
  await bench('SQLite')
  if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
}
