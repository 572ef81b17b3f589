import { addDays, type CalendarDate } from '../../time/calendar-date.js'
import type { LedgerItem } from '../entities/index.js'

export type StatusLight = '🔴' | '🟡' | '🟢'

/**
 * The status light people read everywhere (DESIGN.md §2): 🔴 overdue — due date passed in
 * Beijing time and not yet rectified; 🟡 due within 3 days, or rectified and waiting to be
 * verified; 🟢 on track (or closed).
 */
export function statusLight(item: Pick<LedgerItem, 'status' | 'dueDate'>, today: CalendarDate): StatusLight {
  if (item.status === 'closed') return '🟢'
  if (item.status === 'rectified') return '🟡'
  if (item.dueDate < today) return '🔴'
  return item.dueDate <= addDays(today, 3) ? '🟡' : '🟢'
}

export const STATUS_NAMES: Record<LedgerItem['status'], string> = {
  open: '未开始',
  in_progress: '整改中',
  rectified: '已整改待销号',
  closed: '已销号',
}
