import { itemLine, shorten } from '../ledger/format-item.js'
import { statusLight } from '../../read-model/figures.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import type { LedgerItem } from '../../db/entities/index.js'
import type { Digest, Escalation } from './sweep-plan.js'

const MAX_LINES = 10

/**
 * One person's reminder: their overdue and due-soon items (overdue first), a count of the rest, then what was
 * escalated to them, the phase deliverables and the monthly report their unit owes, and the
 * command to answer with. Short: each group shows ten lines at most.
 *
 * Written as plain loops: a sweep formats twenty thousand of these.
 */
export function formatDigest(digest: Digest, today: CalendarDate): string {
  const lines = [`**专项治理提醒（${formatChineseDate(today)}）**`]
  let hasItems = addSections(lines, digest, today)
  for (const away of digest.behalf) {
    lines.push(`**代 ${away.name} 接收（请假中）**`)
    if (addSections(lines, away.digest, today)) hasItems = true
  }
  if (hasItems) lines.push('反馈进度：进度 编号 百分比 说明；整改完成：完成 编号 说明')
  return lines.join('\n')
}

/** Adds one digest's groups; true when it lists items (so the reply commands are shown). */
function addSections(lines: string[], digest: Digest, today: CalendarDate): boolean {
  const overdue: LedgerItem[] = []
  const soon: LedgerItem[] = []
  for (const item of digest.items) {
    const light = statusLight(item, today)
    if (light === '🔴') overdue.push(item)
    else if (light === '🟡') soon.push(item)
  }
  addGroup(lines, '🔴 已逾期', overdue.sort(earliestDue), (item) => cachedLine(item, today))
  addGroup(lines, '🟡 即将到期', soon.sort(earliestDue), (item) => cachedLine(item, today))
  if (digest.laterCount > 0) lines.push(`🟢 另有 ${digest.laterCount} 项未到期（发送「我的」查看）`)
  addGroup(lines, '⚠️ 本单位逾期事项（已升级给您）', [...digest.escalated].sort(longestOverdue), escalationLine)
  addGroup(lines, '📋 阶段任务待交', digest.tasks, String)
  addGroup(lines, '📝 月报', digest.reports, String)
  if (digest.publicReports.length > 0) {
    addGroup(lines, '🔍 举报待核查', digest.publicReports, String)
    lines.push('核查后回复：举报 核查 编号 属实|部分属实|不属实 说明')
  }
  return digest.items.length > 0 || digest.escalated.length > 0
}

/** A titled group of at most MAX_LINES lines, the rest counted; only the lines shown are made. */
function addGroup<T>(lines: string[], title: string, entries: readonly T[], line: (entry: T) => string): void {
  if (entries.length === 0) return
  lines.push(title)
  for (let i = 0; i < Math.min(entries.length, MAX_LINES); i++) lines.push(line(entries[i]!))
  if (entries.length > MAX_LINES) lines.push(`另有 ${entries.length - MAX_LINES} 项`)
}

const earliestDue = (a: LedgerItem, b: LedgerItem) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.id - b.id)
const longestOverdue = (a: Escalation, b: Escalation) => b.late - a.late || a.item.id - b.item.id
const escalationLine = (e: Escalation) => `🔴 #${e.item.id} ${shorten(e.item.problem, 18)} · 逾期 ${e.late} 个工作日 · 责任人 ${e.responsible}`

/** An item is in its responsible person's digest and its leader's: its line is made once a sweep. */
const lines = new WeakMap<LedgerItem, { today: CalendarDate; line: string }>()

function cachedLine(item: LedgerItem, today: CalendarDate): string {
  const known = lines.get(item)
  if (known?.today === today) return known.line
  const line = itemLine(item, today)
  lines.set(item, { today, line })
  return line
}
