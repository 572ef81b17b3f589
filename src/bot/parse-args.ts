import { UserFacingError } from '../errors.js'
import { addDays, isCalendarDate, lastDayOfMonth, parts, toCalendarDate, type CalendarDate } from '../time/calendar-date.js'
import { quoteTyped } from '../domain/text/text-limits.js'

/** "12", "#12" (also "＃12", normalized before) → 12. */
export function parseItemNumber(token: string | undefined, what = '台账编号'): number {
  const match = /^#?(\d{1,9})$/.exec(token ?? '')
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

/**
 * The date forms people type, resolved against `today` (Beijing): 2015-09-30, 2015/9/30,
 * 2015年9月30日, 9月30日, 9.30 or 9/30 (this year), 今天, 明天, 后天, 本周五, 下周五, 月底, 下月底.
 */
export function parseDate(token: string | undefined, today: CalendarDate): CalendarDate {
  const text = (token ?? '').trim()
  const fail = () =>
    new UserFacingError(
      'bad_date',
      text ? `「${quoteTyped(text)}」不是能识别的日期。可写 2015-09-30、9月30日、9.30、下周五 或 月底。` : '缺少日期，例：9月30日。',
    )
  const { year } = parts(today)
  const checked = (y: number, m: number, d: number) => {
    const date = toCalendarDate(y, m, d)
    if (!isCalendarDate(date)) throw fail()
    return date
  }
  let match = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(text)
  if (match) return checked(Number(match[1]), Number(match[2]), Number(match[3]))
  match = /^(\d{1,2})(?:月|[./])(\d{1,2})日?$/.exec(text)
  if (match) return checked(year, Number(match[1]), Number(match[2]))
  const relative: Record<string, () => CalendarDate> = {
    今天: () => today,
    明天: () => addDays(today, 1),
    后天: () => addDays(today, 2),
    月底: () => lastDayOfMonth(today),
    本月底: () => lastDayOfMonth(today),
    下月底: () => lastDayOfMonth(addDays(lastDayOfMonth(today), 1)),
  }
  if (relative[text]) return relative[text]()
  match = /^(本|这|下)(?:周|星期|礼拜)([一二三四五六日天])$/.exec(text)
  if (match) {
    const weekday = new Date(`${today}T00:00:00Z`).getUTCDay() || 7
    const target = WEEKDAYS[match[2]!]!
    return addDays(today, target - weekday + (match[1] === '下' ? 7 : 0))
  }
  throw fail()
}
