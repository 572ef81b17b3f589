/**
 * The responsiveness figures (docs/responsiveness.md) at province size: bench/province.ts's
 * campaign — 5,000 units, 20,000 people, 200,000 items — with a month of reminder history
 * (September 2015, as it stands at NOW on its last day): reminder_record rows of every stage an
 * item reached that month (due-3 and due-1 to the responsible person, overdue-1 to them and the
 * leader, escalate-3 to the unit head, escalate-7 to 组织部), some taken by the liaison for a
 * person on leave, delivered 09:05–10:00 Beijing on working days and some held to later; the
 * actions after them (progress reports, reports of rectification, extension requests — most within
 * hours or days, some never); 组织部's closings; a few items extended twice; and each item's
 * 'created' row from the import in July. Written with plain multi-row INSERTs, once per database,
 * on SQLite and (with BENCH_MYSQL_URL) MariaDB/MySQL.
 *
 * Timed in a fresh process (so its peak RSS, read from the kernel, is the reading's and not the
 * seeding's), RUNS times each after one warm-up: the county ranking (`responsiveness()` for the
 * month, every unit ranked), one unit with its people, and the floor — the plain SQL queries
 * reading the same rows (the reminder records delivered since the month began, the actions since
 * then, the items due in the month, the open overdue items grouped by unit and due date), nothing
 * computed — and the ratio to it.
 *
 *   npm run bench:responsiveness
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:responsiveness
 *
 * To profile: `npx tsx bench/responsiveness.ts seed sqlite:/tmp/r.sqlite`, then
 * `node --import tsx --cpu-prof bench/responsiveness.ts run sqlite:/tmp/r.sqlite`.
 *
 * Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { DataSource } from 'typeorm'
import { parseDatabaseUrl } from '../src/config/database-url.js'
import { createDataSource } from '../src/db/create-data-source.js'
import { CampaignSchema, PersonSchema, RoleAssignmentSchema, UnitSchema, type Campaign } from '../src/db/entities/index.js'
import { isMysql, sqlInstant } from '../src/db/sql-instant.js'
import { responsiveness } from '../src/read-model/responsiveness.js'
import { addDays, beijingDate, beijingInstant, lastDayOfMonth, type CalendarDate } from '../src/time/calendar-date.js'
import { addWorkdays, isWorkday, workdayOnOrBefore } from '../src/time/work-calendar.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'
import { insertHistory, insertRows, ITEMS, random, seedProvince, UNITS } from './province.js'

const MONTH = '2015-09'
/** The month's last working day, in the afternoon: most of its reminders decided, the last ones pending. */
const NOW = new Date('2015-09-30T16:00:00+08:00')
const RUNS = Number(process.env.RUNS ?? 5)
const HOUR = 3_600_000
const DAY = 24 * HOUR

// ---------------------------------------------------------------- the history


interface Item {
  id: number
  unitId: number
  status: string
  dueDate: string | Date
  person: number
  leader: number
}

/** The stages an item reaches, in working days from its due date (src/domain/reminders/plan-sweep.ts, default rules). */
const STAGES = [
  { stage: 'due-3', days: -3 },
  { stage: 'due-1', days: -1 },
  { stage: 'overdue-1', days: 1 },
  { stage: 'escalate-3', days: 3 },
  { stage: 'escalate-7', days: 7 },
] as const

/**
 * The month's history. An item rectified (closed or awaiting verification today) was so between
 * six days before and seven after its due date, and reminded only before that; open items are
 * reminded at every stage. Each stage the unit was reminded of is answered within hours (half),
 * within days, late, or never (a fifth); an answer is a progress report, or an extension request.
 */
async function seedHistory(ds: DataSource, campaign: Campaign, firstUnit: number, firstPerson: number) {
  const rand = random(20150930)
  const org = await ds.getRepository(UnitSchema).save({ name: '省委组织部', kind: 'county_department', parentId: null })
  const admin = await ds.getRepository(PersonSchema).save({ userid: 'zuzhibu', name: '组织部干部', unitId: org.id, title: null, mobile: null })
  await ds.getRepository(RoleAssignmentSchema).save({ personId: admin.id, role: 'org_admin', unitId: null })
  const items = (await ds.query(
    `SELECT id, unit_id AS unitId, status, due_date AS dueDate, responsible_person_id AS person, responsible_leader_id AS leader
     FROM ledger_item WHERE campaign_id = ? ORDER BY id`,
    [campaign.id],
  )) as Item[]
  const at = (instant: number) => sqlInstant(ds, new Date(instant))
  const inMonth = (day: CalendarDate) => day >= `${MONTH}-01` && day <= lastDayOfMonth(`${MONTH}-01`) && beijingInstant(day, 9).getTime() < NOW.getTime()
  // One digest a person a day: every stage in it delivered at once, mostly 09:05–10:00, a tenth held (quiet hours, WeCom's limits).
  const deliveries = new Map<string, number | null>()
  const delivered = (person: number, day: CalendarDate): number | null => {
    const key = `${person}/${day}`
    if (!deliveries.has(key)) {
      const r = rand()
      const instant =
        r < 0.9
          ? beijingInstant(day, 9, 5).getTime() + rand() * 55 * 60_000
          : r < 0.95
            ? beijingInstant(day, 12).getTime() + rand() * 8 * HOUR
            : beijingInstant(addDays(day, 1), 8, 30).getTime() + rand() * HOUR
      deliveries.set(key, instant < NOW.getTime() ? instant : null)
    }
    return deliveries.get(key)!
  }
  const reminders: unknown[][] = []
  const updates: unknown[][] = []
  const extensions: unknown[][] = []
  const twice: { id: number; original: CalendarDate }[] = []
  const action = (item: Item, person: number, instant: number, due: CalendarDate) => {
    if (rand() < 0.12) {
      const status = rand()
      const decided = instant + (4 + rand() * 40) * HOUR
      const decision = status < 0.4 || decided >= NOW.getTime() ? null : status < 0.75 ? 'approved' : 'rejected'
      extensions.push([item.id, person, due, addDays(due, 20), '工作量大，申请延期', decision ?? 'pending', decision && admin.id, decision && at(decided), decision && '已审核', at(instant)])
    } else {
      updates.push([item.id, person, 'progress', 'in_progress', 'in_progress', 30, 40 + Math.floor(rand() * 50), '已按要求推进整改，正在落实', at(instant)])
    }
  }
  for (const item of items) {
    const due = typeof item.dueDate === 'string' ? item.dueDate.slice(0, 10) : item.dueDate.toISOString().slice(0, 10)
    const unit = item.unitId - firstUnit
    const [head, liaison] = [firstPerson + unit * 4, firstPerson + unit * 4 + 2]
    updates.push([item.id, null, 'created', null, 'open', null, 0, '台账导入', at(beijingInstant(addDays('2015-07-01', Math.floor(rand() * 40)), 10).getTime())])
    const rectified = item.status === 'closed' || item.status === 'rectified'
    const doneAt = rectified ? beijingInstant(addDays(due, Math.floor(rand() * 14) - 6), 9 + Math.floor(rand() * 8), Math.floor(rand() * 60)).getTime() : null
    if (doneAt !== null && doneAt < NOW.getTime()) {
      updates.push([item.id, item.person, 'rectified', 'in_progress', 'rectified', 80, 100, '已完成整改', at(doneAt)])
      const closedAt = doneAt + (1 + rand() * 4) * DAY
      if (item.status === 'closed' && closedAt < NOW.getTime()) updates.push([item.id, admin.id, 'closed', 'rectified', 'closed', 100, 100, '销号', at(closedAt)])
    }
    const dueWorkday = workdayOnOrBefore(due)
    for (const { stage, days } of STAGES) {
      const day = addWorkdays(dueWorkday, days)
      if (!inMonth(day) || (doneAt !== null && doneAt <= beijingInstant(day, 9).getTime())) continue
      const queued = at(beijingInstant(day, 9).getTime())
      if (stage === 'escalate-7') {
        const instant = delivered(admin.id, day)
        reminders.push([campaign.id, item.id, item.unitId, stage, days, due, 'org', admin.id, null, `summary:${day}`, queued, instant === null ? null : at(instant)])
        continue
      }
      const told = stage === 'escalate-3' ? [head] : stage === 'overdue-1' ? [...new Set([item.person, item.leader])] : [item.person]
      // 请假: a few reminders go to the liaison, on behalf of the person away.
      const recipients = new Map<number, number | null>()
      for (const person of told) {
        if (person !== liaison && rand() < 0.03) {
          if (!recipients.has(liaison)) recipients.set(liaison, person)
        } else if (!recipients.has(person)) recipients.set(person, null)
      }
      let first = Infinity
      for (const [person, forPerson] of recipients) {
        const instant = delivered(person, day)
        if (instant !== null) first = Math.min(first, instant)
        reminders.push([campaign.id, item.id, item.unitId, stage, days, due, 'unit', person, forPerson, `digest:${day}:${person}`, queued, instant === null ? null : at(instant)])
      }
      if (first === Infinity) continue
      // The unit's answer to this stage: within hours, within days, late, or never.
      const r = rand()
      const answer =
        r < 0.5
          ? first + (0.15 + rand() * 5) * HOUR
          : r < 0.72
            ? beijingInstant(addDays(beijingDate(new Date(first)), 1 + Math.floor(rand() * 4)), 8).getTime() + (0.5 + rand() * 9) * HOUR
            : r < 0.8
              ? beijingInstant(addDays(beijingDate(new Date(first)), 5 + Math.floor(rand() * 8)), 9).getTime() + rand() * 8 * HOUR
              : null
      if (answer !== null && answer < NOW.getTime() && (doneAt === null || answer < doneAt)) action(item, rand() < 0.8 ? item.person : item.leader, answer, due)
    }
    // A few items whose deadline was extended twice, the second time this month.
    if (item.id % 800 === 0 && !rectified && due > '2015-09-20') {
      const [first, second] = [beijingInstant('2015-08-10', 10).getTime() + rand() * 10 * DAY, beijingInstant('2015-09-07', 10).getTime() + rand() * 15 * DAY]
      const original = addDays(due, -40)
      extensions.push([item.id, item.person, original, addDays(due, -20), '工作量大，申请延期', 'approved', admin.id, at(first + DAY), '同意', at(first)])
      extensions.push([item.id, item.person, addDays(due, -20), due, '仍需时间，再次申请延期', 'approved', admin.id, at(second + DAY), '同意', at(second)])
      twice.push({ id: item.id, original })
    }
  }
  await ds.transaction(async (m) => {
    for (const { id, original } of twice) await m.query('UPDATE ledger_item SET original_due_date = ? WHERE id = ?', [original, id])
  })
  await insertHistory(ds, updates, extensions)
  await insertRows(
    ds,
    'reminder_record',
    ['campaign_id', 'ledger_item_id', 'unit_id', 'stage', 'stage_days', 'due_date', 'audience', 'person_id', 'for_person_id', 'outbox_key', 'queued_at', 'delivered_at'],
    reminders,
  )
  return { reminders: reminders.length, updates: updates.length, extensions: extensions.length, extendedTwice: twice.length }
}

async function analyze(ds: DataSource) {
  await ds.query(isMysql(ds) ? 'ANALYZE TABLE ledger_item, progress_update, extension_request, reminder_record, person, unit, campaign_unit' : 'ANALYZE')
}

async function open(url: string): Promise<DataSource> {
  const target = parseDatabaseUrl(url)
  if ('problem' in target) throw new Error(target.problem)
  const ds = await createDataSource(target)
  await ds.initialize()
  return ds
}

async function seedAll(ds: DataSource) {
  const { campaign, firstUnit, firstPerson } = await seedProvince(ds)
  const history = await seedHistory(ds, campaign, firstUnit, firstPerson)
  await analyze(ds)
  return history
}

// ---------------------------------------------------------------- measuring

interface Timing {
  median: number
  best: number
}

/** One warm-up, then RUNS timed calls (ms). */
async function timeIt(fn: () => Promise<unknown>): Promise<Timing> {
  await fn()
  const ms: number[] = []
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now()
    await fn()
    ms.push(performance.now() - start)
  }
  ms.sort((a, b) => a - b)
  return { median: ms[Math.ceil(ms.length / 2) - 1]!, best: ms[0]! }
}

interface Figures {
  county: Timing
  unit: Timing
  floor: Timing
  /** The ranking's reads not in the floor: the first record, the unit names, the approved extensions. */
  otherReads: Timing
  ranked: number
  units: number
  unitName: string
  unitRecords: number
  unitPeople: number
  rows: { reminders: number; actions: number; due: number; overdueGroups: number; overdueItems: number }
  beforeMb: number
  peakMb: number
}

/** In a fresh process: the timings on the database at `url` (seeded), returned as figures. */
async function measure(url: string): Promise<Figures> {
  const ds = await open(url)
  const beforeMb = process.memoryUsage().rss / 2 ** 20
  const campaign = await ds.getRepository(CampaignSchema).findOneOrFail({ where: {}, order: { id: 'ASC' } })
  const from = sqlInstant(ds, beijingInstant(`${MONTH}-01`))
  const today = beijingDate(NOW)
  const [busiest] = (await ds.query(
    `SELECT r.unit_id AS unitId, u.name, COUNT(*) AS n FROM reminder_record r JOIN unit u ON u.id = r.unit_id
     WHERE r.campaign_id = ? AND r.delivered_at >= ? GROUP BY r.unit_id, u.name ORDER BY n DESC, r.unit_id LIMIT 1`,
    [campaign.id, from],
  )) as { unitId: number; name: string; n: number | string }[]

  const county = await timeIt(() => responsiveness(ds, campaign, { month: MONTH }, NOW))
  const result = await responsiveness(ds, campaign, { month: MONTH }, NOW)
  const unit = await timeIt(() => responsiveness(ds, campaign, { month: MONTH }, NOW, { unitId: Number(busiest!.unitId), people: true }))
  const one = await responsiveness(ds, campaign, { month: MONTH }, NOW, { unitId: Number(busiest!.unitId), people: true })

  // The floor: the same rows, read with plain SQL, nothing computed (from 31 days before the month, as the read model looks back).
  const last = addDays(today, -1)
  const since = sqlInstant(ds, new Date(beijingInstant(`${MONTH}-01`).getTime() - 31 * 86_400_000))
  const floorQueries = () => [
    ds.query(
      `SELECT ledger_item_id, unit_id, stage, stage_days, due_date, audience, person_id, for_person_id, queued_at, delivered_at
       FROM reminder_record WHERE campaign_id = ? AND delivered_at >= ?`,
      [campaign.id, since],
    ),
    ds.query(
      `SELECT p.ledger_item_id AS item, p.created_at AS at FROM progress_update p JOIN ledger_item i ON i.id = p.ledger_item_id
       WHERE i.campaign_id = ? AND p.kind IN ('progress', 'rectified') AND p.person_id IS NOT NULL AND p.created_at >= ?
       UNION ALL
       SELECT e.ledger_item_id AS item, e.created_at AS at FROM extension_request e JOIN ledger_item i ON i.id = e.ledger_item_id
       WHERE i.campaign_id = ? AND e.created_at >= ?`,
      [campaign.id, since, campaign.id, since],
    ),
    ds.query(
      `SELECT i.unit_id, i.due_date, i.original_due_date, i.rectified_at, i.closed_at,
         (SELECT MIN(p.created_at) FROM progress_update p WHERE p.ledger_item_id = i.id AND p.kind IN ('rectified', 'closed')) AS first_done
       FROM ledger_item i
       WHERE i.campaign_id = ? AND ((i.original_due_date >= ? AND i.original_due_date <= ?) OR (i.due_date >= ? AND i.due_date <= ?))`,
      [campaign.id, `${MONTH}-01`, last, `${MONTH}-01`, last],
    ),
    ds.query(
      `SELECT unit_id, due_date, COUNT(*) AS n FROM ledger_item
       WHERE campaign_id = ? AND status IN ('open', 'in_progress') AND due_date < ? GROUP BY unit_id, due_date`,
      [campaign.id, today],
    ),
  ]
  const readAll = async () => {
    const results: unknown[][] = []
    for (const query of floorQueries()) results.push((await query) as unknown[])
    return results
  }
  const floor = await timeIt(readAll)
  const [reminders, actions, due, overdue] = await readAll()
  const otherReads = await timeIt(async () => {
    await ds.query('SELECT MIN(queued_at) AS first FROM reminder_record')
    await ds.query(
      `SELECT id, name FROM unit WHERE id IN (SELECT unit_id FROM campaign_unit WHERE campaign_id = ? AND role = 'participant')
         OR id IN (SELECT DISTINCT unit_id FROM ledger_item WHERE campaign_id = ?)`,
      [campaign.id, campaign.id],
    )
    await ds.query(
      `SELECT e.ledger_item_id AS item, i.unit_id AS unitId, e.decided_at AS decidedAt FROM extension_request e JOIN ledger_item i ON i.id = e.ledger_item_id
       WHERE i.campaign_id = ? AND e.status = 'approved' AND e.decided_at IS NOT NULL`,
      [campaign.id],
    )
  })
  const figures: Figures = {
    county,
    unit,
    floor,
    otherReads,
    ranked: result.units.filter((u) => u.rank !== null).length,
    units: result.units.length,
    unitName: busiest!.name,
    unitRecords: Number(busiest!.n),
    unitPeople: one.people.length,
    rows: {
      reminders: reminders!.length,
      actions: actions!.length,
      due: due!.length,
      overdueGroups: overdue!.length,
      overdueItems: (overdue as { n: number | string }[]).reduce((sum, r) => sum + Number(r.n), 0),
    },
    beforeMb,
    peakMb: process.resourceUsage().maxRSS / 1024,
  }
  await ds.destroy()
  return figures
}

function measureInChild(url: string): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['measure', url], { stdio: 'inherit' })
    let figures: Figures | undefined
    child.on('message', (m) => (figures = m as Figures))
    child.on('error', reject)
    child.on('exit', (code) => (figures ? resolve(figures) : reject(new Error(`measuring process exited with ${code}`))))
  })
}

const n = (value: number) => value.toLocaleString('en-US')
const ms = (t: Timing) => `median ${t.median.toFixed(0)} ms, best ${t.best.toFixed(0)} ms`

function print(f: Figures) {
  console.log(`  county ranking (${f.ranked} of ${f.units} units ranked): ${ms(f.county)}`)
  console.log(`  one unit with its people (${f.unitName}: ${f.unitRecords} records, ${f.unitPeople} people): ${ms(f.unit)}`)
  console.log(`  floor (the same rows in plain SQL, nothing computed): ${ms(f.floor)}`)
  console.log(`  ratio to the floor: ${(f.county.median / f.floor.median).toFixed(1)} (best to best ${(f.county.best / f.floor.best).toFixed(1)})`)
  console.log(
    `  rows read: ${n(f.rows.reminders)} reminder records, ${n(f.rows.actions)} actions, ${n(f.rows.due)} items due in ${MONTH}, ` +
      `${n(f.rows.overdueGroups)} overdue (unit, due date) groups of ${n(f.rows.overdueItems)} items`,
  )
  console.log(`  the ranking's other reads (first record, unit names, approved extensions): ${ms(f.otherReads)}`)
  console.log(`  peak RSS ${f.peakMb.toFixed(0)} MB (${f.beforeMb.toFixed(0)} MB with the database open)`)
}

async function bench(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  try {
    const start = performance.now()
    const history = await seedAll(database.dataSource)
    await database.dataSource.destroy()
    console.log(
      `${label}: ${UNITS} units, ${UNITS * 4} people, ${ITEMS} items; ${MONTH}'s history seeded in ${((performance.now() - start) / 1000).toFixed(1)} s: ` +
        `${n(history.reminders)} reminder records, ${n(history.updates)} progress rows, ${n(history.extensions)} extension requests (${history.extendedTwice} items extended twice); ` +
        `now ${NOW.toISOString()}, ${RUNS} runs after a warm-up`,
    )
    print(await measureInChild(database.url))
  } finally {
    await database.close()
  }
}

if (process.argv[2] === 'measure') {
  const figures = await measure(process.argv[3]!)
  if (process.send) process.send(figures)
  else console.log(JSON.stringify(figures))
} else if (process.argv[2] === 'run') {
  print(await measure(process.argv[3]!))
} else if (process.argv[2] === 'seed') {
  const ds = await open(process.argv[3]!)
  await ds.runMigrations({ transaction: 'each' })
  console.log(await seedAll(ds))
  await ds.destroy()
} else {
  await bench('SQLite')
  if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
}
