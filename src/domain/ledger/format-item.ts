import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import type { LedgerItem } from '../entities/index.js'
import { statusLight } from './status-light.js'

const LIGHT_ORDER = { '🔴': 0, '🟡': 1, '🟢': 2 } as const

/** Short enough for one line on a phone. */
export function shorten(text: string, max = 24): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('')
}

/** "🔴 #12 招商引资项目跑办不积极 · 8月25日到期 · 40%" */
export function itemLine(item: LedgerItem, today: CalendarDate): string {
  const due = item.dueDate < today && item.status !== 'rectified' && item.status !== 'closed' ? `${formatChineseDate(item.dueDate, today)}到期，已逾期` : `${formatChineseDate(item.dueDate, today)}到期`
  return `${statusLight(item, today)} #${item.id} ${shorten(item.problem)} · ${due} · ${item.progress}%`
}

/** Overdue first, then due soon, then the rest; earliest due date first within each. */
export function byUrgency(today: CalendarDate) {
  return (a: LedgerItem, b: LedgerItem) =>
    LIGHT_ORDER[statusLight(a, today)] - LIGHT_ORDER[statusLight(b, today)] || a.dueDate.localeCompare(b.dueDate) || a.id - b.id
}
