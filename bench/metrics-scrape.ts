/**
 * What a Prometheus scrape of /metrics costs when the outbox holds a long history: seeds SENT
 * (default 200,000) sent rows and PENDING (default 1,000) pending ones, then times the whole
 * /metrics text (registry.metrics(): process metrics, counters and the outbox backlog query) and
 * the backlog query alone. The baseline, in the same run, is the obvious query: counting every
 * status over the whole table, as `outbox status` does.
 *
 *   npm run bench:metrics                                                  # SQLite
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:metrics # also MariaDB
 *
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks'
import type { DataSource } from 'typeorm'
import { outboxBacklog } from '../src/outbox/outbox-backlog.js'
import { sqlInstant } from '../src/db/sql-instant.js'
import { createLogger } from '../src/logger.js'
import { createMetrics } from '../src/service/create-metrics.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'

const SENT = Number(process.env.SENT ?? 200_000)
const PENDING = Number(process.env.PENDING ?? 1_000)
const RUNS = 20
const QUIET = { startMinute: 21 * 60, endMinute: 8 * 60 }

async function seed(ds: DataSource, now: Date) {
  const rows = [...Array.from({ length: SENT }, () => 'sent'), ...Array.from({ length: PENDING }, () => 'pending')]
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000)
    const params = chunk.flatMap((status, k) => [
      `bench:${i + k}`,
      'app',
      '{"touser":["member"]}',
      'text',
      '{"msgtype":"text","text":{"content":"【逾期提醒】#12 已逾期 3 天"}}',
      status,
      (i + k) % 10 === 0 ? 1 : 0,
      sqlInstant(ds, new Date(now.getTime() - (rows.length - i - k) * 1000)),
    ])
    await ds.query(
      `INSERT INTO outbox_message (dedupe_key, channel, recipients, msg_type, payload, status, urgent, next_attempt_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params,
    )
  }
}

async function median(work: () => Promise<unknown>): Promise<number> {
  await work()
  const times: number[] = []
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now()
    await work()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!
}

async function run(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  try {
    const now = new Date()
    const seedStart = performance.now()
    await seed(ds, now)
    const seeded = ((performance.now() - seedStart) / 1000).toFixed(1)
    const { registry } = createMetrics({ dataSource: ds, logger: createLogger('silent'), quietHours: QUIET, now: () => now })
    const scrape = await median(() => registry.metrics())
    const backlog = await median(() => outboxBacklog(ds, now, QUIET))
    const baseline = await median(() => ds.query('SELECT status, COUNT(*) AS n FROM outbox_message GROUP BY status'))
    console.log(
      `${label}: ${SENT} sent + ${PENDING} pending rows (seeded in ${seeded} s); median of ${RUNS}: ` +
        `/metrics ${scrape.toFixed(2)} ms, backlog query ${backlog.toFixed(2)} ms; ` +
        `baseline whole-table count ${baseline.toFixed(2)} ms (ratio backlog/baseline ${(backlog / baseline).toFixed(3)})`,
    )
  } finally {
    await database.close()
  }
}

await run('sqlite')
if (process.env.BENCH_MYSQL_URL) await run('mysql', process.env.BENCH_MYSQL_URL)
