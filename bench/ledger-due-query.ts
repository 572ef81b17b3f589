/**
 * How much the (status, due_date) index buys the question every reminder sweep asks: which
 * open ledger items are overdue or fall due within three days? Seeds a province-sized ledger
 * (ITEMS, default 200,000, over 5,000 units) into a fresh database and times the query with
 * the index against the same query forced to scan the table (the baseline), in the same run.
 *
 *   npm run bench:ledger                                   # SQLite
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:ledger   # also MariaDB
 *
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks'
import { createCampaign } from '../src/domain/campaign/create-campaign.js'
import { LedgerItemSchema, ProblemCategorySchema, UnitSchema } from '../src/db/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { addDays } from '../src/time/calendar-date.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'

const ITEMS = Number(process.env.ITEMS ?? 200_000)
const UNITS = 5_000
const RUNS = 7
const TODAY = '2015-10-15'
const STATUSES = ['open', 'in_progress', 'in_progress', 'rectified', 'closed', 'closed'] as const

async function bench(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  try {
    const seedStart = performance.now()
    const { campaign } = await ds.transaction((m) => createCampaign(m, loadPlan(DEFAULT_PLAN), '2015-07-01'))
    const category = (await ds.getRepository(ProblemCategorySchema).findOneByOrFail({ campaignId: campaign.id })).id
    await ds.transaction(async (m) => {
      for (let i = 0; i < UNITS; i += 1000) {
        const units = Array.from({ length: 1000 }, (_, k) => ({ name: `单位${i + k}`, kind: 'town' as const, parentId: null }))
        // updateEntity(false): do not re-read generated columns of every row (one huge OR query).
        await m.createQueryBuilder().insert().into(UnitSchema).values(units).updateEntity(false).execute()
      }
    })
    const firstUnit = (await ds.getRepository(UnitSchema).findOneByOrFail({ name: '单位0' })).id
    await ds.transaction(async (m) => {
      for (let i = 0; i < ITEMS; i += 1000) {
        await m
          .createQueryBuilder()
          .insert()
          .into(LedgerItemSchema)
          .updateEntity(false)
          .values(
          Array.from({ length: Math.min(1000, ITEMS - i) }, (_, k) => {
            const n = i + k
            const due = addDays('2015-08-01', (n * 7919) % 150)
            return {
              campaignId: campaign.id,
              unitId: firstUnit + (n % UNITS),
              categoryId: category,
              problem: `问题${n}`,
              measures: '整改措施',
              target: '整治目标',
              dueDate: due,
              originalDueDate: due,
              status: STATUSES[n % STATUSES.length]!,
              progress: (n * 13) % 100,
            }
          }),
          )
          .execute()
      }
    })
    const seedSeconds = (performance.now() - seedStart) / 1000
    if (mysqlUrl) await ds.query('ANALYZE TABLE ledger_item')
    else await ds.query('ANALYZE')

    const columns = 'id, unit_id, responsible_person_id, due_date, status'
    const hint = mysqlUrl ? 'IGNORE INDEX (idx_ledger_item_status_due, idx_ledger_item_unit_status)' : 'NOT INDEXED'
    const time = async (sql: string, params: string[]) => {
      const samples: number[] = []
      let rows = 0
      for (let r = 0; r < RUNS; r += 1) {
        const t = performance.now()
        rows = (await ds.query(sql, params)).length
        samples.push(performance.now() - t)
      }
      samples.sort((a, b) => a - b)
      return { median: samples[Math.floor(RUNS / 2)]!, rows }
    }
    // Two questions of the sweep: what falls due in the next three days (narrow), and what
    // is overdue and still open (broad: mid-campaign, a quarter of the ledger here).
    const questions = [
      ['due within 3 days', "status IN ('open', 'in_progress') AND due_date BETWEEN ? AND ?", [TODAY, addDays(TODAY, 3)]],
      ['overdue and open', "status IN ('open', 'in_progress') AND due_date < ?", [TODAY]],
    ] as const
    console.log(`${label}: ${ITEMS} items over ${UNITS} units seeded in ${seedSeconds.toFixed(1)} s (median of ${RUNS} runs)`)
    for (const [name, where, params] of questions) {
      const withIndex = await time(`SELECT ${columns} FROM ledger_item WHERE ${where}`, [...params])
      const baseline = await time(`SELECT ${columns} FROM ledger_item ${hint} WHERE ${where}`, [...params])
      console.log(
        `  ${name}: ${withIndex.rows} rows, ${withIndex.median.toFixed(1)} ms with idx_ledger_item_status_due, ` +
          `${baseline.median.toFixed(1)} ms scanning the table (baseline); ratio ${(withIndex.median / baseline.median).toFixed(2)}`,
      )
    }
  } finally {
    await database.close()
  }
}

await bench('SQLite')
if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
