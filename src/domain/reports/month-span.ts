import type { Campaign } from '../../db/entities/index.js'
import { RefusalError, UserFacingError } from '../../errors.js'
import { addMonths, beijingDate, beijingMonthSpan, lastDayOfMonth, monthOf, type CalendarDate } from '../../time/calendar-date.js'

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/

export function isMonth(value: string): boolean {
  return MONTH_PATTERN.test(value)
}

/** A report month and the moment it is reported "as of". */
export interface ReportPeriod {
  month: string
  /** The month's first instant, Beijing time. */
  start: Date
  /** The instant the figures are taken at (inclusive): the month's last instant, or `now` for the current month. */
  asOf: Date
  /** The Beijing calendar day of `asOf`: items due before it are overdue (docs/architecture.md, Time). */
  asOfDate: CalendarDate
  /** False while the month is still running. */
  complete: boolean
}

/**
 * "As of" for the monthly workbook: a past month is reported as it stood at its last instant
 * (23:59:59.999 Beijing time on its last day), so an item due on the 31st is not yet overdue and
 * one closed on the 1st of the next month still counts as open; the current month is reported
 * as of `now`. A month that has not begun is refused.
 */
export function reportPeriod(month: string, now: Date): ReportPeriod {
  if (!isMonth(month)) throw new UserFacingError('bad_month', `月份「${month}」应写成 YYYY-MM，例如 2015-08。`)
  const today = beijingDate(now)
  const current = monthOf(today)
  if (month > current) throw new RefusalError('future_month', `${month} 还没有到（今天是 ${today}），不能导出月报。`)
  const [start, end] = beijingMonthSpan(month)
  if (month === current) return { month, start, asOf: now, asOfDate: today, complete: false }
  return { month, start, asOf: end, asOfDate: lastDayOfMonth(`${month}-01`), complete: true }
}

/** Refuses a month outside the campaign's dates, saying which dates it has. */
export function checkMonthInCampaign(month: string, campaign: Campaign): void {
  if (month < monthOf(campaign.startDate) || month > monthOf(campaign.endDate)) {
    throw new RefusalError('bad_arguments', `${month} 不在专项治理 #${campaign.id}「${campaign.name}」的时间内（${campaign.startDate} 至 ${campaign.endDate}）。`)
  }
}

/**
 * A month as people type it: 2015-08, 2015年8月, 2015/8, 8月 (the latest August up to this
 * month), 本月 or 上月; null when the text is not a month.
 */
export function readMonth(text: string, today: CalendarDate): string | null {
  const typed = text.normalize('NFKC').replace(/\s+/g, '')
  if (/^(本月|这个月|当月)$/.test(typed)) return monthOf(today)
  if (/^(上月|上个月)$/.test(typed)) return monthOf(addMonths(`${monthOf(today)}-01`, -1))
  const valid = (year: number, month: number) => (month >= 1 && month <= 12 ? `${year}-${String(month).padStart(2, '0')}` : null)
  let match = /^(\d{4})[-/.年](\d{1,2})月?$/.exec(typed)
  if (match) return valid(Number(match[1]), Number(match[2]))
  match = /^(\d{1,2})月(份)?$/.exec(typed)
  if (match) {
    const month = Number(match[1])
    return valid(Number(today.slice(0, 4)) - (month > Number(today.slice(5, 7)) ? 1 : 0), month)
  }
  return null
}

/** readMonth, or a refusal that shows the forms with this month's examples. */
export function parseMonth(text: string, today: CalendarDate): string {
  const month = readMonth(text, today)
  if (month !== null) return month
  const [year, number] = today.split('-').map(Number) as [number, number]
  throw new UserFacingError('bad_month', `「${text.slice(0, 20)}」不是月份：写成 ${monthOf(today)}、${year}年${number}月、${number}月 或 上月，不写则为本月。`)
}

/** The month a command shows when none is typed: this month, or the campaign's last once it has ended. */
export function defaultMonth(campaign: Campaign, today: CalendarDate): string {
  const current = monthOf(today)
  const last = monthOf(campaign.endDate)
  return current < last ? current : last
}

/** A month typed for a command: not in the future (refused with `future`), within the campaign. */
export function checkedMonth(month: string, campaign: Campaign, today: CalendarDate, future: string): string {
  if (month > monthOf(today)) throw new RefusalError('future_month', future)
  checkMonthInCampaign(month, campaign)
  return month
}
