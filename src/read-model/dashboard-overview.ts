import { In, type DataSource, type EntityManager } from 'typeorm'
import { PhaseSchema, ProblemCategorySchema, UnitSchema, type Campaign, type LedgerItem, type UnitKind } from '../db/entities/index.js'
import { fromSqlInstant, isMysql } from '../db/sql-instant.js'
import { defaultMonth } from '../domain/reports/month-span.js'
import { addDays, beijingDate, beijingInstant, daysInMonth, type CalendarDate } from '../time/calendar-date.js'
import { isOpen, isOverdue, onTimeRate, sumTallies } from './figures.js'
import { ledgerStatusOf, type ItemState, type LedgerStatus, type UnitStatistics } from './ledger-status.js'
import { responsiveness, type Responsiveness, type ScopeFigures, type UnitResponsiveness } from './responsiveness.js'

type Db = DataSource | EntityManager

/**
 * 总览, the dashboard's first page (docs/dashboard.md, 总览): every figure from the read model
 * chat reads — the totals and units are `ledgerStatus`, as in 统计 (docs/figures.md).
 */
export interface Overview {
  today: CalendarDate
  /** The plan's phases, in order, and which of them run today. */
  phases: { name: string; startDate: CalendarDate; endDate: CalendarDate; running: boolean }[]
  totals: LedgerStatus['totals']
  /** Per day since the campaign began, at the end of the day (Beijing): 已销号, 在办 (open, not overdue), 逾期. */
  trend: { date: CalendarDate; closed: number; open: number; overdue: number }[]
  /** Overdue items today by problem category (the plan's eight, in order, none left out). */
  categories: { number: number; name: string; overdue: number }[]
  /** The units, worst first, with their kind (towns and county departments filter apart) and their latest monthly report. */
  units: (UnitStatistics & { kind: UnitKind; lastReport: LastReport | null })[]
}

/** A unit's latest monthly report: the month it reports on (YYYY-MM) and when its current version came. */
export interface LastReport {
  month: string
  submittedAt: Date
}

/** 总览 for `units` (null: the whole county; unit heads and liaisons see their own units only). */
export async function overview(db: Db, campaign: Campaign, today: CalendarDate, units: readonly number[] | null): Promise<Overview> {
  // The campaign's items are read once (a province has 200,000): the figures, the categories and the trend share them.
  const items = await overviewItems(db, campaign.id)
  const status = await ledgerStatusOf(db, campaign.id, today, items)
  const unitSet = units === null ? null : new Set(units)
  const shown = unitSet === null ? status.units : status.units.filter((u) => unitSet.has(u.unitId))
  const scoped = unitSet === null ? items : items.filter((i) => unitSet.has(i.unitId))
  const kinds = await unitKinds(db, shown.map((u) => u.unitId))
  const reports = await lastReports(db, campaign.id)
  return {
    today,
    phases: await overviewPhases(db, campaign.id, today),
    totals: units === null ? status.totals : totalsOf(shown),
    trend: dailyTrend(scoped, await trendHistory(db, campaign.id, units), campaign.startDate, today),
    categories: await overdueByCategory(db, campaign.id, today, scoped),
    units: shown.map((u) => ({ ...u, kind: kinds.get(u.unitId) ?? 'county_department', lastReport: reports.get(u.unitId) ?? null })),
  }
}

/** How many of the slowest units 总览's 响应时效 panel names (docs/responsiveness.md, Where they are shown). */
export const SLOWEST_SHOWN = 5

/**
 * 总览's 响应时效 panel: this month's figures (the month chat's 时效 defaults to) as 时效 reads them
 * (docs/responsiveness.md). The county's view: the county and its five slowest ranked units; a
 * unit head's (some units): each unit's own figures, never the county's ranking.
 */
export interface OverviewResponsiveness {
  period: Responsiveness['period']
  /** The county's figures; null for a view of some units. */
  county: ScopeFigures | null
  /** The county's view: the slowest ranked units, slowest first; a view of some units: those units, by name. */
  units: UnitResponsiveness[]
  /** The county's view: how many units are ranked (those shown and the rest). */
  ranked: number
}

/** The 响应时效 panel of 总览 for `units` (null: the county), as of `now`; null for a view of no unit. */
export async function overviewResponsiveness(db: Db, campaign: Campaign, now: Date, units: readonly number[] | null): Promise<OverviewResponsiveness | null> {
  const period = { month: defaultMonth(campaign, beijingDate(now)) }
  if (units === null) {
    const figures = await responsiveness(db, campaign, period, now)
    const ranked = figures.units.filter((u) => u.rank !== null)
    return { period: figures.period, county: figures.county, units: ranked.slice(0, SLOWEST_SHOWN), ranked: ranked.length }
  }
  // Each unit on its own (as 时效 ‹单位›): a unit head's view reads its units' records only.
  const each: Responsiveness[] = []
  for (const unitId of units) each.push(await responsiveness(db, campaign, period, now, { unitId }))
  if (each.length === 0) return null
  const own = each.flatMap((figures, k) => figures.units.filter((u) => u.unitId === units[k]))
  own.sort((a, b) => a.unitName.localeCompare(b.unitName, 'zh-CN'))
  return { period: each[0]!.period, county: null, units: own, ranked: 0 }
}

/** The plan's phases, in order, and which of them run today. */
export async function overviewPhases(db: Db, campaignId: number, today: CalendarDate): Promise<Overview['phases']> {
  const phases = await db.getRepository(PhaseSchema).find({ where: { campaignId }, order: { seq: 'ASC' } })
  return phases.map((p) => ({ name: p.name, startDate: p.startDate, endDate: p.endDate, running: p.startDate <= today && today <= p.endDate }))
}

/** What 总览 reads of an item: the figures' fields (ItemState), its category, and when it was registered (epoch milliseconds). */
export type OverviewItem = ItemState & Pick<LedgerItem, 'categoryId'> & { registered: number }

/** The campaign's items in one plain query, ascending ids: TypeORM's mapping of 200,000 rows to entities would cost as much again. */
async function overviewItems(db: Db, campaignId: number): Promise<OverviewItem[]> {
  const rows = (await db.query(
    'SELECT id, unit_id AS unitId, category_id AS categoryId, status, due_date AS dueDate, closed_at AS closedAt, created_at AS registered FROM ledger_item WHERE campaign_id = ? ORDER BY id',
    [campaignId],
  )) as OverviewItem[]
  for (const row of rows) {
    if (row.closedAt !== null) row.closedAt = new Date(instantMs(row.closedAt))
    row.registered = instantMs(row.registered)
  }
  return rows
}

/** The totals of some units (sumTallies, as the county's own are made). */
function totalsOf(units: readonly UnitStatistics[]): LedgerStatus['totals'] {
  const totals = sumTallies(units)
  return { ...totals, onTimeRate: onTimeRate(totals) }
}

/** Each unit's latest monthly report of the campaign (the latest month it reported on). */
async function lastReports(db: Db, campaignId: number): Promise<Map<number, LastReport>> {
  const rows = (await db.query('SELECT unit_id AS unitId, month, submitted_at AS submittedAt FROM monthly_report WHERE campaign_id = ?', [campaignId])) as { unitId: number; month: string; submittedAt: unknown }[]
  const latest = new Map<number, LastReport>()
  for (const row of rows) {
    const known = latest.get(row.unitId)
    if (!known || row.month > known.month) latest.set(row.unitId, { month: row.month, submittedAt: new Date(instantMs(row.submittedAt)) })
  }
  return latest
}

async function unitKinds(db: Db, ids: readonly number[]): Promise<Map<number, UnitKind>> {
  if (ids.length === 0) return new Map()
  const rows = await db.getRepository(UnitSchema).find({ where: { id: In([...ids]) }, select: { id: true, kind: true } })
  return new Map(rows.map((u) => [u.id, u.kind]))
}

/** The trend's longest run of days. */
const TREND_DAYS = 400
const DAY_MS = 86_400_000

/** A history row or an approved extension of an item, as the trend reads it: when, as epoch milliseconds. */
interface UpdateRow {
  itemId: number
  at: number
  oldStatus: string | null
  newStatus: string
}
interface ExtensionRow {
  itemId: number
  at: number
  oldDueDate: CalendarDate
}

/** The items' history (of `units` only, when given), each in id order as ledgerAsOf takes it: loadCampaignHistory's rows, the columns the trend needs. */
async function trendHistory(db: Db, campaignId: number, units: readonly number[] | null): Promise<{ updates: UpdateRow[]; extensions: ExtensionRow[] }> {
  if (units !== null && units.length === 0) return { updates: [], extensions: [] }
  const scope = units === null ? '' : ` AND i.unit_id IN (${units.map(() => '?').join(', ')})`
  const parameters = [campaignId, ...(units ?? [])]
  // The whole campaign's history read in id order, each row's item looked up: SQLite's own plan.
  // MySQL/MariaDB would start from the campaign's items and sort the rows by id afterwards, four
  // times slower. (A few units' history starts from their items, on either.)
  const join = isMysql(db) && units === null ? 'STRAIGHT_JOIN' : 'INNER JOIN'
  const updates = (await db.query(
    `SELECT h.ledger_item_id AS itemId, h.created_at AS at, h.old_status AS oldStatus, h.new_status AS newStatus FROM progress_update h ${join} ledger_item i ON i.id = h.ledger_item_id WHERE i.campaign_id = ?${scope} ORDER BY h.id`,
    parameters,
  )) as UpdateRow[]
  // ledgerAsOf undoes an approved extension decided after the instant; no other ever counts.
  const extensions = (await db.query(
    `SELECT e.ledger_item_id AS itemId, e.decided_at AS at, e.old_due_date AS oldDueDate FROM extension_request e ${join} ledger_item i ON i.id = e.ledger_item_id WHERE i.campaign_id = ? AND e.status = 'approved' AND e.decided_at IS NOT NULL${scope} ORDER BY e.id`,
    parameters,
  )) as ExtensionRow[]
  for (const row of updates) row.at = instantMs(row.at)
  for (const row of extensions) row.at = instantMs(row.at)
  return { updates, extensions }
}

/** An item as the trend reads it (ascending ids). */
type TrendItem = Pick<OverviewItem, 'id' | 'status' | 'dueDate' | 'registered'>

/**
 * The ledger at the end of each day from `start` to `today` (at most TREND_DAYS): exactly what
 * ledgerAsOf gives at each day's last instant, counted in one pass over the items rather than
 * the whole ledger rebuilt each day (days × items). An item's state and due date as of a day
 * change only on the days one of its history rows or extension decisions falls in: each item is
 * cut into runs of days between those, its state in a run is ledgerAsOf's rule applied at the
 * run's first day's last instant, and it adds one to that state's count over the run — an open
 * one to 在办 up to its due date and to 逾期 from the day after (difference arrays, summed at
 * the end). test/dashboard-trend.test.ts holds it to ledgerAsOf on a random history.
 */
function dailyTrend(items: readonly TrendItem[], history: { updates: UpdateRow[]; extensions: ExtensionRow[] }, start: CalendarDate, today: CalendarDate): Overview['trend'] {
  const dates: CalendarDate[] = []
  for (let date = start; date <= today && dates.length < TREND_DAYS; date = addDays(date, 1)) dates.push(date)
  const n = dates.length
  if (n === 0) return []
  // Day d ends at beijingInstant(its next day) - 1 ms, and Beijing keeps one offset: an instant
  // is at or before the end of day d exactly when dayOf(it) <= d (n or more: after today).
  const first = beijingInstant(start).getTime()
  const dayOf = (at: number) => Math.max(0, Math.floor((at - first) / DAY_MS))
  // The first day an open item due on `dueDate` is overdue on: the first date after it.
  const lateFrom = new Map<CalendarDate, number>()
  const overdueFrom = (dueDate: CalendarDate) => {
    let day = lateFrom.get(dueDate)
    if (day === undefined) {
      let lo = 0
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (dates[mid]! > dueDate) hi = mid
        else lo = mid + 1
      }
      lateFrom.set(dueDate, (day = lo))
    }
    return day
  }
  const closed = new Int32Array(n + 1)
  const open = new Int32Array(n + 1)
  const overdue = new Int32Array(n + 1)
  // One item in `status`, due on `dueDate`, over the days [from, to): as 总览 counted a day's ledger.
  const count = (status: string, dueDate: CalendarDate, from: number, to: number) => {
    if (status === 'closed') {
      closed[from]! += 1
      closed[to]! -= 1
    } else if (isOpen({ status: status as LedgerItem['status'] })) {
      const late = Math.min(Math.max(overdueFrom(dueDate), from), to)
      open[from]! += 1
      open[late]! -= 1
      overdue[late]! += 1
      overdue[to]! -= 1
    } else {
      open[from]! += 1
      open[to]! -= 1
    }
  }
  const updates = byItem(items, history.updates)
  const extensions = byItem(items, history.extensions)
  const updateDays = Int32Array.from(updates.rows, (u) => dayOf(u.at))
  const extensionDays = Int32Array.from(extensions.rows, (e) => dayOf(e.at))
  const cuts: number[] = []
  for (let k = 0; k < items.length; k += 1) {
    const item = items[k]!
    const from = dayOf(item.registered)
    if (from >= n) continue
    const u0 = updates.first[k]!
    const u1 = updates.first[k + 1]!
    const e0 = extensions.first[k]!
    const e1 = extensions.first[k + 1]!
    // No history: as it stands today, every day since it was registered.
    if (u0 === u1 && e0 === e1) {
      count(item.status, item.dueDate, from, n)
      continue
    }
    cuts.length = 0
    cuts.push(from, n)
    for (let r = u0; r < u1; r += 1) if (updateDays[r]! > from && updateDays[r]! < n) cuts.push(updateDays[r]!)
    for (let r = e0; r < e1; r += 1) if (extensionDays[r]! > from && extensionDays[r]! < n) cuts.push(extensionDays[r]!)
    cuts.sort((a, b) => a - b)
    for (let c = 0; c < cuts.length - 1; c += 1) {
      const day = cuts[c]!
      const next = cuts[c + 1]!
      if (day === next) continue
      // ledgerAsOf's rule at the day's end: the state after its last row until then, else the one before its first later row, else today's.
      let last = -1
      let later = -1
      for (let r = u0; r < u1; r += 1) {
        if (updateDays[r]! <= day) last = r
        else if (later < 0) later = r
      }
      const status = (last >= 0 ? updates.rows[last]!.newStatus : null) ?? (later >= 0 ? updates.rows[later]!.oldStatus : null) ?? item.status
      // An extension approved after the day's end is undone: the first such (in id order) gives the due date then.
      let dueDate = item.dueDate
      for (let r = e0; r < e1; r += 1) {
        if (extensionDays[r]! > day) {
          dueDate = extensions.rows[r]!.oldDueDate
          break
        }
      }
      count(status, dueDate, day, next)
    }
  }
  const days: Overview['trend'] = []
  let c = 0
  let o = 0
  let d = 0
  for (let i = 0; i < n; i += 1) {
    c += closed[i]!
    o += open[i]!
    d += overdue[i]!
    days.push({ date: dates[i]!, closed: c, open: o, overdue: d })
  }
  return days
}

/**
 * Rows grouped by their item (`items` in ascending id order; rows of other items left out), each
 * item's in the order read: item k's are rows[first[k]] to rows[first[k + 1] - 1].
 */
function byItem<T extends { itemId: number }>(items: readonly { id: number }[], rows: readonly T[]): { rows: T[]; first: Int32Array } {
  const first = new Int32Array(items.length + 1)
  const position = new Int32Array(rows.length)
  for (let r = 0; r < rows.length; r += 1) {
    // The item's position, by binary search on the ascending ids.
    const id = rows[r]!.itemId
    let lo = 0
    let hi = items.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (items[mid]!.id < id) lo = mid + 1
      else hi = mid
    }
    position[r] = lo < items.length && items[lo]!.id === id ? lo : -1
    if (position[r]! >= 0) first[lo + 1]! += 1
  }
  for (let k = 0; k < items.length; k += 1) first[k + 1]! += first[k]!
  const grouped = new Array<T>(first[items.length]!)
  const next = first.slice(0, items.length)
  for (let r = 0; r < rows.length; r += 1) if (position[r]! >= 0) grouped[next[position[r]!]!++] = rows[r]!
  return { rows: grouped, first }
}

/**
 * An instant read by a plain query, as epoch milliseconds: what fromSqlInstant reads, without the
 * Date and the regular expression for TypeORM's SQLite text ("2015-08-31 16:30:00.000", UTC) —
 * a province's history is hundreds of thousands of them.
 */
function instantMs(value: unknown): number {
  if (typeof value === 'string' && value.length === 23 && value[4] === '-' && value[7] === '-' && value[10] === ' ' && value[13] === ':' && value[16] === ':' && value[19] === '.') {
    const year = digits(value, 0, 4)
    const month = digits(value, 5, 7)
    const day = digits(value, 8, 10)
    const hour = digits(value, 11, 13)
    const minute = digits(value, 14, 16)
    const second = digits(value, 17, 19)
    const ms = digits(value, 20, 23)
    if (year >= 1000 && month >= 1 && month <= 12 && day >= 1 && (day <= 28 || day <= daysInMonth(year, month)) && hour < 24 && minute < 60 && second < 60 && ms >= 0) {
      return Date.UTC(year, month - 1, day, hour, minute, second, ms)
    }
  }
  return fromSqlInstant(value)!.getTime()
}

/** The number the decimal digits text[from..to) write; NaN if any is not a digit. */
function digits(text: string, from: number, to: number): number {
  let x = 0
  for (let i = from; i < to; i += 1) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return NaN
    x = x * 10 + digit
  }
  return x
}

/** Today's overdue items by the plan's problem categories (docs/figures.md, Overdue). */
async function overdueByCategory(db: Db, campaignId: number, today: CalendarDate, items: readonly OverviewItem[]): Promise<Overview['categories']> {
  const categories = await db.getRepository(ProblemCategorySchema).find({ where: { campaignId }, order: { number: 'ASC' } })
  const counts = new Map<number, number>()
  for (const item of items) {
    if (isOverdue(item, today) && item.categoryId !== null) counts.set(item.categoryId, (counts.get(item.categoryId) ?? 0) + 1)
  }
  return categories.map((c) => ({ number: c.number, name: c.name, overdue: counts.get(c.id) ?? 0 }))
}
