import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from '../logger.js'
import type { ScheduledJob } from '../jobs/scheduled-job.js'
import { BEIJING_TIME_ZONE } from '../time/calendar-date.js'

export interface Scheduler {
  readonly jobs: readonly string[]
  stop(): Promise<void>
}

/**
 * Starts node-cron jobs: each named, never overlapping itself (a run still going when the
 * next is due is skipped), in Asia/Shanghai, and logged when it starts, ends or fails
 * (node-cron's noOverlap; docs/architecture.md, How the code is built). Jobs that must happen once claim their work in the
 * database themselves.
 */
export function createScheduler(jobs: readonly ScheduledJob[], logger: Logger): Scheduler {
  const names = new Set<string>()
  const tasks: ScheduledTask[] = []
  for (const job of jobs) {
    if (names.has(job.name)) throw new Error(`duplicate scheduled job name: ${job.name}`)
    if (!cron.validate(job.cron)) throw new Error(`invalid cron expression for ${job.name}: ${job.cron}`)
    names.add(job.name)
    const log = logger.child({ job: job.name })
    tasks.push(
      cron.schedule(
        job.cron,
        async (context) => {
          const started = Date.now()
          try {
            await job.run(context.date)
            log.info({ durationMs: Date.now() - started }, 'job finished')
          } catch (error) {
            log.error({ err: error, durationMs: Date.now() - started }, 'job failed')
          }
        },
        { name: job.name, timezone: BEIJING_TIME_ZONE, noOverlap: true },
      ),
    )
  }
  return {
    jobs: [...names],
    async stop() {
      for (const task of tasks) await task.destroy()
    },
  }
}
