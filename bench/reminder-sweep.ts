/**
 * One reminder sweep over a province-sized campaign — UNITS (5,000) units, four people each
 * (20,000), ITEMS (200,000) ledger items with a realistic spread of due dates and states — on
 * SQLite and (with BENCH_MYSQL_URL) MariaDB/MySQL: sweep time, peak memory (RSS), and in the same
 * run the floor: in raw SQL, the one indexed query that finds the due and overdue items plus one
 * multi-row insert of as many outbox rows as the sweep wrote.
 *
 *   npm run bench:sweep
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:sweep
 *
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks'
import type { DataSource } from 'typeorm'
import { createCampaign } from '../src/domain/campaign/create-campaign.js'
import { CampaignUnitSchema, LedgerItemSchema, OutboxMessageSchema, PersonSchema, ProblemCategorySchema, RoleAssignmentSchema, UnitSchema } from '../src/domain/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { runSweep } from '../src/reminders/run-sweep.js'
import { addDays } from '../src/time/calendar-date.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'

const UNITS = Number(process.env.UNITS ?? 5000)
const ITEMS = Number(process.env.ITEMS ?? 200_000)
const TODAY = '2015-10-15'
const NOW = new Date(`${TODAY}T09:05:00+08:00`)
const STATUSES = ['open', 'in_progress', 'in_progress', 'in_progress', 'rectified', 'closed', 'closed', 'closed'] as const

async function bulk<T extends object>(ds: DataSource, schema: Parameters<DataSource['getRepository']>[0], rows: T[], size = 1000) {
  for (let i = 0; i < rows.length; i += size) {
    await ds.createQueryBuilder().insert().into(schema).values(rows.slice(i, i + size)).updateEntity(false).execute()
  }
}

async function seed(ds: DataSource) {
  const { campaign } = await ds.transaction((m) => createCampaign(m, loadPlan(DEFAULT_PLAN), '2015-07-01'))
  const categories = (await ds.getRepository(ProblemCategorySchema).findBy({ campaignId: campaign.id })).map((c) => c.id)
  await ds.transaction(async (m) => {
    await bulk(m.connection, UnitSchema, Array.from({ length: UNITS }, (_, i) => ({ name: `单位${i}`, kind: 'town', parentId: null })))
  })
  const firstUnit = (await ds.getRepository(UnitSchema).findOneByOrFail({ name: '单位0' })).id
  const roles = ['unit_head', 'leader', 'liaison', 'staff'] as const
  await bulk(ds, PersonSchema, Array.from({ length: UNITS * 4 }, (_, i) => ({ userid: `p${i}`, name: `人员${i}`, unitId: firstUnit + Math.floor(i / 4), title: null, mobile: null })))
  const firstPerson = (await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'p0' })).id
  await bulk(ds, RoleAssignmentSchema, Array.from({ length: UNITS * 4 }, (_, i) => ({ personId: firstPerson + i, role: roles[i % 4], unitId: firstUnit + Math.floor(i / 4) })))
  await bulk(ds, CampaignUnitSchema, Array.from({ length: UNITS }, (_, i) => ({ campaignId: campaign.id, unitId: firstUnit + i, role: 'participant' })))
  await bulk(
    ds,
    LedgerItemSchema,
    Array.from({ length: ITEMS }, (_, n) => {
      const unit = n % UNITS
      // Due dates from August to December; most of the past ones closed, as mid-campaign.
      const due = addDays('2015-08-01', (n * 7919) % 150)
      const status = due < TODAY && n % 3 !== 0 ? 'closed' : STATUSES[n % STATUSES.length]!
      return {
        campaignId: campaign.id,
        unitId: firstUnit + unit,
        categoryId: categories[n % categories.length]!,
        problem: `问题${n}：工作拖延应付，重点工作推进慢`,
        measures: '整改措施',
        target: '整治目标',
        dueDate: due,
        originalDueDate: due,
        responsibleLeaderId: firstPerson + unit * 4 + 1,
        responsiblePersonId: firstPerson + unit * 4 + 3,
        status,
        progress: (n * 13) % 100,
      }
    }),
  )
}

async function bench(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  try {
    const seedStart = performance.now()
    await seed(ds)
    const seedSeconds = (performance.now() - seedStart) / 1000
    if (mysqlUrl) await ds.query('ANALYZE TABLE ledger_item, reminder_sent, person, role_assignment')
    else await ds.query('ANALYZE')
    let peak = process.memoryUsage().rss
    const heapBefore = process.memoryUsage().heapUsed
    let heapPeak = heapBefore
    const sampler = setInterval(() => {
      const usage = process.memoryUsage()
      peak = Math.max(peak, usage.rss)
      heapPeak = Math.max(heapPeak, usage.heapUsed)
    }, 20)
    const start = performance.now()
    const result = await runSweep(ds, NOW)
    const sweepSeconds = (performance.now() - start) / 1000
    clearInterval(sampler)
    const rows = await ds.getRepository(OutboxMessageSchema).count()

    // The floor: the indexed query for due and overdue items, and one multi-row insert of as many outbox rows.
    const floorStart = performance.now()
    await ds.query("SELECT id, unit_id, responsible_person_id, responsible_leader_id, due_date FROM ledger_item WHERE status IN ('open', 'in_progress') AND due_date <= ?", ['2015-10-20'])
    const payload = JSON.stringify({ msgtype: 'markdown', markdown: { content: '专项治理提醒'.repeat(20) } })
    const at = mysqlUrl ? NOW : NOW.toISOString().replace('T', ' ').replace('Z', '')
    for (let i = 0; i < rows; i += 1000) {
      const chunk = Array.from({ length: Math.min(1000, rows - i) }, (_, k) => [`floor:${i + k}`, 'app', '{"touser":["p1"]}', 'markdown', payload, 'pending', 0, 0, at])
      await ds.query(
        `INSERT INTO outbox_message (dedupe_key, channel, recipients, msg_type, payload, status, urgent, attempts, next_attempt_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flat(),
      )
    }
    const floorSeconds = (performance.now() - floorStart) / 1000
    console.log(
      `${label}: ${UNITS} units, ${UNITS * 4} people, ${ITEMS} items seeded in ${seedSeconds.toFixed(1)} s; ` +
        `sweep ${sweepSeconds.toFixed(2)} s (deciding ${(result.timings.planMs / 1000).toFixed(2)} s, writing ${(result.timings.writeMs / 1000).toFixed(2)} s) wrote ${result.written} outbox rows (${result.messages.length} messages); ` +
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MB (the process, seeding included), peak heap growth during the sweep ${((heapPeak - heapBefore) / 2 ** 20).toFixed(0)} MB; ` +
        `floor ${floorSeconds.toFixed(2)} s; ratio to the floor ${(sweepSeconds / floorSeconds).toFixed(1)}`,
    )
  } finally {
    await database.close()
  }
}

await bench('SQLite')
if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
