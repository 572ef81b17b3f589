import type { DataSource, EntityManager } from 'typeorm'
import type { Campaign } from '../db/entities/index.js'
import { fromSqlInstant, sqlInstant } from '../db/sql-instant.js'
import { loadCampaignHistory, ledgerAsOf } from '../domain/reports/ledger-as-of.js'
import { addDays, beijingDate, beijingInstant, beijingMonthSpan, lastDayOfMonth, type CalendarDate } from '../time/calendar-date.js'
import { officeClock, type OfficeClock } from '../time/office-hours.js'
import { isOverdue, workdaysOverdue } from './figures.js'

type Db = DataSource | EntityManager

/** A calendar month ('YYYY-MM', Beijing) or the whole campaign so far. */
export type ResponsivenessPeriod = { month: string } | { campaign: true }

/** Working days without an action after which a reminder with no later stage is unanswered (docs/responsiveness.md). */
export const LAST_STAGE_WORKDAYS = 3

/** How far before a period its stages' earlier deliveries are looked for (docs/responsiveness.md, A reminder, an action). */
const LOOKBACK_MS = 31 * 86_400_000

/** The reminder figures of a person, a unit or the county (docs/responsiveness.md, The figures). */
export interface ResponseFigures {
  /** Reminders delivered in the period. */
  reminders: number
  /** Office hours to the first action, of those with one, ascending. */
  times: number[]
  /** Nearest-rank median and 90th percentile of `times`, in office hours; null with none. */
  median: number | null
  p90: number | null
  /** Reminders decided (answered in time or not), and those unanswered among them. */
  decided: number
  unanswered: number
  /** Still within their window, with no action yet. */
  pending: number
}

/** Items due in the period (and past), and those rectified by that date. */
export interface OnTime {
  due: number
  onTime: number
}

export interface ScopeFigures {
  /** null: 无记录 (the period ended before the first reminder record). */
  response: ResponseFigures | null
  onTimeOriginal: OnTime
  onTimeExtended: OnTime
  /** Open items overdue at the period's end, and their working days overdue summed. */
  overdueItems: number
  overdueLoad: number
  /** Items escalated to the unit head / to 组织部 in the period; null: 无记录. */
  escalatedToHead: number | null
  escalatedToOrg: number | null
  /** Items whose second approved extension was decided in the period. */
  extendedTwice: number
}

export interface UnitResponsiveness extends ScopeFigures {
  unitId: number
  unitName: string
  /** 1 for the slowest; null: not ranked (no reminder decided). */
  rank: number | null
}

export interface PersonResponsiveness {
  personId: number
  name: string
  /** The unit of the items they were reminded about (the first, if several). */
  unitId: number
  response: ResponseFigures
  /** Of their reminders, those taken for someone on leave. */
  onBehalf: number
}

export interface Responsiveness {
  period: {
    /** "2026年12月" or "全程". */
    label: string
    month: string | null
    from: Date
    /** The period's end, or now while it runs. */
    asOf: Date
    complete: boolean
    /** The reminder figures are 无记录. */
    noRecord: boolean
    /** When reminder records begin, when that is after the period's start (the figures cover part of it). */
    recordsFrom: Date | null
  }
  county: ScopeFigures
  /** Ranked units first, slowest first; then the others by name. */
  units: UnitResponsiveness[]
  /** With `people`: everyone reminded in the period, in the units asked for, slowest first. */
  people: PersonResponsiveness[]
}

export interface ResponsivenessOptions {
  /** Only this unit (its figures, its people). */
  unitId?: number
  /** Also per person. */
  people?: boolean
  clock?: OfficeClock
}

interface Reminder {
  itemId: number
  unitId: number
  stage: string
  stageDays: number
  dueDate: CalendarDate
  audience: string
  personId: number | null
  forPersonId: number | null
  queuedAt: number
  deliveredAt: number
}

/** The first delivered of several records of one stage. */
const earliest = (records: readonly Reminder[]): Reminder => records.reduce((a, b) => (b.deliveredAt < a.deliveredAt ? b : a))

/**
 * The responsiveness figures for a period, for the county and each unit (and each person with
 * `people`), as defined in docs/responsiveness.md: one read of the reminder records delivered
 * since the period began, of the actions since then, of the items due in it, and of the open
 * overdue items.
 */
export async function responsiveness(db: Db, campaign: Campaign, period: ResponsivenessPeriod, now: Date, options: ResponsivenessOptions = {}): Promise<Responsiveness> {
  const clock = options.clock ?? officeClock()
  const span = periodSpan(campaign, period, now)
  const unitFilter = options.unitId === undefined ? '' : ' AND i.unit_id = ?'
  const unitParam = options.unitId === undefined ? [] : [options.unitId]
  const [{ first }] = (await db.query('SELECT MIN(queued_at) AS first FROM reminder_record WHERE campaign_id = ?', [campaign.id])) as [{ first: unknown }]
  const recordsStart = fromSqlInstant(first) ?? now
  const noRecord = span.to.getTime() <= recordsStart.getTime()
  // A stage counts in the period of its first delivery: read back far enough to see it.
  const readFrom = new Date(span.from.getTime() - LOOKBACK_MS)
  const reminders = noRecord ? [] : await readReminders(db, campaign.id, readFrom, options.unitId)
  const actions = noRecord ? new Map<number, number[]>() : await readActions(db, campaign.id, readFrom, options.unitId)
  const names = await unitNames(db, campaign.id, options.unitId)
  const scopes = new Map<number, Builder>()
  const county = new Builder()
  const scope = (unitId: number) => {
    let b = scopes.get(unitId)
    if (!b) scopes.set(unitId, (b = new Builder()))
    return b
  }
  for (const unitId of names.keys()) scope(unitId)
  const people = new Map<number, { unitId: number; outcomes: Outcome[]; onBehalf: number }>()

  if (!noRecord) {
    const judge = judgeWith(clock, actions, now)
    const byItem = groupBy(reminders.filter((r) => r.audience === 'unit'), (r) => `${r.itemId}/${r.dueDate}`)
    for (const list of byItem.values()) {
      // The unit's reminders of this item and due date: each stage once, from its first delivery.
      const stages = [...groupBy(list, (r) => r.stage).values()].map(earliest)
      stages.sort((a, b) => a.deliveredAt - b.deliveredAt || a.stageDays - b.stageDays)
      const next = (r: Reminder) => stages.find((s) => s.stageDays > r.stageDays && s.deliveredAt > r.deliveredAt)?.deliveredAt ?? null
      for (const stage of stages) {
        if (!span.contains(stage.deliveredAt)) continue
        const outcome = judge(stage, next(stage))
        county.add(outcome)
        scope(stage.unitId).add(outcome)
      }
      if (!options.people) continue
      for (const record of list) {
        if (record.personId === null || !span.contains(record.deliveredAt)) continue
        let person = people.get(record.personId)
        if (!person) people.set(record.personId, (person = { unitId: record.unitId, outcomes: [], onBehalf: 0 }))
        person.outcomes.push(judge(record, next(record)))
        if (record.forPersonId !== null) person.onBehalf += 1
      }
    }
    // An item escalated: its escalation stage first delivered in the period (to the head, or to 组织部).
    const escalations = [...groupBy(reminders.filter((r) => r.audience === 'org' || r.stage.startsWith('escalate-')), (r) => `${r.audience}/${r.itemId}/${r.dueDate}/${r.stage}`).values()].map(earliest)
    for (const escalation of distinct(escalations.filter((r) => span.contains(r.deliveredAt)), (r) => `${r.audience}/${r.itemId}`)) {
      const field = escalation.audience === 'org' ? 'escalatedToOrg' : 'escalatedToHead'
      county[field] += 1
      scope(escalation.unitId)[field] += 1
    }
  }

  for (const item of await readDueItems(db, campaign.id, span, unitFilter, unitParam)) {
    for (const builder of [county, scope(item.unitId)]) {
      if (item.originalDue) builder.original.due += 1
      if (item.originalDue && item.onTimeOriginal) builder.original.onTime += 1
      if (item.extendedDue) builder.extended.due += 1
      if (item.extendedDue && item.onTimeExtended) builder.extended.onTime += 1
    }
  }
  for (const { unitId, days } of await overdueAt(db, campaign.id, span, now, options.unitId)) {
    for (const builder of [county, scope(unitId)]) {
      builder.overdueItems += 1
      builder.overdueLoad += days
    }
  }
  for (const unitId of await extendedTwice(db, campaign.id, span, unitFilter, unitParam)) {
    county.extendedTwice += 1
    scope(unitId).extendedTwice += 1
  }

  const units = [...scopes.entries()].map(([unitId, b]): UnitResponsiveness => ({ unitId, unitName: names.get(unitId) ?? `#${unitId}`, rank: null, ...b.figures(noRecord) }))
  const ranked = rankUnits(units)
  const personNames = options.people && people.size > 0 ? await personNamesOf(db, [...people.keys()]) : new Map<number, string>()
  const personRows = [...people.entries()].map(([personId, p]): PersonResponsiveness => ({ personId, name: personNames.get(personId) ?? `#${personId}`, unitId: p.unitId, response: summarize(p.outcomes), onBehalf: p.onBehalf }))
  personRows.sort((a, b) => slowerFirst(a.response, b.response) || a.name.localeCompare(b.name, 'zh-CN'))
  return {
    period: {
      label: span.label,
      month: 'month' in period ? period.month : null,
      from: span.from,
      asOf: span.asOf,
      complete: span.complete,
      noRecord,
      recordsFrom: !noRecord && recordsStart.getTime() > span.from.getTime() ? recordsStart : null,
    },
    county: county.figures(noRecord),
    units: ranked,
    people: personRows,
  }
}

/** Slowest first (docs/responsiveness.md, Ranking): the share unanswered, then the median, then the name; the unranked after, by name. */
export function rankUnits(units: UnitResponsiveness[]): UnitResponsiveness[] {
  const rankable = (u: UnitResponsiveness) => u.response !== null && u.response.decided > 0
  const ranked = units.filter(rankable).sort((a, b) => slowerFirst(a.response!, b.response!) || a.unitName.localeCompare(b.unitName, 'zh-CN'))
  ranked.forEach((u, index) => (u.rank = index + 1))
  const rest = units.filter((u) => !rankable(u)).sort((a, b) => a.unitName.localeCompare(b.unitName, 'zh-CN'))
  return [...ranked, ...rest]
}

function slowerFirst(a: ResponseFigures, b: ResponseFigures): number {
  const share = (r: ResponseFigures) => (r.decided === 0 ? -1 : r.unanswered / r.decided)
  // Never acting is slower than any time (docs/responsiveness.md, Ranking).
  const median = (r: ResponseFigures) => r.median ?? (r.decided > 0 ? Infinity : -1)
  const byMedian = median(b) - median(a)
  return share(b) - share(a) || (Number.isNaN(byMedian) ? 0 : byMedian)
}

/** What became of one reminder. */
interface Outcome {
  /** Office hours to the first action, if any came. */
  hours: number | null
  state: 'answered' | 'unanswered' | 'pending'
}

/**
 * How one reminder fared: its first action since it was queued (timed from its delivery, 0 when
 * before it); unanswered when none came before the next stage, or, with none, within 3 working
 * days of office time.
 */
function judgeWith(clock: OfficeClock, actions: Map<number, number[]>, now: Date) {
  const window = LAST_STAGE_WORKDAYS * clock.dayMinutes
  const nowMinutes = clock.minutesAt(now)
  return (reminder: Reminder, nextStage: number | null): Outcome => {
    const list = actions.get(reminder.itemId) ?? []
    // Acting after the reminder was queued, before it arrived (held by quiet hours), is an answer at once.
    const action = firstAtOrAfter(list, reminder.queuedAt)
    const hours = action === null ? null : clock.hoursBetween(new Date(reminder.deliveredAt), new Date(action))
    if (nextStage !== null) {
      if (action !== null && action < nextStage) return { hours, state: 'answered' }
      return { hours, state: nextStage <= now.getTime() ? 'unanswered' : 'pending' }
    }
    const deadline = clock.minutesAt(new Date(reminder.deliveredAt)) + window
    if (action !== null && clock.minutesAt(new Date(action)) <= deadline) return { hours, state: 'answered' }
    return { hours, state: nowMinutes > deadline ? 'unanswered' : 'pending' }
  }
}

/** Nearest rank: the ⌈p·n⌉-th of the ascending values. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!
}

function summarize(outcomes: readonly Outcome[]): ResponseFigures {
  const times = outcomes.flatMap((o) => (o.hours === null ? [] : [o.hours])).sort((a, b) => a - b)
  const unanswered = outcomes.filter((o) => o.state === 'unanswered').length
  const pending = outcomes.filter((o) => o.state === 'pending').length
  return { reminders: outcomes.length, times, median: nearestRank(times, 0.5), p90: nearestRank(times, 0.9), decided: outcomes.length - pending, unanswered, pending }
}

class Builder {
  outcomes: Outcome[] = []
  original: OnTime = { due: 0, onTime: 0 }
  extended: OnTime = { due: 0, onTime: 0 }
  overdueItems = 0
  overdueLoad = 0
  escalatedToHead = 0
  escalatedToOrg = 0
  extendedTwice = 0

  add(outcome: Outcome): void {
    this.outcomes.push(outcome)
  }

  figures(noRecord: boolean): ScopeFigures {
    return {
      response: noRecord ? null : summarize(this.outcomes),
      onTimeOriginal: this.original,
      onTimeExtended: this.extended,
      overdueItems: this.overdueItems,
      overdueLoad: this.overdueLoad,
      escalatedToHead: noRecord ? null : this.escalatedToHead,
      escalatedToOrg: noRecord ? null : this.escalatedToOrg,
      extendedTwice: this.extendedTwice,
    }
  }
}

interface Span {
  label: string
  from: Date
  /** The period's end (exclusive). */
  to: Date
  asOf: Date
  complete: boolean
  /** The first and last calendar day of the period, for due dates. */
  firstDay: CalendarDate
  lastDay: CalendarDate
  contains(instant: number): boolean
}

function periodSpan(campaign: Campaign, period: ResponsivenessPeriod, now: Date): Span {
  const [from, to] =
    'month' in period
      ? ((([start, last]) => [start, new Date(last.getTime() + 1)])(beijingMonthSpan(period.month)) as [Date, Date])
      : [beijingInstant(campaign.startDate), new Date(Math.max(now.getTime(), beijingInstant(campaign.startDate).getTime()))]
  const complete = 'month' in period && to.getTime() <= now.getTime()
  const asOf = complete ? to : now
  const label = 'month' in period ? `${Number(period.month.slice(0, 4))}年${Number(period.month.slice(5))}月` : '全程'
  const lastDay = 'month' in period ? lastDayOfMonth(`${period.month}-01`) : beijingDate(now)
  return {
    label,
    from,
    to,
    asOf,
    complete,
    firstDay: beijingDate(from),
    lastDay,
    contains: (instant) => instant >= from.getTime() && instant < asOf.getTime(),
  }
}

async function readReminders(db: Db, campaignId: number, from: Date, unitId: number | undefined): Promise<Reminder[]> {
  const rows = (await db.query(
    `SELECT ledger_item_id AS itemId, unit_id AS unitId, stage, stage_days AS stageDays, due_date AS dueDate, audience,
       person_id AS personId, for_person_id AS forPersonId, queued_at AS queuedAt, delivered_at AS deliveredAt
     FROM reminder_record WHERE campaign_id = ?${unitId === undefined ? '' : ' AND unit_id = ?'} AND delivered_at >= ?`,
    [campaignId, ...(unitId === undefined ? [] : [unitId]), sqlInstant(db, from)],
  )) as Record<string, unknown>[]
  return rows.map((r) => ({
    itemId: Number(r.itemId),
    unitId: Number(r.unitId),
    stage: String(r.stage),
    stageDays: Number(r.stageDays),
    dueDate: String(r.dueDate),
    audience: String(r.audience),
    personId: r.personId === null ? null : Number(r.personId),
    forPersonId: r.forPersonId === null ? null : Number(r.forPersonId),
    queuedAt: fromSqlInstant(r.queuedAt)!.getTime(),
    deliveredAt: fromSqlInstant(r.deliveredAt)!.getTime(),
  }))
}

/**
 * Each item's actions since `from` (docs/responsiveness.md, A reminder, an action), ascending: for
 * one unit, those of the items it was reminded about (an item may have moved to another unit since).
 */
async function readActions(db: Db, campaignId: number, from: Date, unitId: number | undefined): Promise<Map<number, number[]>> {
  const since = sqlInstant(db, from)
  const items = unitId === undefined ? '' : ' AND i.id IN (SELECT ledger_item_id FROM reminder_record WHERE campaign_id = ? AND unit_id = ? AND delivered_at >= ?)'
  const itemParams = unitId === undefined ? [] : [campaignId, unitId, since]
  const rows = (await db.query(
    `SELECT p.ledger_item_id AS item, p.created_at AS at FROM progress_update p JOIN ledger_item i ON i.id = p.ledger_item_id
     WHERE i.campaign_id = ? AND p.kind IN ('progress', 'rectified') AND p.person_id IS NOT NULL AND p.created_at >= ?${items}
     UNION ALL
     SELECT e.ledger_item_id AS item, e.created_at AS at FROM extension_request e JOIN ledger_item i ON i.id = e.ledger_item_id
     WHERE i.campaign_id = ? AND e.created_at >= ?${items}`,
    [campaignId, since, ...itemParams, campaignId, since, ...itemParams],
  )) as { item: number; at: unknown }[]
  const result = new Map<number, number[]>()
  for (const row of rows) {
    const item = Number(row.item)
    const at = fromSqlInstant(row.at)!.getTime()
    const list = result.get(item)
    if (list) list.push(at)
    else result.set(item, [at])
  }
  for (const list of result.values()) list.sort((a, b) => a - b)
  return result
}

/** The earliest value ≥ `at` of an ascending list, or null. */
function firstAtOrAfter(sorted: readonly number[], at: number): number | null {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < at) lo = mid + 1
    else hi = mid
  }
  return lo < sorted.length ? sorted[lo]! : null
}

/** Items whose original or current due date fell in the period and has passed, with whether each was rectified by it. */
async function readDueItems(db: Db, campaignId: number, span: Span, unitFilter: string, unitParam: number[]) {
  const last = minDate(span.lastDay, addDays(beijingDate(span.asOf), span.complete ? 0 : -1))
  if (last < span.firstDay) return []
  const rows = (await db.query(
    `SELECT i.unit_id AS unitId, i.due_date AS dueDate, i.original_due_date AS originalDueDate, i.rectified_at AS rectifiedAt, i.closed_at AS closedAt,
       (SELECT MIN(p.created_at) FROM progress_update p WHERE p.ledger_item_id = i.id AND p.kind IN ('rectified', 'closed')) AS firstDone
     FROM ledger_item i
     WHERE i.campaign_id = ? AND ((i.original_due_date >= ? AND i.original_due_date <= ?) OR (i.due_date >= ? AND i.due_date <= ?))${unitFilter}`,
    [campaignId, span.firstDay, last, span.firstDay, last, ...unitParam],
  )) as Record<string, unknown>[]
  return rows.map((r) => {
    const done = fromSqlInstant(r.firstDone) ?? fromSqlInstant(r.rectifiedAt) ?? fromSqlInstant(r.closedAt)
    const doneOn = done === null ? null : beijingDate(done)
    const original = String(r.originalDueDate)
    const current = String(r.dueDate)
    const inSpan = (date: CalendarDate) => date >= span.firstDay && date <= last
    return {
      unitId: Number(r.unitId),
      originalDue: inSpan(original),
      onTimeOriginal: doneOn !== null && doneOn <= original,
      extendedDue: inSpan(current),
      onTimeExtended: doneOn !== null && doneOn <= current,
    }
  })
}

const minDate = (a: CalendarDate, b: CalendarDate) => (a < b ? a : b)

/** The open items overdue at the period's end, with their working days overdue: now from the ledger, for a past month from its history. */
async function overdueAt(db: Db, campaignId: number, span: Span, now: Date, unitId: number | undefined): Promise<{ unitId: number; days: number }[]> {
  if (!span.complete) {
    const today = beijingDate(now)
    const rows = (await db.query(
      `SELECT unit_id AS unitId, due_date AS dueDate, COUNT(*) AS n FROM ledger_item
       WHERE campaign_id = ? AND status IN ('open', 'in_progress') AND due_date < ?${unitId === undefined ? '' : ' AND unit_id = ?'}
       GROUP BY unit_id, due_date`,
      [campaignId, today, ...(unitId === undefined ? [] : [unitId])],
    )) as { unitId: number; dueDate: string; n: number | string }[]
    return rows.flatMap((r) => Array.from({ length: Number(r.n) }, () => ({ unitId: Number(r.unitId), days: workdaysOverdue(String(r.dueDate), today) })))
  }
  // The ledger as it stood at the month's last instant; overdue counted on its last day.
  const at = new Date(span.to.getTime() - 1)
  const lastDay = beijingDate(at)
  return ledgerAsOf(await loadCampaignHistory(db, campaignId), at)
    .filter((item) => (unitId === undefined || item.unitId === unitId) && isOverdue(item, lastDay))
    .map((item) => ({ unitId: item.unitId, days: workdaysOverdue(item.dueDate, lastDay) }))
}

/** The unit of each item whose second approved extension was decided in the period. */
async function extendedTwice(db: Db, campaignId: number, span: Span, unitFilter: string, unitParam: number[]): Promise<number[]> {
  const rows = (await db.query(
    `SELECT e.ledger_item_id AS item, i.unit_id AS unitId, e.decided_at AS decidedAt FROM extension_request e JOIN ledger_item i ON i.id = e.ledger_item_id
     WHERE i.campaign_id = ? AND e.status = 'approved' AND e.decided_at IS NOT NULL${unitFilter}`,
    [campaignId, ...unitParam],
  )) as { item: number; unitId: number; decidedAt: unknown }[]
  const units: number[] = []
  for (const list of groupBy(rows, (r) => Number(r.item)).values()) {
    if (list.length < 2) continue
    const second = list.map((r) => fromSqlInstant(r.decidedAt)!.getTime()).sort((a, b) => a - b)[1]!
    if (span.contains(second)) units.push(Number(list[0]!.unitId))
  }
  return units
}

/** The campaign's participating units and the units with items (or the one asked for), by id. */
async function unitNames(db: Db, campaignId: number, unitId: number | undefined): Promise<Map<number, string>> {
  const rows = (await db.query(
    unitId === undefined
      ? `SELECT id, name FROM unit WHERE id IN (SELECT unit_id FROM campaign_unit WHERE campaign_id = ? AND role = 'participant')
           OR id IN (SELECT DISTINCT unit_id FROM ledger_item WHERE campaign_id = ?)`
      : 'SELECT id, name FROM unit WHERE id = ?',
    unitId === undefined ? [campaignId, campaignId] : [unitId],
  )) as { id: number; name: string }[]
  return new Map(rows.map((r) => [Number(r.id), r.name]))
}

async function personNamesOf(db: Db, ids: number[]): Promise<Map<number, string>> {
  const result = new Map<number, string>()
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000)
    for (const row of (await db.query(`SELECT id, name FROM person WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk)) as { id: number; name: string }[]) result.set(Number(row.id), row.name)
  }
  return result
}

function groupBy<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const result = new Map<K, T[]>()
  for (const row of rows) {
    const k = key(row)
    const list = result.get(k)
    if (list) list.push(row)
    else result.set(k, [row])
  }
  return result
}

function distinct<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const seen = new Set<string>()
  return rows.filter((row) => {
    const k = key(row)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
