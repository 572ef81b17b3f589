/**
 * Calendar dates ("2015-08-31") as plain strings. Due dates in the plan are calendar dates in
 * Beijing time (docs/architecture.md, Time), so they are never turned into instants by accident; all
 * arithmetic here is done in UTC on the date alone, which no process time zone can shift.
 */
export type CalendarDate = string

export const BEIJING_TIME_ZONE = 'Asia/Shanghai'

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/

export function isCalendarDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value)
  if (!match) return false
  const [, y, m, d] = match.map(Number) as [number, number, number, number]
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)
}

export function parts(date: CalendarDate): { year: number; month: number; day: number } {
  const match = DATE_PATTERN.exec(date)
  if (!match) throw new RangeError(`not a calendar date: ${date}`)
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) }
}

export function toCalendarDate(year: number, month: number, day: number): CalendarDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const { year, month, day } = parts(date)
  const shifted = new Date(Date.UTC(year, month - 1, day + days))
  return toCalendarDate(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate())
}

export function isLastDayOfMonth(date: CalendarDate): boolean {
  const { year, month, day } = parts(date)
  return day === daysInMonth(year, month)
}

/**
 * Adds whole months. A month's last day stays the last day ("end of July" + 1 month is
 * "end of August"); any other day is clamped to the target month's length.
 */
export function addMonths(date: CalendarDate, months: number): CalendarDate {
  const { year, month, day } = parts(date)
  const index = year * 12 + (month - 1) + months
  const targetYear = Math.floor(index / 12)
  const targetMonth = (index % 12) + 1
  const length = daysInMonth(targetYear, targetMonth)
  return toCalendarDate(targetYear, targetMonth, isLastDayOfMonth(date) ? length : Math.min(day, length))
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  const a = parts(from)
  const b = parts(to)
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000)
}

export function firstDayOfMonth(date: CalendarDate): CalendarDate {
  const { year, month } = parts(date)
  return toCalendarDate(year, month, 1)
}

export function lastDayOfMonth(date: CalendarDate): CalendarDate {
  const { year, month } = parts(date)
  return toCalendarDate(year, month, daysInMonth(year, month))
}

/** "2015-08" for the month a date falls in. */
export function monthOf(date: CalendarDate): string {
  return date.slice(0, 7)
}

const beijingDateFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: BEIJING_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})

/** The calendar date in Beijing at an instant, whatever the process time zone. */
export function beijingDate(instant: Date): CalendarDate {
  return beijingDateFormat.format(instant)
}

const beijingDateTimeFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: BEIJING_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** "2015/08/31 09:05" in Beijing time, for people to read. */
export function formatBeijingDateTime(instant: Date): string {
  return beijingDateTimeFormat.format(instant)
}

/** "8月31日" or, when the year differs from `reference`, "2015年8月31日". */
export function formatChineseDate(date: CalendarDate, reference?: CalendarDate): string {
  // Remembered: a reminder sweep writes the same few hundred dates sixty thousand times.
  const sameYear = reference !== undefined && reference.slice(0, 4) === date.slice(0, 4)
  const memo = sameYear ? withoutYear : withYear
  let text = memo.get(date)
  if (text === undefined) {
    const { year, month, day } = parts(date)
    text = sameYear ? `${month}月${day}日` : `${year}年${month}月${day}日`
    if (memo.size > 10_000) memo.clear()
    memo.set(date, text)
  }
  return text
}

const withYear = new Map<CalendarDate, string>()
const withoutYear = new Map<CalendarDate, string>()

/** The instant a Beijing wall-clock time on `date` stands for: 2015-09-08 15:00 → 07:00Z. */
export function beijingInstant(date: CalendarDate, hour = 0, minute = 0): Date {
  return new Date(`${date}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+08:00`)
}

/** The instants a Beijing calendar month ('YYYY-MM') spans: its first day 00:00 to its last millisecond. */
export function beijingMonthSpan(month: string): [Date, Date] {
  const next = addDays(`${month}-28`, 4).slice(0, 7)
  return [beijingInstant(`${month}-01`), new Date(beijingInstant(`${next}-01`).getTime() - 1)]
}

/**
 * When something happened, as short as a phone allows: "10:32" the same Beijing day as `now`,
 * "8月30日 10:32" another day of the year, "2015年8月30日 10:32" another year.
 */
export function formatWhen(at: Date, now: Date): string {
  const clock = formatBeijingDateTime(at).slice(11)
  const day = beijingDate(at)
  const today = beijingDate(now)
  return day === today ? clock : `${formatChineseDate(day, today)} ${clock}`
}
