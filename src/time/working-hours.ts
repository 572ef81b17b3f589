import { addDays, beijingDate } from './calendar-date.js'
import { isWorkday } from './work-calendar.js'

const HOUR_MS = 3_600_000

/** Beijing midnight at the start of a calendar date. */
const beijingMidnight = (date: string): Date => new Date(`${date}T00:00:00+08:00`)

/**
 * The instant `hours` working hours after `start`: only the hours of working days count (a
 * Beijing calendar day, midnight to midnight, that is a working day in the official calendar).
 * 24 working hours after Friday 10:00 is Monday 10:00; after Saturday 10:00, Tuesday 00:00.
 */
export function addWorkingHours(start: Date, hours: number): Date {
  let remaining = hours * HOUR_MS
  let cursor = start
  // A year of rest days at most between two working days; the loop always ends well before.
  for (let guard = 0; guard < 3660; guard += 1) {
    const day = beijingDate(cursor)
    const dayEnd = beijingMidnight(addDays(day, 1))
    if (isWorkday(day)) {
      const available = dayEnd.getTime() - cursor.getTime()
      if (remaining <= available) return new Date(cursor.getTime() + remaining)
      remaining -= available
    }
    cursor = dayEnd
  }
  throw new Error(`no working hours found after ${start.toISOString()}`)
}
