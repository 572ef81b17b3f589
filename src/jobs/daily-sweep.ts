import type { DataSource } from 'typeorm'
import type { Logger } from '../logger.js'
import { defineJob } from './scheduled-job.js'
import { beijingDate } from '../time/calendar-date.js'
import { isWorkday } from '../time/work-calendar.js'
import type { QuietHours } from '../config/load-config.js'
import { beijingMinuteOfDay, isQuietTime } from '../time/quiet-hours.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'
import { runSweep } from '../domain/reminders/run-sweep.js'

/** The daily sweep: digests and 组织部's summary at SWEEP_TIME (Beijing) on working days, and at start-up for a day it missed. */
export const dailySweep = defineJob({
  name: 'daily-sweep',
  cron: ({ sweepTime: [hour, minute] }) => `${minute} ${hour} * * *`,
  create:
    ({ dataSource, metrics }) =>
    async (now) => {
      if (!isWorkday(beijingDate(now))) return { written: 0 }
      const result = await timedSweep(dataSource, now, 'scheduled', metrics)
      return { written: result.written, messages: result.messages.length }
    },
  atStartup: async ({ dataSource, logger, config, metrics }, now) => ({ written: await catchUpSweep(dataSource, logger, config.sweepTime, now, config.quietHours, metrics) }),
})

/**
 * Catch-up at start-up: if the service was down at sweep time today (a working day), the sweep
 * runs now, for what is still due today. Earlier days are not replayed (the sweep plans only
 * today's pre-due reminders); overdue alerts and escalations that fell due meanwhile go out once.
 * Running it when the day's sweep already ran writes nothing. Not in quiet hours: what it wrote
 * would only leave the next morning, a day late.
 */
export async function catchUpSweep(
  dataSource: DataSource,
  logger: Logger,
  time: readonly [number, number],
  now: Date,
  quietHours: QuietHours = { startMinute: 0, endMinute: 0 },
  metrics: Metrics = NO_METRICS,
): Promise<number> {
  if (!isWorkday(beijingDate(now)) || beijingMinuteOfDay(now) < time[0] * 60 + time[1]) return 0
  // Once quiet hours have begun, today's reminders would only leave tomorrow morning, stale.
  if (isQuietTime(now, quietHours)) return 0
  const result = await timedSweep(dataSource, now, 'catch_up', metrics)
  if (result.written > 0) logger.info({ written: result.written }, 'catch-up sweep at start-up')
  return result.written
}

/** A sweep, its duration counted (a failed one too: a sweep that takes minutes and fails is worth seeing). */
async function timedSweep(dataSource: DataSource, now: Date, trigger: 'scheduled' | 'catch_up', metrics: Metrics) {
  const started = performance.now()
  try {
    return await runSweep(dataSource, now)
  } finally {
    metrics.sweep(trigger, (performance.now() - started) / 1000)
  }
}
