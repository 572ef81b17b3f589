import type { QuietHours } from '../config/load-config.js'
import { BEIJING_TIME_ZONE } from './calendar-date.js'

const clockFormat = new Intl.DateTimeFormat('en-GB', { timeZone: BEIJING_TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })

/** Minutes after midnight, Beijing time. */
export function beijingMinuteOfDay(instant: Date): number {
  const [hour, minute] = clockFormat.format(instant).split(':').map(Number) as [number, number]
  return hour * 60 + minute
}

/** Whether `instant` falls in the quiet window (which may wrap past midnight, like 21:00–08:00). */
export function isQuietTime(instant: Date, quiet: QuietHours): boolean {
  const { startMinute, endMinute } = quiet
  if (startMinute === endMinute) return false
  const minute = beijingMinuteOfDay(instant)
  return startMinute < endMinute ? minute >= startMinute && minute < endMinute : minute >= startMinute || minute < endMinute
}
