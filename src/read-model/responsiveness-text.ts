import { inertText } from '../wecom/inert-text.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate } from '../time/calendar-date.js'
import { officeClock, type OfficeClock } from '../time/office-hours.js'
import type { OnTime, PersonResponsiveness, ResponseFigures, Responsiveness, ScopeFigures, UnitResponsiveness } from './responsiveness.js'

/** "3.5 小时" under one working day of office time, "2.3 个工作日" from one (docs/responsiveness.md). */
export function hoursText(hours: number | null, clock: OfficeClock = officeClock()): string {
  if (hours === null) return '—'
  const day = clock.dayMinutes / 60
  // Compared as written: 8.96 hours is "1.0 个工作日", never "9.0 小时".
  return Number(hours.toFixed(1)) < day ? `${hours.toFixed(1)} 小时` : `${(hours / day).toFixed(1)} 个工作日`
}

/** "未响应 2/10，待响应 1" */
export function unansweredText(r: ResponseFigures): string {
  return `未响应 ${r.unanswered}/${r.decided}${r.pending > 0 ? `，待响应 ${r.pending}` : ''}`
}

/** "提醒 12 次，响应中位 3.5 小时，90分位 1.2 个工作日，未响应 2/10"; 无记录; 无提醒. */
export function responseText(r: ResponseFigures | null): string {
  if (r === null) return '无记录'
  if (r.reminders === 0) return '无提醒'
  return `提醒 ${r.reminders} 次，响应中位 ${hoursText(r.median)}，90分位 ${hoursText(r.p90)}，${unansweredText(r)}`
}

/** "60%（12/20）", or "—" with nothing due. */
export function onTimeText(o: OnTime): string {
  return o.due === 0 ? '—' : `${Math.round((o.onTime / o.due) * 100)}%（${o.onTime}/${o.due}）`
}

/** A scope's figures in four lines: reminders, on-time rates, overdue load, repeat offenders. */
export function scopeLines(f: ScopeFigures): string[] {
  const count = (n: number | null) => (n === null ? '无记录' : `${n} 项`)
  return [
    `提醒响应：${responseText(f.response)}`,
    `按期整改率：原定时限 ${onTimeText(f.onTimeOriginal)}，延期后 ${onTimeText(f.onTimeExtended)}`,
    `逾期负荷：${f.overdueLoad} 个工作日（逾期 ${f.overdueItems} 项）`,
    `反复督促：升级至单位负责人 ${count(f.escalatedToHead)}，升级至组织部 ${count(f.escalatedToOrg)}，延期两次以上 ${f.extendedTwice} 项`,
  ]
}

/** "3. 城关镇：提醒 4，未响应 3/4，中位 12.5 小时，90分位 2.0 个工作日；逾期负荷 10" */
export function unitLine(u: UnitResponsiveness): string {
  return `${u.rank === null ? '·' : `${u.rank}.`} ${inertText(u.unitName)}：${unitFigures(u)}`
}

/** unitLine after the unit's name, for a page that writes the name itself. */
export function unitFigures(u: UnitResponsiveness): string {
  const r = u.response
  const response = r === null ? '无记录' : r.reminders === 0 ? '无提醒' : `提醒 ${r.reminders}，${unansweredText(r)}，中位 ${hoursText(r.median)}，90分位 ${hoursText(r.p90)}`
  return `${response}；逾期负荷 ${u.overdueLoad}`
}

/** "张三：提醒 3，未响应 1/3，中位 2.0 小时（其中代请假人接收 2 次）" */
export function personLine(p: PersonResponsiveness): string {
  return `${inertText(p.name)}：${personFigures(p)}`
}

/** personLine after the person's name, for a page that writes the name itself. */
export function personFigures(p: PersonResponsiveness): string {
  const r = p.response
  return `提醒 ${r.reminders}，${unansweredText(r)}，中位 ${hoursText(r.median)}${p.onBehalf > 0 ? `（其中代请假人接收 ${p.onBehalf} 次）` : ''}`
}

/** The ranked units that were slow: an unanswered reminder, or a median over one working day (docs/responsiveness.md, Ranking). */
export function slowestUnits(r: Responsiveness, count = 3, clock: OfficeClock = officeClock()): UnitResponsiveness[] {
  const day = clock.dayMinutes / 60
  return r.units.filter((u) => u.rank !== null && u.response !== null && (u.response.unanswered > 0 || (u.response.median ?? 0) > day)).slice(0, count)
}

/** "响应最慢：城关镇（未响应 3/4，中位 1.4 个工作日）、…", or null with none slow or no record. */
export function slowestLine(r: Responsiveness): string | null {
  const slow = slowestUnits(r)
  if (slow.length === 0) return null
  return `响应最慢：${slow.map((u) => `${inertText(u.unitName)}（未响应 ${u.response!.unanswered}/${u.response!.decided}，中位 ${hoursText(u.response!.median)}）`).join('、')}`
}

/** "2026年12月，截至12月4日 15:00；提醒记录自12月2日起" */
export function periodText(period: Responsiveness['period']): string {
  const asOf = period.complete ? '' : `，截至${formatChineseDate(beijingDate(period.asOf), beijingDate(period.asOf))} ${formatBeijingDateTime(period.asOf).slice(11)}`
  return `${period.label}${asOf}${recordsNote(period)}`
}

/** "；提醒记录自12月2日起" when the records began within the period, "；无提醒记录" before them, else ''. */
export function recordsNote(period: Responsiveness['period']): string {
  if (period.noRecord) return '；无提醒记录'
  return period.recordsFrom ? `；提醒记录自${formatChineseDate(beijingDate(period.recordsFrom), beijingDate(period.asOf))}起` : ''
}
