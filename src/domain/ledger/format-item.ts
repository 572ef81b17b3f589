import { inertText } from '../../wecom/inert-text.js'
import { beijingDate, formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import type { Circular, LedgerItem, ProgressKind } from '../../db/entities/index.js'
import { isOverdue, overdueText, statusLight } from '../../read-model/figures.js'

/** Short enough for one line on a phone (counted in characters, not UTF-16 units), and inert in a message. */
export function shorten(text: string, max = 24): string {
  const inert = inertText(text)
  const clean = /\s/.test(inert) ? inert.replace(/\s+/g, ' ').trim() : inert
  if (clean.length <= max) return clean
  // Only the head is split into characters: 2 × max units hold at least max characters.
  const head = [...clean.slice(0, 2 * max)]
  return head.length > max || clean.length > 2 * max ? `${head.slice(0, max - 1).join('')}…` : clean
}

/** "🔴 #12 招商引资项目跑办不积极 · 8月25日到期，逾期 3 个工作日 · 40%" */
export function itemLine(item: LedgerItem, today: CalendarDate): string {
  const due = `${formatChineseDate(item.dueDate, today)}到期${isOverdue(item, today) ? `，${overdueText(item.dueDate, today)}` : ''}`
  return `${statusLight(item, today)} #${item.id} ${shorten(item.problem)} · ${due} · ${item.progress}%`
}

/** "来源：督查#3" in 详情: the item was made of an inspection finding (docs/inspections.md, Findings). */
export function findingLine(inspectionId: number): string {
  return `来源：督查#${inspectionId}`
}

/** "典型案例通报：#3《关于…的通报》（9月7日）" in 详情: the typical-case circulars that named the item (the circular's answer names the item back). */
export function typicalCaseLine(circulars: readonly Pick<Circular, 'id' | 'title' | 'sentAt' | 'status'>[], today: CalendarDate): string {
  const one = (c: (typeof circulars)[number]) => {
    const when = [c.sentAt ? formatChineseDate(beijingDate(c.sentAt), today) : '', c.status === 'recalled' ? '已撤回' : ''].filter(Boolean).join('，')
    return `#${c.id}《${inertText(c.title)}》${when ? `（${when}）` : ''}`
  }
  return `典型案例通报：${circulars.map(one).join('；')}`
}

/** A history row's kind as 详情 and the item's page name it. */
export const HISTORY_KIND_NAMES: Record<ProgressKind, string> = {
  created: '登记',
  progress: '进度',
  rectified: '完成',
  closed: '销号',
  reopened: '退回',
  extended: '延期',
  edited: '修改',
}
