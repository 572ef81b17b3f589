import type { CalendarDate } from '../../time/calendar-date.js'
import { workdayHorizon } from '../../time/work-calendar.js'
import type { LedgerItem } from '../entities/index.js'

export type StatusLight = '🔴' | '🟡' | '🟢'

/**
 * The status light people read everywhere (docs/architecture.md): 🔴 overdue — due date passed in
 * Beijing time and not yet rectified; 🟡 due within 3 working days (so an item due right after
 * the National Day week is yellow before it), or rectified and waiting to be verified; 🟢 on
 * track (or closed).
 */
export function statusLight(item: Pick<LedgerItem, 'status' | 'dueDate'>, today: CalendarDate): StatusLight {
  if (item.status === 'closed') return '🟢'
  if (item.status === 'rectified') return '🟡'
  if (item.dueDate < today) return '🔴'
  return item.dueDate <= soonLimit(today) ? '🟡' : '🟢'
}

const limits = new Map<CalendarDate, CalendarDate>()

/** The last day within 3 working days of `today` (rest days right after included), computed once per day. */
function soonLimit(today: CalendarDate): CalendarDate {
  let limit = limits.get(today)
  if (limit === undefined) {
    if (limits.size > 1000) limits.clear()
    limits.set(today, (limit = workdayHorizon(today, 3)))
  }
  return limit
}

export const STATUS_NAMES: Record<LedgerItem['status'], string> = {
  open: '未开始',
  in_progress: '整改中',
  rectified: '已整改待销号',
  closed: '已销号',
}
