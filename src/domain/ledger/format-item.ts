import { inertText } from '../../wecom/inert-text.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import type { LedgerItem } from '../entities/index.js'
import { statusLight } from './status-light.js'

const LIGHT_ORDER = { '🔴': 0, '🟡': 1, '🟢': 2 } as const

/** Short enough for one line on a phone (counted in characters, not UTF-16 units), and inert in a message. */
export function shorten(text: string, max = 24): string {
  const inert = inertText(text)
  const clean = /\s/.test(inert) ? inert.replace(/\s+/g, ' ').trim() : inert
  if (clean.length <= max) return clean
  // Only the head is split into characters: 2 × max units hold at least max characters.
  const head = [...clean.slice(0, 2 * max)]
  return head.length > max || clean.length > 2 * max ? `${head.slice(0, max - 1).join('')}…` : clean
}

/** "🔴 #12 招商引资项目跑办不积极 · 8月25日到期 · 40%" */
export function itemLine(item: LedgerItem, today: CalendarDate): string {
  const due = item.dueDate < today && item.status !== 'rectified' && item.status !== 'closed' ? `${formatChineseDate(item.dueDate, today)}到期，已逾期` : `${formatChineseDate(item.dueDate, today)}到期`
  return `${statusLight(item, today)} #${item.id} ${shorten(item.problem)} · ${due} · ${item.progress}%`
}

/** Overdue first, then due soon, then the rest; earliest due date first within each. */
export function byUrgency(today: CalendarDate) {
  const rank = (item: LedgerItem) => LIGHT_ORDER[statusLight(item, today)]
  return (a: LedgerItem, b: LedgerItem) => rank(a) - rank(b) || (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : 0) || a.id - b.id
}
