import { UserFacingError } from '../errors.js'
import { addDays, daysBetween, daysInMonth, formatChineseDate, isCalendarDate, lastDayOfMonth, parts, toCalendarDate, type CalendarDate } from '../time/calendar-date.js'
import { quoteTyped } from '../domain/text/text-limits.js'

/** "12", "#12" (also "＃12", normalized before), "12。" → 12. */
export function parseItemNumber(token: string | undefined, what = '台账编号'): number {
  // Punctuation after the number is the end of a sentence: 「收到 12。」
  const match = /^#?(\d{1,9})[。！!？?，,、.]*$/.exec(token ?? '')
  if (!match) throw new UserFacingError('bad_number', token ? `「${quoteTyped(token)}」不是有效的${what}，应为数字，例：12 或 #12。` : `缺少${what}。`)
  return Number(match[1])
}

/** "60", "60%" (also "６０％") → 60; 0–100. */
export function parsePercent(token: string | undefined): number {
  const match = /^(\d{1,3})%?$/.exec(token ?? '')
  const value = match ? Number(match[1]) : Number.NaN
  if (!(value >= 0 && value <= 100)) {
    throw new UserFacingError('bad_percent', token ? `「${quoteTyped(token)}」不是有效的进度，应为 0–100 的百分比，例：60%。` : '缺少进度百分比，例：60%。')
  }
  return value
}

const WEEKDAYS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7 }

/** A year-less date more than this many days past is read as next year's (docs/chat-input.md). */
export const PAST_DAYS_FOR_NEXT_YEAR = 60

/** A date as read, and whether its year was supplied by the reading rather than typed. */
export interface DateRead {
  date: CalendarDate
  /** The year was not typed (9月30日, 9.30, 9/30): this year's, or next year's when this year's is over 60 days past. */
  inferredYear: boolean
  /** What was typed, trimmed, for saying how it was read. */
  typed: string
}

/**
 * The date forms people type, resolved against `today` (Beijing): 2015-09-30, 2015/9/30,
 * 2015年9月30日, 9月30日, 9.30 or 9/30 (this year, or next year when this year's is more than
 * 60 days past: docs/chat-input.md), 今天, 明天, 后天, 本周五, 下周五, 月底, 下月底.
 */
export function readDate(token: string | undefined, today: CalendarDate): DateRead {
  const text = (token ?? '').trim()
  const fail = () =>
    new UserFacingError(
      'bad_date',
      text ? `「${quoteTyped(text)}」不是能识别的日期。可写 2015-09-30、9月30日、9.30、下周五 或 月底。` : '缺少日期，例：9月30日。',
    )
  const checked = (y: number, m: number, d: number) => {
    const date = toCalendarDate(y, m, d)
    if (!isCalendarDate(date)) throw fail()
    return date
  }
  const typed = (date: CalendarDate, inferredYear = false): DateRead => ({ date, inferredYear, typed: text })
  let match = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(text)
  if (match) return typed(checked(Number(match[1]), Number(match[2]), Number(match[3])))
  match = /^(\d{1,2})(?:月|[./])(\d{1,2})日?$/.exec(text)
  if (match) {
    const month = Number(match[1])
    const day = Number(match[2])
    if (month < 1 || month > 12) throw fail()
    return typed(checked(yearOf(month, day, today), month, day), true)
  }
  const relative: Record<string, () => CalendarDate> = {
    今天: () => today,
    明天: () => addDays(today, 1),
    后天: () => addDays(today, 2),
    月底: () => lastDayOfMonth(today),
    本月底: () => lastDayOfMonth(today),
    下月底: () => lastDayOfMonth(addDays(lastDayOfMonth(today), 1)),
  }
  if (relative[text]) return typed(relative[text]())
  match = /^(本|这|下)(?:周|星期|礼拜)([一二三四五六日天])$/.exec(text)
  if (match) {
    const weekday = new Date(`${today}T00:00:00Z`).getUTCDay() || 7
    const target = WEEKDAYS[match[2]!]!
    return typed(addDays(today, target - weekday + (match[1] === '下' ? 7 : 0)))
  }
  throw fail()
}

/** This year, unless this year's month and day are more than 60 days past (2月29日 counts as 2月28日 for that). */
function yearOf(month: number, day: number, today: CalendarDate): number {
  const { year } = parts(today)
  const thisYears = toCalendarDate(year, month, Math.min(day, daysInMonth(year, month)))
  return daysBetween(thisYears, today) > PAST_DAYS_FOR_NEXT_YEAR ? year + 1 : year
}

/** readDate's date alone, for callers that need not say how it was read. */
export function parseDate(token: string | undefined, today: CalendarDate): CalendarDate {
  return readDate(token, today).date
}

/**
 * For a success answer: "「1月15日」按 2027年1月15日 处理。" when the year was inferred and is not
 * this year's (a date read as this year's needs no remark); '' otherwise.
 */
export function howDateWasRead(read: DateRead, today: CalendarDate): string {
  return read.inferredYear && read.date.slice(0, 4) !== today.slice(0, 4) ? `「${quoteTyped(read.typed)}」按 ${formatChineseDate(read.date)} 处理。` : ''
}

/** A success answer, with howDateWasRead on a line of its own when it says anything. */
export function withDateReading(answer: string, read: DateRead, today: CalendarDate): string {
  const note = howDateWasRead(read, today)
  return note ? `${answer}\n${note}` : answer
}
