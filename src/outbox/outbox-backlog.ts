import type { DataSource } from 'typeorm'
import type { QuietHours } from '../config/load-config.js'
import { beijingMinuteOfDay, isQuietTime } from '../time/quiet-hours.js'
import { beijingDate } from '../time/calendar-date.js'
import { fromSqlInstant } from '../db/sql-instant.js'

/** The outbox rows still to be dealt with; `sent` and `cancelled` are history, not backlog. */
export interface OutboxBacklog {
  pending: number
  sending: number
  dead: number
  /** Pending rows the worker holds back because it is quiet (non-urgent ones, while quiet hours last); 0 outside them. */
  heldForQuietHours: number
  /** How long the oldest message the worker should already have sent has been waiting, seconds (0: none). */
  oldestDueSeconds: number
}

/**
 * The backlog in one query over the (status, next_attempt_at) index: it reads the rows not yet
 * sent, never the history, so a scrape stays cheap however many messages were sent before.
 * A non-urgent row is not due while it is quiet (the worker holds it back on purpose), and when
 * quiet hours end it is counted from their end: the figure is how late delivery is, not how long
 * the night was.
 */
export async function outboxBacklog(dataSource: DataSource, now: Date, quietHours: QuietHours): Promise<OutboxBacklog> {
  const rows = (await dataSource.query(
    `SELECT status, COUNT(*) AS n, MIN(next_attempt_at) AS oldest, MIN(CASE WHEN urgent = 1 THEN next_attempt_at END) AS oldest_urgent,
            SUM(CASE WHEN urgent = 1 THEN 0 ELSE 1 END) AS not_urgent
       FROM outbox_message WHERE status IN ('pending', 'sending', 'dead') GROUP BY status`,
  )) as { status: string; n: number | string; oldest: unknown; oldest_urgent: unknown; not_urgent: number | string | null }[]
  const backlog: OutboxBacklog = { pending: 0, sending: 0, dead: 0, heldForQuietHours: 0, oldestDueSeconds: 0 }
  for (const row of rows) {
    if (row.status === 'pending' || row.status === 'sending' || row.status === 'dead') backlog[row.status] = Number(row.n)
  }
  const pending = rows.find((row) => row.status === 'pending')
  if (!pending) return backlog
  if (isQuietTime(now, quietHours)) backlog.heldForQuietHours = Number(pending.not_urgent ?? 0)
  const oldest = fromSqlInstant(pending.oldest)!
  const oldestUrgent = fromSqlInstant(pending.oldest_urgent)
  // Urgent rows are due whatever the hour; the others not while it is quiet, nor before it ended.
  const held = isQuietTime(now, quietHours) ? null : new Date(Math.max(oldest.getTime(), lastQuietEnd(now, quietHours).getTime()))
  const dueSince = [oldestUrgent, held].filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0]
  if (dueSince) backlog.oldestDueSeconds = Math.max(0, Math.round((now.getTime() - dueSince.getTime()) / 1000))
  return backlog
}

/** The last instant quiet hours ended before `now` (Beijing has no daylight saving: minutes suffice). */
function lastQuietEnd(now: Date, quietHours: QuietHours): Date {
  if (quietHours.startMinute === quietHours.endMinute) return new Date(0)
  const sinceEnd = (beijingMinuteOfDay(now) - quietHours.endMinute + 1440) % 1440
  const minuteStart = Math.floor(now.getTime() / 60_000) * 60_000
  return new Date(minuteStart - sinceEnd * 60_000)
}

/** The instant quiet hours end, when `now` is in them (held messages go then); null when it is not quiet. */
export function quietHoursEnd(now: Date, quietHours: QuietHours): Date | null {
  if (!isQuietTime(now, quietHours)) return null
  const untilEnd = (quietHours.endMinute - beijingMinuteOfDay(now) + 1440) % 1440
  return new Date(Math.floor(now.getTime() / 60_000) * 60_000 + untilEnd * 60_000)
}

/**
 * What a status says of the messages it counts as waiting, while quiet hours hold them back:
 * "静默时段，08:00 后发送" ("明天 08:00" when they end on the next day). null when it is not quiet.
 */
export function quietHoursNote(now: Date, quietHours: QuietHours): string | null {
  const resume = quietHoursResume(now, quietHours)
  return resume === null ? null : `静默时段，${resume} 后发送`
}

/** When held messages go, as people read it: "08:00", or "明天 08:00" when quiet hours end on the next day; null when it is not quiet. */
export function quietHoursResume(now: Date, quietHours: QuietHours): string | null {
  const end = quietHoursEnd(now, quietHours)
  if (!end) return null
  return `${beijingDate(end) === beijingDate(now) ? '' : '明天 '}${clockText(quietHours.endMinute)}`
}

/** "21:00–08:00", the window as configured (QUIET_HOURS). */
export function quietHoursText(quietHours: QuietHours): string {
  return `${clockText(quietHours.startMinute)}–${clockText(quietHours.endMinute)}`
}

const clockText = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`
