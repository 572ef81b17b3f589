/**
 * The dashboard at province size (docs/dashboard.md): bench/province.ts's campaign — 5,000 units,
 * 20,000 people, 200,000 items — with a history so 总览's trend has data (progress_update rows for
 * a share of the items: 'created' for each, progress, rectified, closed, some reopened and some
 * extended; approved extension requests; monthly reports of most units for the past months),
 * on SQLite and (with BENCH_MYSQL_URL) MariaDB/MySQL.
 *
 * The real app (createApp, the dashboard in console mode) on loopback, signed in through the
 * development login as 组织部; timed on the server (request in to the last byte handed to the
 * socket, compressed as a browser asks: accept-encoding br, gzip), WARMUPS then REQUESTS each:
 * GET /dash (总览) and the largest unit's page /dash/units/:id. Also: 总览's parts in process
 * (the read model, the charts, the JSX), the bytes a first visit sends (the page and its CSS,
 * compressed, counted on the socket), and the floor: the plain SQL query reading the items'
 * (id, unit_id, status, due_date, closed_at), in the same run.
 *
 *   npm run bench:dashboard
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:dashboard
 *   REQUESTS=5 WARMUPS=1 npm run bench:dashboard        (fewer requests, for a slow build)
 *
 * To profile: `npx tsx bench/dashboard.ts seed sqlite:/tmp/dash.sqlite`, then
 * `node --import tsx --cpu-prof bench/dashboard.ts run sqlite:/tmp/dash.sqlite`.
 *
 * Prints figures; asserts nothing.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createConnection } from 'mysql2/promise'
import type { DataSource } from 'typeorm'
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config/database-url.js'
import { createDataSource } from '../src/db/create-data-source.js'
import { CampaignSchema, PersonSchema, RoleAssignmentSchema, UnitSchema, type Campaign } from '../src/db/entities/index.js'
import { isMysql, sqlInstant } from '../src/db/sql-instant.js'
import { createApp } from '../src/http/create-app.js'
import { categoryChart, trendChart } from '../src/http/dashboard/charts.js'
import { OverviewPage } from '../src/http/dashboard/pages/overview.js'
import { createLogger } from '../src/logger.js'
import { overview } from '../src/read-model/dashboard-overview.js'
import { addDays, beijingInstant, daysBetween, lastDayOfMonth } from '../src/time/calendar-date.js'
import { insertHistory, insertRows, ITEMS, PROVINCE_TODAY, random, seedProvince, UNITS } from './province.js'

const NOW = new Date(`${PROVINCE_TODAY}T10:00:00+08:00`)
const START = '2015-07-01'
const WARMUPS = Number(process.env.WARMUPS ?? 3)
const REQUESTS = Number(process.env.REQUESTS ?? 30)
/** The share of items with a history (the rest were imported with none). */
const HISTORY_SHARE = Number(process.env.HISTORY_SHARE ?? 0.5)
/** Months reported on before PROVINCE_TODAY, and the share of units reporting each. */
const REPORT_MONTHS = ['2015-07', '2015-08', '2015-09']
const REPORTING_SHARE = 0.9
const ORG_USERID = 'zuzhibu'
const AIMS = { overviewP95Ms: 150, firstVisitKb: 300 }

// ---------------------------------------------------------------- the database

/** A fresh database (a SQLite file in a temporary folder, or a new database on the MySQL server), as test/helpers/test-database.ts makes one. */
async function freshDatabase(mysqlUrl?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!mysqlUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-dashboard-'))
    return { url: `sqlite:${join(dir, 'bench.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const server = parseDatabaseUrl(mysqlUrl)
  if ('problem' in server || server.kind !== 'mysql') throw new Error(`not a MySQL URL: ${mysqlUrl}`)
  const name = `bench_dashboard_${process.pid}`
  const admin = () => createConnection({ host: server.host, port: server.port, user: server.user, password: server.password })
  const c = await admin()
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`)
  await c.end()
  const auth = server.password ? `${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}` : encodeURIComponent(server.user)
  return {
    url: `mysql://${auth}@${server.host}:${server.port}/${name}`,
    drop: async () => {
      const d = await admin()
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await d.end()
    },
  }
}

async function open(url: string): Promise<DataSource> {
  const target = parseDatabaseUrl(url) as DatabaseTarget | { problem: string }
  if ('problem' in target) throw new Error(target.problem)
  const ds = await createDataSource(target)
  await ds.initialize()
  return ds
}


// ---------------------------------------------------------------- the history

interface Event {
  at: Date
  kind: 'created' | 'progress' | 'rectified' | 'closed' | 'reopened' | 'extended'
  oldStatus: string | null
  newStatus: string
}

/** The path an item took to the state it is in today (a tenth of the closed ones closed once before, then reopened). */
function path(status: string, reopened: boolean): Event['kind'][] {
  const steps: Record<string, Event['kind'][]> = {
    open: ['created'],
    in_progress: ['created', 'progress'],
    rectified: ['created', 'progress', 'rectified'],
    closed: reopened ? ['created', 'progress', 'rectified', 'closed', 'reopened', 'rectified', 'closed'] : ['created', 'progress', 'rectified', 'closed'],
  }
  return steps[status]!
}

const AFTER: Record<Event['kind'], string> = { created: 'open', progress: 'in_progress', rectified: 'rectified', closed: 'closed', reopened: 'in_progress', extended: '' }

/**
 * The campaign's history: items registered over July and August (never after their due date),
 * closed ones closed between then and ten days past their due date (before today); for a share
 * of the items their progress_update rows; approved extensions for some; monthly reports.
 */
async function seedHistory(ds: DataSource, campaign: Campaign, firstUnit: number, firstPerson: number) {
  const rand = random(20151015)
  const items = (await ds.query('SELECT id, unit_id AS unitId, status, due_date AS dueDate FROM ledger_item WHERE campaign_id = ? ORDER BY id', [campaign.id])) as {
    id: number
    unitId: number
    status: string
    dueDate: string | Date
  }[]
  const dayMs = 86_400_000
  const todayStart = beijingInstant(PROVINCE_TODAY).getTime()
  const updates: unknown[][] = []
  const extensions: unknown[][] = []
  const times: unknown[][] = []
  const person = (unitId: number) => firstPerson + (unitId - firstUnit) * 4 + 2
  for (const item of items) {
    const due = typeof item.dueDate === 'string' ? item.dueDate.slice(0, 10) : item.dueDate.toISOString().slice(0, 10)
    const createdDay = addDays(START, Math.floor(rand() * Math.min(62, daysBetween(START, due) + 1)))
    const created = beijingInstant(createdDay, 8 + Math.floor(rand() * 10), Math.floor(rand() * 60))
    // The last step: closed by ten days past the due date, before today; others before now.
    const end = item.status === 'closed' ? Math.min(beijingInstant(addDays(due, 10), 18).getTime(), todayStart - 3_600_000) : NOW.getTime() - 3_600_000
    const span = Math.max(end - created.getTime(), dayMs)
    const kinds = path(item.status, rand() < 0.1)
    const at = kinds.map((_, k) => (k === 0 ? created.getTime() : created.getTime() + rand() * span)).sort((a, b) => a - b)
    if (item.status === 'closed') at[at.length - 1] = created.getTime() + span
    const events: Event[] = kinds.map((kind, k) => ({ at: new Date(at[k]!), kind, oldStatus: k === 0 ? null : AFTER[kinds[k - 1]!], newStatus: AFTER[kind] }))
    const closedAt = item.status === 'closed' ? events.at(-1)!.at : null
    const rectifiedAt = item.status === 'closed' || item.status === 'rectified' ? events.findLast((e) => e.kind === 'rectified')!.at : null
    times.push([item.id, sqlInstant(ds, created), rectifiedAt && sqlInstant(ds, rectifiedAt), closedAt && sqlInstant(ds, closedAt)])
    if (rand() >= HISTORY_SHARE) continue
    // Some deadlines were extended by twenty days, approved at a moment of the item's life.
    if (rand() < 0.05 && due > addDays(createdDay, 25)) {
      const decided = new Date(created.getTime() + rand() * Math.min(span, (daysBetween(createdDay, due) - 20) * dayMs))
      const status = events.findLast((e) => e.at <= decided)!.newStatus
      events.push({ at: decided, kind: 'extended', oldStatus: status, newStatus: status })
      events.sort((a, b) => a.at.getTime() - b.at.getTime())
      extensions.push([item.id, person(item.unitId), addDays(due, -20), due, '工作量大，申请延期', 'approved', firstPerson, sqlInstant(ds, decided), '同意', sqlInstant(ds, new Date(decided.getTime() - dayMs))])
    }
    let progress = 0
    for (const e of events) {
      const next = e.newStatus === 'closed' ? 100 : e.kind === 'created' ? 0 : Math.min(95, progress + 10 + Math.floor(rand() * 40))
      updates.push([item.id, person(item.unitId), e.kind, e.oldStatus, e.newStatus, e.kind === 'created' ? null : progress, next, `${e.kind}：整改推进情况说明`, sqlInstant(ds, e.at)])
      progress = next
    }
  }
  await insertHistory(ds, updates, extensions)
  // The items' own instants, through a scratch table (one UPDATE with a keyed subquery, on either database).
  await ds.query(`CREATE TABLE bench_item_times (id INT PRIMARY KEY, created_at DATETIME(6) NOT NULL, rectified_at DATETIME(6) NULL, closed_at DATETIME(6) NULL)`)
  await insertRows(ds, 'bench_item_times', ['id', 'created_at', 'rectified_at', 'closed_at'], times)
  const from = (column: string) => `(SELECT t.${column} FROM bench_item_times t WHERE t.id = ledger_item.id)`
  await ds.query(`UPDATE ledger_item SET created_at = ${from('created_at')}, rectified_at = ${from('rectified_at')}, closed_at = ${from('closed_at')} WHERE campaign_id = ?`, [campaign.id])
  await ds.query('DROP TABLE bench_item_times')
  // Monthly reports: most units each past month, by its last day or a few days late.
  const reports: unknown[][] = []
  for (const month of REPORT_MONTHS) {
    for (let unit = 0; unit < UNITS; unit += 1) {
      if (rand() >= REPORTING_SHARE) continue
      const submitted = beijingInstant(addDays(lastDayOfMonth(`${month}-01`), Math.floor(rand() * 9) - 6), 9 + Math.floor(rand() * 9), Math.floor(rand() * 60))
      const at = sqlInstant(ds, submitted)
      reports.push([campaign.id, firstUnit + unit, month, `${month} 月报：本月整改工作推进情况`, person(firstUnit + unit), at, 1, at, at])
    }
  }
  await insertRows(ds, 'monthly_report', ['campaign_id', 'unit_id', 'month', 'content', 'submitted_by_id', 'submitted_at', 'revision', 'created_at', 'updated_at'], reports)
  // 组织部, who sees the whole province.
  const org = await ds.getRepository(UnitSchema).save({ name: '省委组织部', kind: 'county_department', parentId: null })
  const admin = await ds.getRepository(PersonSchema).save({ userid: ORG_USERID, name: '组织部干部', unitId: org.id, title: null, mobile: null })
  await ds.getRepository(RoleAssignmentSchema).save({ personId: admin.id, role: 'org_admin', unitId: null })
  return { updates: updates.length, extensions: extensions.length, reports: reports.length }
}

async function seedAll(ds: DataSource) {
  await ds.runMigrations({ transaction: 'each' })
  const { campaign, firstUnit, firstPerson } = await seedProvince(ds)
  const history = await seedHistory(ds, campaign, firstUnit, firstPerson)
  await ds.query(isMysql(ds) ? 'ANALYZE TABLE ledger_item, progress_update, extension_request, monthly_report, person, role_assignment, unit, campaign_unit' : 'ANALYZE')
  return history
}

// ---------------------------------------------------------------- measuring

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}

/** A GET on a new connection, as a browser asks (br, gzip): the status, the bytes on the socket and the body's bytes as sent (compressed). */
function get(base: string, path: string, cookie: string): Promise<{ status: number; wireBytes: number; bodyBytes: number; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}${path}`, { agent: false, headers: { cookie, 'accept-encoding': 'br, gzip' } }, (response) => {
      let bodyBytes = 0
      response.on('data', (chunk: Buffer) => (bodyBytes += chunk.length))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, wireBytes: request.socket?.bytesRead ?? 0, bodyBytes, encoding: response.headers['content-encoding'] }))
      response.on('error', reject)
    })
    request.on('error', reject)
  })
}

/** Signs in through the development login (what test/helpers/dashboard.ts's devSignIn does): the session cookie. */
async function signIn(base: string, userid: string): Promise<string> {
  const login = await fetch(`${base}/dash/login?next=%2Fdash`, { redirect: 'manual' })
  const state = /name="state" value="([^"]+)"/.exec(await login.text())?.[1]
  const stateCookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  if (!state) throw new Error('no development login page')
  const signed = await fetch(`${base}/dash/login/dev`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: stateCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ state, next: '/dash', userid }).toString(),
  })
  const session = signed.headers.getSetCookie().find((c) => c.startsWith('dash_session='))
  if (signed.status !== 302 || !session) throw new Error(`development login as ${userid} refused: ${signed.status}`)
  return session.split(';')[0]!
}

interface Timing {
  p50: number
  p95: number
}

const timing = (ms: number[]): Timing => ({ p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) })

async function timeIt(fn: () => unknown | Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < WARMUPS; i += 1) await fn()
  const ms: number[] = []
  for (let i = 0; i < REQUESTS; i += 1) {
    const start = performance.now()
    await fn()
    ms.push(performance.now() - start)
  }
  return timing(ms)
}

async function measure(label: string, url: string) {
  const ds = await open(url)
  const campaign = await ds.getRepository(CampaignSchema).findOneOrFail({ where: {}, order: { id: 'ASC' } })
  const [largest] = (await ds.query('SELECT unit_id AS unitId, COUNT(*) AS n FROM ledger_item WHERE campaign_id = ? GROUP BY unit_id ORDER BY n DESC, unit_id LIMIT 1', [campaign.id])) as {
    unitId: number
    n: number
  }[]
  const counts = async (table: string) => Number(((await ds.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number }[])[0]!.n)
  console.log(
    `${label}: ${await counts('unit')} units, ${await counts('person')} people, ${await counts('ledger_item')} items, ${await counts('progress_update')} history rows, ` +
      `${await counts('extension_request')} extensions, ${await counts('monthly_report')} monthly reports; today ${PROVINCE_TODAY}; ${WARMUPS} warm-ups, ${REQUESTS} timed requests each`,
  )

  // The app, on a server that times each request from its arrival to its last byte handed to the socket.
  const app = createApp({ dataSource: ds, logger: createLogger('silent'), deliveryMode: 'console', now: () => NOW, dashboard: { secret: 'bench-dashboard-secret-of-32-chars!!', publicUrl: 'http://localhost:3000', wecom: null } })
  const handle = app.callback()
  const served = new Map<string, number[]>()
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const start = performance.now()
    res.on('finish', () => {
      const path = (req.url ?? '').split('?')[0]!
      const list = served.get(path) ?? []
      list.push(performance.now() - start)
      served.set(path, list)
    })
    void handle(req, res)
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  try {
    const cookie = await signIn(base, ORG_USERID)
    const serverTime = async (path: string): Promise<Timing & { status: number }> => {
      let status = 0
      for (let i = 0; i < WARMUPS; i += 1) status = (await get(base, path, cookie)).status
      served.delete(path.split('?')[0]!)
      for (let i = 0; i < REQUESTS; i += 1) status = (await get(base, path, cookie)).status
      return { ...timing(served.get(path.split('?')[0]!) ?? []), status }
    }
    const dash = await serverTime('/dash')
    // 总览 is kept while nothing it reads changed (src/read-model/overview-cache.ts): the view
    // after a change is counted again. A change here: an item's last-change time moved on.
    served.delete('/dash')
    const first = ((await ds.query('SELECT MIN(id) AS first FROM ledger_item WHERE campaign_id = ?', [campaign.id])) as { first: number }[])[0]!.first
    for (let i = 0; i < Math.min(REQUESTS, 10); i += 1) {
      await ds.query('UPDATE ledger_item SET updated_at = ? WHERE id = ?', [`2100-01-01 00:00:${String(10 + i).padStart(2, '0')}`, first])
      await get(base, '/dash', cookie)
    }
    const recount = timing(served.get('/dash') ?? [])
    const unitPage = await serverTime(`/dash/units/${largest!.unitId}`)
    const page = await get(base, '/dash', cookie)
    const css = await get(base, '/dash/static/dash.css', cookie)

    // 总览's parts, in process: the read model, the two charts, the page's JSX.
    const data = await overview(ds, campaign, PROVINCE_TODAY, null)
    const readModel = await timeIt(() => overview(ds, campaign, PROVINCE_TODAY, null))
    const charts = await timeIt(() => [trendChart(data.trend.slice(-60)), categoryChart(data.categories)])
    const trendSvg = trendChart(data.trend.slice(-60))
    const categorySvg = categoryChart(data.categories)
    const query = { sort: 'light', dir: 'desc', kind: 'all', q: '' } as const
    const render = () =>
      OverviewPage({ campaignName: campaign.name, overview: data, viewer: { name: '组织部干部', csrf: 'x'.repeat(43) }, query, trendSvg, categorySvg, scope: '全县', unitLink: (id) => `/dash/units/${id}` })
    const jsx = await timeIt(render)
    const htmlBytes = Buffer.byteLength(render())

    // The floor: the one plain query reading the items' figures' columns.
    const floor = await timeIt(() => ds.query('SELECT id, unit_id, status, due_date, closed_at FROM ledger_item WHERE campaign_id = ?', [campaign.id]))
    // …and the history rows the trend reads, the same way (in id order, each row's item looked up: the faster plan on MySQL too).
    const join = isMysql(ds) ? 'STRAIGHT_JOIN' : 'INNER JOIN'
    const historyFloor = await timeIt(() =>
      ds.query(`SELECT h.ledger_item_id, h.created_at, h.old_status, h.new_status FROM progress_update h ${join} ledger_item i ON i.id = h.ledger_item_id WHERE i.campaign_id = ? ORDER BY h.id`, [campaign.id]),
    )

    const ms = (t: Timing) => `p50 ${t.p50.toFixed(1).padStart(7)} ms   p95 ${t.p95.toFixed(1).padStart(7)} ms`
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
    const firstVisit = page.wireBytes + css.wireBytes
    const rows: [string, string, string][] = [
      ['GET /dash after a change (counted again)', ms(recount), ''],
      ['GET /dash (总览), server time', ms(dash), label === 'SQLite' ? `aim: p95 < ${AIMS.overviewP95Ms} ms — ${dash.p95 < AIMS.overviewP95Ms ? 'met' : 'NOT met'}` : `(aim on SQLite: p95 < ${AIMS.overviewP95Ms} ms)`],
      [`GET /dash/units/${largest!.unitId} (${largest!.n} items), server time`, ms(unitPage), ''],
      ['  总览 read model (overview())', ms(readModel), ''],
      ['  总览 charts (trend + categories)', ms(charts), ''],
      [`  总览 page JSX (${data.units.length} unit rows, ${kb(htmlBytes)} of HTML)`, ms(jsx), ''],
      ['floor: SELECT id, unit_id, status, due_date, closed_at', ms(floor), `总览 p50 is ${(dash.p50 / floor.p50).toFixed(1)}× the floor`],
      ['  and the history rows (ledger_item_id, created_at, old/new status)', ms(historyFloor), `the two: p50 ${(floor.p50 + historyFloor.p50).toFixed(0)} ms`],
      [
        `first visit bytes: page ${kb(page.bodyBytes)} (${page.encoding ?? 'identity'}) + CSS ${kb(css.bodyBytes)} (${css.encoding ?? 'identity'}), with headers`,
        kb(firstVisit),
        `aim: < ${AIMS.firstVisitKb} KB — ${firstVisit < AIMS.firstVisitKb * 1024 ? 'met' : 'NOT met'}`,
      ],
    ]
    if (dash.status !== 200 || unitPage.status !== 200) console.log(`  (statuses: /dash ${dash.status}, unit page ${unitPage.status})`)
    const width = Math.max(...rows.map((r) => [...r[0]].length))
    for (const [name, figure, aim] of rows) console.log(`  ${name}${' '.repeat(width - [...name].length)}   ${figure.padEnd(36)}   ${aim}`)
  } finally {
    await new Promise((resolve) => server.close(resolve))
    await ds.destroy()
  }
}

async function bench(label: string, mysqlUrl?: string) {
  const database = await freshDatabase(mysqlUrl)
  try {
    const ds = await open(database.url)
    const start = performance.now()
    const history = await seedAll(ds)
    await ds.destroy()
    console.log(
      `${label}: ${UNITS} units, ${UNITS * 4} people, ${ITEMS} items, ${history.updates} history rows, ${history.extensions} extensions, ${history.reports} monthly reports seeded in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    )
    await measure(label, database.url)
  } finally {
    await database.drop()
  }
}

if (process.argv[2] === 'seed') {
  const ds = await open(process.argv[3]!)
  console.log(await seedAll(ds))
  await ds.destroy()
} else if (process.argv[2] === 'run') {
  const url = process.argv[3]!
  await measure(url.startsWith('mysql') ? 'MariaDB/MySQL' : 'SQLite', url)
} else {
  await bench('SQLite')
  if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
}
