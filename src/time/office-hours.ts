import { addDays, type CalendarDate } from './calendar-date.js'
import { isWorkday } from './work-calendar.js'

/** Office hours of a working day, in minutes after midnight Beijing time. */
export interface OfficeHours {
  startMinute: number
  endMinute: number
}

/** 08:30–17:30 (OFFICE_HOURS): nine hours, one working day (docs/responsiveness.md, Office hours). */
export const DEFAULT_OFFICE_HOURS: OfficeHours = { startMinute: 8 * 60 + 30, endMinute: 17 * 60 + 30 }

const BEIJING_OFFSET_MS = 8 * 3_600_000
const DAY_MS = 86_400_000
/** The first day counted from; instants before it count as its start. */
const EPOCH: CalendarDate = '2000-01-01'
const EPOCH_MS = Date.UTC(2000, 0, 1)

/**
 * Counts office time on the official calendar's working days. Each instant maps to the office
 * minutes elapsed since 2000-01-01 (Beijing); a span is the difference of its ends, so a reminder
 * answered months later costs two look-ups, not a walk over its days. Beijing time is UTC+8
 * throughout (it has kept no summer time since 1991).
 */
export class OfficeClock {
  readonly hours: OfficeHours
  /** Office minutes before each day (index: days since EPOCH), extended as later days are asked for. */
  private readonly before: number[] = [0]
  /** Whether each day (index: days since EPOCH) is a working day. */
  private readonly working: boolean[] = []

  constructor(hours: OfficeHours = DEFAULT_OFFICE_HOURS) {
    if (!(hours.startMinute >= 0 && hours.startMinute < hours.endMinute && hours.endMinute <= 1440)) throw new Error(`office hours must end after they start within a day: ${JSON.stringify(hours)}`)
    this.hours = hours
  }

  /** Minutes of office time in one working day. */
  get dayMinutes(): number {
    return this.hours.endMinute - this.hours.startMinute
  }

  /** Office minutes from EPOCH to `instant`. */
  minutesAt(instant: Date): number {
    const local = instant.getTime() + BEIJING_OFFSET_MS - EPOCH_MS
    if (local <= 0) return 0
    const day = Math.floor(local / DAY_MS)
    const minute = (local - day * DAY_MS) / 60_000
    const start = this.dayStart(day)
    if (!this.working[day]) return start
    return start + Math.min(Math.max(minute - this.hours.startMinute, 0), this.dayMinutes)
  }

  /** Office hours from `from` to `to` (0 when `to` is not later). */
  hoursBetween(from: Date, to: Date): number {
    return Math.max(0, this.minutesAt(to) - this.minutesAt(from)) / 60
  }

  private dayStart(day: number): number {
    const before = this.before
    while (before.length <= day + 1) {
      const index = before.length - 1
      const working = isWorkday(addDays(EPOCH, index))
      this.working.push(working)
      before.push(before[index]! + (working ? this.dayMinutes : 0))
    }
    return before[day]!
  }
}

let shared = new OfficeClock()

/**
 * The office clock every figure uses: OFFICE_HOURS, set once when the service or the CLI starts
 * (like the holiday calendar, one setting for the whole process).
 */
export function officeClock(): OfficeClock {
  return shared
}

export function configureOfficeHours(hours: OfficeHours): void {
  if (hours.startMinute !== shared.hours.startMinute || hours.endMinute !== shared.hours.endMinute) shared = new OfficeClock(hours)
}
