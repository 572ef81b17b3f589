import { byUrgency, itemLine } from '../domain/ledger/format-item.js'
import { statusLight } from '../domain/ledger/status-light.js'
import { formatChineseDate, type CalendarDate } from '../time/calendar-date.js'
import type { Digest } from './sweep-plan.js'

const MAX_LINES = 10

function section(title: string, lines: string[]): string[] {
  if (lines.length === 0) return []
  const shown = lines.slice(0, MAX_LINES)
  if (lines.length > MAX_LINES) shown.push(`另有 ${lines.length - MAX_LINES} 项`)
  return [title, ...shown]
}

/**
 * One person's reminder: their overdue and due-soon items (overdue first), a count of the rest, then what was
 * escalated to them, the phase deliverables and the monthly report their unit owes, and the
 * command to answer with. Short: each group shows ten lines at most.
 */
export function formatDigest(digest: Digest, today: CalendarDate): string {
  const lines = [`**专项治理提醒（${formatChineseDate(today)}）**`, ...sections(digest, today)]
  for (const away of digest.behalf) lines.push(`**代 ${away.name} 接收（请假中）**`, ...sections(away.digest, today))
  const hasItems = [digest, ...digest.behalf.map((b) => b.digest)].some((d) => d.items.length > 0 || d.escalated.length > 0)
  if (hasItems) lines.push('反馈进度：进度 编号 百分比 说明；整改完成：完成 编号 说明')
  return lines.join('\n')
}

function sections(digest: Digest, today: CalendarDate): string[] {
  const items = [...digest.items].sort(byUrgency(today))
  const byLight = (light: string) => items.filter((item) => statusLight(item, today) === light).map((item) => itemLine(item, today))
  return [
    ...section('🔴 已逾期', byLight('🔴')),
    ...section('🟡 即将到期', byLight('🟡')),
    ...(digest.laterCount > 0 ? [`🟢 另有 ${digest.laterCount} 项进行中（发送「我的」查看）`] : []),
    ...section('⚠️ 本单位逾期事项（已升级给您）', digest.escalated),
    ...section('📋 阶段任务待交', digest.tasks),
    ...section('📝 月报', digest.reports),
  ]
}
