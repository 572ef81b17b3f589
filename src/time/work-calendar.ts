import { createRequire } from 'node:module'
import { addDays, parts, type CalendarDate } from './calendar-date.js'

/**
 * The official Chinese calendar's holidays and make-up working days, from chinese-days' data
 * file (updated each year when the State Council publishes the next year's). Only its data is
 * used: its functions read dates in the process's time zone and answer for the wrong day west
 * of UTC (a test runs the suite in America/New_York). Here a date is a Beijing calendar date,
 * and its weekday is computed from the date alone.
 */
const calendar = createRequire(import.meta.url)('chinese-days/dist/chinese-days.json') as {
  holidays: Record<string, string>
  workdays: Record<string, string>
}

/** A working day: a make-up working day, or Monday–Friday that is not a holiday. */
export function isWorkday(date: CalendarDate): boolean {
  if (date in calendar.workdays) return true
  if (date in calendar.holidays) return false
  const { year, month, day } = parts(date)
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay()
  return weekday !== 0 && weekday !== 6
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

/** `date` itself when it is a working day, else the last working day before it (a Saturday due date is "due Friday"). */
export function workdayOnOrBefore(date: CalendarDate): CalendarDate {
  let day = date
  while (!isWorkday(day)) day = addDays(day, -1)
  return day
}

/**
 * Working days left until a due date (today or later), counted to the working day on or before
 * it: 0 when that day is today. A Saturday due date is "1 working day away" on Thursday.
 */
export function workdaysUntil(today: CalendarDate, due: CalendarDate): number {
  const last = workdayOnOrBefore(due)
  return last <= today ? 0 : workdaysBetween(today, last)
}

/** The last calendar day whose due dates are within `count` working days, rest days right after it included. */
export function workdayHorizon(today: CalendarDate, count: number): CalendarDate {
  return addDays(addWorkdays(addWorkdays(today, count), 1), -1)
}

/** The last working day of the month `date` falls in. */
export function lastWorkdayOfMonth(date: CalendarDate): CalendarDate {
  const { year, month } = parts(date)
  let day = `${addDays(`${year}-${String(month).padStart(2, '0')}-28`, 4).slice(0, 7)}-01`
  do day = addDays(day, -1)
  while (!isWorkday(day))
  return day
}

/** The last year whose holidays the calendar knows (it lists a Spring Festival for it). */
export const lastCoveredYear = (() => {
  const years = Object.entries(calendar.holidays)
    .filter(([, name]) => name.includes('Spring Festival'))
    .map(([date]) => Number(date.slice(0, 4)))
  const last = Math.max(...years)
  return () => last
})()
