import type { CalendarDate } from '../time/calendar-date.js'
import { workdayHorizon, workdayOnOrBefore, workdaysBetween } from '../time/work-calendar.js'
import { addDays, beijingDate, beijingInstant, isCalendarDate } from '../time/calendar-date.js'
import type { LedgerItem, LedgerStatus } from '../db/entities/index.js'

/**
 * One definition per figure (docs/figures.md): every surface — chat answers, reminder digests, the
 * daily summary, meeting notices, the monthly workbook, the dashboard — reads these.
 */

export type StatusLight = '🔴' | '🟡' | '🟢'

/** The four states an item is in, which add up to the total. */
export const STATE_NAMES: Record<LedgerStatus, string> = {
  open: '未开始',
  in_progress: '整改中',
  rectified: '已整改待销号',
  closed: '已销号',
}

/** Working days within which a deadline is "due soon" (🟡). */
export const DUE_SOON_WORKDAYS = 3

/** Open (未开始 or 整改中): the states an item can be overdue in. */
export function isOpen(item: Pick<LedgerItem, 'status'>): boolean {
  return item.status === 'open' || item.status === 'in_progress'
}

/** 逾期: open, and its due date has passed in Beijing time (overdue from the next day 00:00). A flag across the open states, never a fifth state. */
export function isOverdue(item: Pick<LedgerItem, 'status' | 'dueDate'>, today: CalendarDate): boolean {
  return isOpen(item) && item.dueDate < today
}

/**
 * 新增逾期 on `today`: overdue, and it became so since the previous working day's daily summary —
 * its due date is on or after the previous working day. A function of the date alone (never of
 * the reminders sent), so a preview far ahead says the same as that day's summary will; an item is
 * new on one working day only (due on a Friday, Saturday or Sunday: the Monday after).
 */
export function isNewlyOverdue(item: Pick<LedgerItem, 'status' | 'dueDate'>, today: CalendarDate): boolean {
  return isOverdue(item, today) && item.dueDate >= workdayOnOrBefore(addDays(today, -1))
}

/** Working days an overdue date is past: the working days after it up to today. 0 while it is not yet a working day late. */
export function workdaysOverdue(dueDate: CalendarDate, today: CalendarDate): number {
  if (dueDate >= today) return 0
  // Many items share a due date, and a sweep asks for each of them on one day: counted once a pair.
  const key = `${dueDate}/${today}`
  let days = overdueDays.get(key)
  if (days === undefined) {
    if (overdueDays.size > 10_000) overdueDays.clear()
    overdueDays.set(key, (days = workdaysBetween(dueDate, today)))
  }
  return days
}

const overdueDays = new Map<string, number>()

/** "逾期 3 个工作日", or "已逾期" before a working day has passed (due on a Friday, read on Saturday). */
export function overdueText(dueDate: CalendarDate, today: CalendarDate): string {
  const days = workdaysOverdue(dueDate, today)
  return days > 0 ? `逾期 ${days} 个工作日` : '已逾期'
}

/** The light of a deadline: 🔴 past, 🟡 within 3 working days (rest days right after included), 🟢 later. */
export function deadlineLight(dueDate: CalendarDate, today: CalendarDate): StatusLight {
  if (dueDate < today) return '🔴'
  return dueDate <= soonLimit(today) ? '🟡' : '🟢'
}

/**
 * The light of a ledger item: 🔴 overdue; 🟡 due within 3 working days, or rectified and waiting
 * to be verified; 🟢 on track or closed.
 */
export function statusLight(item: Pick<LedgerItem, 'status' | 'dueDate'>, today: CalendarDate): StatusLight {
  if (item.status === 'closed') return '🟢'
  if (item.status === 'rectified') return '🟡'
  return deadlineLight(item.dueDate, today)
}

export const LIGHT_RANK: Record<StatusLight, number> = { '🔴': 0, '🟡': 1, '🟢': 2 }

/** The worst of some lights (🟢 for none): a unit's light is its worst item's. */
export function worstLight(lights: Iterable<StatusLight>): StatusLight {
  let worst: StatusLight = '🟢'
  for (const light of lights) if (LIGHT_RANK[light] < LIGHT_RANK[worst]) worst = light
  return worst
}

const limits = new Map<CalendarDate, CalendarDate>()

/** The last day within 3 working days of `today`, computed once per day. */
function soonLimit(today: CalendarDate): CalendarDate {
  let limit = limits.get(today)
  if (limit === undefined) {
    if (limits.size > 1000) limits.clear()
    limits.set(today, (limit = workdayHorizon(today, DUE_SOON_WORKDAYS)))
  }
  return limit
}

/** A ledger's counts: the four states add up to `total`; `overdue` is counted among 未开始 and 整改中. */
export interface LedgerCounts {
  total: number
  notStarted: number
  inProgress: number
  awaitingVerification: number
  closed: number
  overdue: number
}

/** The counts plus what the on-time rate needs: items already due or closed, and those closed by their due date. */
export interface LedgerTally extends LedgerCounts {
  due: number
  onTime: number
}

export function emptyTally(): LedgerTally {
  return { total: 0, notStarted: 0, inProgress: 0, awaitingVerification: 0, closed: 0, overdue: 0, due: 0, onTime: 0 }
}

const STATE_FIELD: Record<LedgerStatus, 'notStarted' | 'inProgress' | 'awaitingVerification' | 'closed'> = {
  open: 'notStarted',
  in_progress: 'inProgress',
  rectified: 'awaitingVerification',
  closed: 'closed',
}

/** Adds one item, as it stands on `today`, to a tally. */
export function countItem(tally: LedgerTally, item: Pick<LedgerItem, 'status' | 'dueDate' | 'closedAt'>, today: CalendarDate): void {
  tally.total += 1
  tally[STATE_FIELD[item.status]] += 1
  if (isOverdue(item, today)) tally.overdue += 1
  if (item.dueDate < today || item.status === 'closed') tally.due += 1
  if (item.status === 'closed' && item.closedAt && closedBy(item.closedAt, item.dueDate)) tally.onTime += 1
}

/**
 * Closed on or before `dueDate` in Beijing time: beijingDate(closedAt) <= dueDate, read as a
 * comparison with the due date's last instant (remembered per date; Intl's date costs as much as
 * the rest of a 200,000-item count). Where Beijing's date does not turn over at that instant (the
 * summer times before 1992), or the date is not one, it asks beijingDate.
 */
function closedBy(closedAt: Date, dueDate: CalendarDate): boolean {
  let end = dayEnds.get(dueDate)
  if (end === undefined) {
    if (dayEnds.size > 10_000) dayEnds.clear()
    end = null
    if (isCalendarDate(dueDate)) {
      const next = beijingInstant(addDays(dueDate, 1)).getTime()
      if (beijingDate(new Date(next - 1)) === dueDate && beijingDate(new Date(next)) === addDays(dueDate, 1)) end = next
    }
    dayEnds.set(dueDate, end)
  }
  return end === null ? beijingDate(closedAt) <= dueDate : closedAt.getTime() < end
}

const dayEnds = new Map<CalendarDate, number | null>()

/** Closed by the due date, among the items already due or closed; null: none yet. */
export function onTimeRate(tally: Pick<LedgerTally, 'due' | 'onTime'>): number | null {
  return tally.due === 0 ? null : tally.onTime / tally.due
}

/** Tallies summed (the campaign from its units). */
export function sumTallies(tallies: Iterable<LedgerTally>): LedgerTally {
  const sum = emptyTally()
  for (const t of tallies) for (const key of Object.keys(sum) as (keyof LedgerTally)[]) sum[key] += t[key]
  return sum
}

/** The counts alone, as a meeting keeps them. */
export function ledgerCounts({ total, notStarted, inProgress, awaitingVerification, closed, overdue }: LedgerCounts): LedgerCounts {
  return { total, notStarted, inProgress, awaitingVerification, closed, overdue }
}
