import { beijingDate, formatChineseDate, parts, type CalendarDate } from '../../time/calendar-date.js'
import { BYTE_LIMITS, utf8Length } from '../../wecom/utf8-limits.js'
import type { CampaignStatus } from '../../read-model/campaign-status.js'
import { countsLine } from '../../read-model/chat-format.js'
import type { LedgerCounts } from '../../read-model/figures.js'

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六']

/** "9月10日（周四）15:00", Beijing time. */
export function meetingTime(startsAt: Date, today?: CalendarDate): string {
  const date = beijingDate(startsAt)
  const { year, month, day } = parts(date)
  const weekday = WEEKDAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()]
  const minutes = Math.round((startsAt.getTime() + 8 * 3600_000) / 60_000) % (24 * 60)
  const clock = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
  return `${formatChineseDate(date, today ?? date)}（周${weekday}）${clock}`
}

export interface AgendaInput {
  id: number
  title: string
  startsAt: Date
  place: string
  convener: string
  topics: string[]
  status: CampaignStatus
  /** The previous meeting's counts, for "since the last meeting" (older snapshots lack some). */
  previous: Partial<LedgerCounts> | null
}

/** A list in the notice: how many of its entries are shown; the rest is counted. */
interface Shown {
  title: string
  entries: string[]
  shown: number
}

/**
 * The notice each participant gets: time, place, convener, the topics, and where the campaign
 * stands. In one WeCom markdown message (2,048 bytes, counted in UTF-8): when it does not fit,
 * the longest list is shortened one line at a time, its rest counted as "另有 N 项", and the
 * full version is a command away (`会议 详情 编号`). `full` shows every line (for 详情).
 */
export function agendaMessage(input: AgendaInput, options: { full?: boolean; limit?: number } = {}): string {
  const { status } = input
  const lists: Shown[] = [
    { title: '**议题**', entries: input.topics.map((t, i) => `${i + 1}. ${t}`), shown: input.topics.length },
    { title: '逾期最多的单位：', entries: status.overdueUnits.map((u) => `${u.unit} ${u.count} 项`), shown: Math.min(5, status.overdueUnits.length) },
    { title: `${Number(status.reports?.month.slice(5))}月月报未报：`, entries: status.reports?.missing ?? [], shown: status.reports?.missing.length ?? 0 },
    { title: '上次会议以来的典型案例：', entries: status.typicalCases, shown: status.typicalCases.length },
  ]
  if (options.full) for (const list of lists) list.shown = list.entries.length
  const limit = options.limit ?? BYTE_LIMITS.markdown
  let text = render(input, lists, options.full ?? false)
  while (!options.full && utf8Length(text) > limit) {
    const longest = lists.filter((l) => l.shown > 0).sort((a, b) => b.shown - a.shown)[0]
    if (!longest) break
    longest.shown -= 1
    text = render(input, lists, false)
  }
  return text
}

function render(input: AgendaInput, [topics, overdueUnits, missing, cases]: Shown[], full: boolean): string {
  const { status } = input
  const today = status.today
  const lines = [
    `**${input.title}（#${input.id}）**`,
    `时间：${meetingTime(input.startsAt, today)}`,
    `地点：${input.place}`,
    `召集人：${input.convener}`,
    ...block(topics!, '\n'),
    `**专项治理进展**（截至${formatChineseDate(today, today)}）`,
  ]
  if (status.phases.length > 0) lines.push(`当前阶段：${status.phases.map((p) => `${p.name}，${formatChineseDate(p.endDate, today)}截止`).join('；')}`)
  const { counts, previous } = { counts: status.counts, previous: input.previous }
  const change = (key: keyof LedgerCounts) => {
    const before = previous?.[key]
    if (before === undefined) return ''
    const delta = counts[key] - before
    return delta === 0 ? '' : `（${delta > 0 ? '+' : ''}${delta}）`
  }
  lines.push(countsLine(counts, change))
  if (previous) lines.push('（括号内为与上次会议相比）')
  lines.push(`待审批延期申请 ${status.pendingExtensions} 件`)
  // What the inspection group found since the last meeting, and reports from the public it still has to verify (docs/figures.md, Inspections).
  const { findings, publicReports } = status
  if (findings && findings.count > 0) lines.push(`${findings.sinceLastMeeting ? '上次会议以来' : ''}督查发现 ${findings.count} 项（须整改 ${findings.mustRectify} 项）`)
  if (publicReports && publicReports.waiting > 0) lines.push(`举报待核查 ${publicReports.waiting} 件（逾期 ${publicReports.overdue}）`)
  if (overdueUnits!.entries.length > 0) lines.push(...block(overdueUnits!, '、'))
  if (status.slowest) lines.push(status.slowest)
  const r = status.reports
  if (r) lines.push(`${Number(r.month.slice(5))}月月报：已报 ${r.submitted}/${r.expected} 个单位`)
  if (missing!.entries.length > 0) lines.push(...block(missing!, '、'))
  if (cases!.entries.length > 0) lines.push(...block(cases!, '\n'))
  lines.push(`回复「参会 ${input.id} 参加」或「参会 ${input.id} 请假 理由」${full ? '' : `；完整版：会议 详情 ${input.id}`}`)
  return lines.join('\n')
}

/** A list's title and its shown entries ("、" inline, or one per line), the rest counted. */
function block(list: Shown, separator: '、' | '\n'): string[] {
  if (list.entries.length === 0) return []
  const shown = list.entries.slice(0, list.shown)
  const more = list.entries.length - shown.length
  const rest = more > 0 ? `另有 ${more} 项` : ''
  if (separator === '、') return [`${list.title}${[...shown, ...(rest ? [rest.replace('项', '个')] : [])].join('、')}`]
  return [list.title, ...shown, ...(rest ? [rest] : [])]
}
