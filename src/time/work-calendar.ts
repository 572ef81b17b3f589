import chineseDays from 'chinese-days'
import { addDays, parts, type CalendarDate } from './calendar-date.js'

/**
 * Working days by the official Chinese calendar, holidays and make-up working days included
 * (chinese-days, updated each year when the State Council publishes the next year). For a year
 * it does not know yet, Monday–Friday are taken as working days: see lastCoveredYear().
 */
export function isWorkday(date: CalendarDate): boolean {
  return chineseDays.isWorkday(date)
}

/** The working day `count` working days after `date` (before it for a negative count). */
export function addWorkdays(date: CalendarDate, count: number): CalendarDate {
  let day = date
  let left = Math.abs(count)
  const step = count < 0 ? -1 : 1
  while (left > 0) {
    day = addDays(day, step)
    if (isWorkday(day)) left -= 1
  }
  return day
}

/**
 * Working days from `from` (exclusive) to `to` (inclusive); negative when `to` is earlier.
 * workdaysBetween(monday, friday) = 4.
 */
export function workdaysBetween(from: CalendarDate, to: CalendarDate): number {
  if (from === to) return 0
  const [start, end, sign] = from < to ? [from, to, 1] : [to, from, -1]
  let count = 0
  for (let day = addDays(start, 1); day <= end; day = addDays(day, 1)) if (isWorkday(day)) count += 1
  return count * sign
}

/** The last working day of the month `date` falls in. */
export function lastWorkdayOfMonth(date: CalendarDate): CalendarDate {
  const { year, month } = parts(date)
  let day = addDays(`${year}-${String(month).padStart(2, '0')}-01`, 40).slice(0, 7) + '-01'
  do day = addDays(day, -1)
  while (!isWorkday(day))
  return day
}

let covered: number | undefined

/** The last year whose holidays the calendar knows (it lists a Spring Festival for it). */
export function lastCoveredYear(): number {
  if (covered !== undefined) return covered
  let year = new Date().getUTCFullYear() + 2
  while (year > 2004) {
    const days = chineseDays.getHolidaysInRange(`${year}-01-01`, `${year}-03-31`, false) as string[]
    if (days.some((day) => String(chineseDays.getDayDetail(day).name).includes('Spring Festival'))) break
    year -= 1
  }
  covered = year
  return year
}
