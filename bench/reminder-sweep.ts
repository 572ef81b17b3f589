/**
 * The reminder sweep over a province-sized campaign — UNITS (5,000) units, four people each
 * (20,000), ITEMS (200,000) ledger items with a seeded random spread of due dates (August to
 * December) and states (most past ones closed, about a third still open: overdue) — on SQLite
 * and (with BENCH_MYSQL_URL) MariaDB/MySQL.
 *
 * Two sweeps are timed, each in a fresh process (so its peak RSS, read from the kernel, is the
 * sweep's own and not the seeding's): the first after the import, which alerts every overdue
 * item at once, and the next working day's, the steady state. For each, in the same run, the
 * floor: in raw SQL, the one indexed query that finds the due and overdue items plus one
 * multi-row insert of as many outbox rows as the sweep wrote (copies of them: the same bytes);
 * and the ratio to it.
 *
 *   npm run bench:sweep
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:sweep
 *
 * To profile one sweep: `npx tsx bench/reminder-sweep.ts seed sqlite:/tmp/p.sqlite`, then
 * `node --import tsx --cpu-prof bench/reminder-sweep.ts sweep sqlite:/tmp/p.sqlite 2015-10-15`.
 *
 * Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { DataSource } from 'typeorm'
import { createDataSource } from '../src/db/create-data-source.js'
import { parseDatabaseUrl } from '../src/config/database-url.js'
import { isMysql } from '../src/db/sql-instant.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { addDays } from '../src/time/calendar-date.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'
import { ITEMS, seedProvince as seed, UNITS } from './province.js'

const DAYS = [
  { label: 'first sweep after the import', today: '2015-10-15' },
  { label: 'next working day', today: '2015-10-16' },
]
const at = (today: string) => new Date(`${today}T09:05:00+08:00`)

async function analyze(ds: DataSource) {
  await ds.query(isMysql(ds) ? 'ANALYZE TABLE ledger_item, reminder_sent, person, role_assignment, outbox_message' : 'ANALYZE')
}

interface SweepFigures {
  seconds: number
  planSeconds: number
  writeSeconds: number
  written: number
  messages: number
  /** Peak resident set of the sweeping process, from the kernel (MB). */
  peakMb: number
  /** Its resident set just before the sweep: modules loaded, database open (MB). */
  beforeMb: number
}

/** In the child: one sweep at `today` on the database at `url`; prints its figures as JSON. */
async function sweepInThisProcess(url: string, today: string): Promise<void> {
  const target = parseDatabaseUrl(url)
  if ('problem' in target) throw new Error(target.problem)
  const ds = await createDataSource(target)
  await ds.initialize()
  const beforeMb = process.memoryUsage().rss / 2 ** 20
  const start = performance.now()
  const result = await runSweep(ds, at(today))
  const seconds = (performance.now() - start) / 1000
  const figures: SweepFigures = {
    seconds,
    planSeconds: result.timings.planMs / 1000,
    writeSeconds: result.timings.writeMs / 1000,
    written: result.written,
    messages: result.messages.length,
    peakMb: process.resourceUsage().maxRSS / 1024,
    beforeMb,
  }
  await ds.destroy()
  if (process.send) process.send(figures)
  else console.log(JSON.stringify(figures))
}

/** Seeds an empty database at `url` (migrating it first), for profiling one sweep at a time. */
async function seedOnly(url: string): Promise<void> {
  const target = parseDatabaseUrl(url)
  if ('problem' in target) throw new Error(target.problem)
  const ds = await createDataSource(target)
  await ds.initialize()
  await ds.runMigrations({ transaction: 'each' })
  console.log(await seed(ds))
  await analyze(ds)
  await ds.destroy()
}

function sweepInChild(url: string, today: string): Promise<SweepFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['sweep', url, today], { stdio: 'inherit' })
    let figures: SweepFigures | undefined
    child.on('message', (m) => (figures = m as SweepFigures))
    child.on('error', reject)
    child.on('exit', (code) => (figures ? resolve(figures) : reject(new Error(`sweep process exited with ${code}`))))
  })
}

/**
 * The floor for a sweep: the due/overdue query and one multi-row insert of the outbox rows the
 * sweep wrote (the rows after `afterId`) — the same recipients and payloads, under other keys —
 * in one transaction; then removed.
 */
async function floor(ds: DataSource, today: string, afterId: number): Promise<number> {
  const written = (await ds.query('SELECT channel, recipients, msg_type, payload FROM outbox_message WHERE id > ? ORDER BY id', [afterId])) as Record<string, string>[]
  const next = isMysql(ds) ? at(today) : at(today).toISOString().replace('T', ' ').replace('Z', '')
  const start = performance.now()
  await ds.query("SELECT id, unit_id, responsible_person_id, responsible_leader_id, due_date FROM ledger_item WHERE status IN ('open', 'in_progress') AND due_date <= ?", [addDays(today, 5)])
  await ds.transaction(async (m) => {
    for (let i = 0; i < written.length; i += 1000) {
      const chunk = written.slice(i, i + 1000).map((r, k) => [`floor:${i + k}`, r.channel, r.recipients, r.msg_type, r.payload, 'pending', 0, 0, next])
      await m.query(
        `INSERT INTO outbox_message (dedupe_key, channel, recipients, msg_type, payload, status, urgent, attempts, next_attempt_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flat(),
      )
    }
  })
  const seconds = (performance.now() - start) / 1000
  await ds.query("DELETE FROM outbox_message WHERE dedupe_key LIKE 'floor:%'")
  return seconds
}

async function bench(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  try {
    const seedStart = performance.now()
    const { overdue } = await seed(ds)
    await analyze(ds)
    console.log(`${label}: ${UNITS} units, ${UNITS * 4} people, ${ITEMS} items (${overdue} overdue on ${DAYS[0]!.today}) seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)
    if (!mysqlUrl) await ds.destroy() // the sweeping process opens the file itself
    for (const day of DAYS) {
      if (!ds.isInitialized) await ds.initialize()
      const [{ last }] = (await ds.query('SELECT COALESCE(MAX(id), 0) AS last FROM outbox_message')) as [{ last: number }]
      if (!mysqlUrl) await ds.destroy()
      const sweep = await sweepInChild(database.url, day.today)
      if (!ds.isInitialized) await ds.initialize()
      const floorSeconds = await floor(ds, day.today, Number(last))
      if (!mysqlUrl) await ds.destroy()
      console.log(
        `  ${day.label} (${day.today}): sweep ${sweep.seconds.toFixed(2)} s (deciding ${sweep.planSeconds.toFixed(2)} s, writing ${sweep.writeSeconds.toFixed(2)} s), ` +
          `${sweep.messages} messages in ${sweep.written} outbox rows; peak RSS ${sweep.peakMb.toFixed(0)} MB (${sweep.beforeMb.toFixed(0)} MB before the sweep); ` +
          `floor ${floorSeconds.toFixed(2)} s; ratio to the floor ${(sweep.seconds / floorSeconds).toFixed(1)}`,
      )
    }
  } finally {
    await database.close()
  }
}

if (process.argv[2] === 'sweep') {
  await sweepInThisProcess(process.argv[3]!, process.argv[4]!)
} else if (process.argv[2] === 'seed') {
  await seedOnly(process.argv[3]!)
} else {
  await bench('SQLite')
  if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
}
