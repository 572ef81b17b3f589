import { circularReminders } from './circular-reminders.js'
import { dailySweep } from './daily-sweep.js'
import { evidenceRetention } from './evidence-retention.js'
import { inboundRecovery } from './inbound-recovery.js'
import { meetingReminders } from './meeting-reminders.js'
import { monthEndReport } from './month-end-report.js'
import { toScheduledJob, type JobContext, type JobDefinition, type ScheduledJob } from './scheduled-job.js'

/** Every scheduled job, listed explicitly (as commands/index.ts lists the commands). The scheduler refuses duplicate names. */
export const jobs: readonly JobDefinition[] = [dailySweep, meetingReminders, circularReminders, monthEndReport, inboundRecovery, evidenceRetention]

/** The jobs bound to a service, for the scheduler. */
export function scheduledJobs(context: JobContext): ScheduledJob[] {
  return jobs.map((job) => toScheduledJob(job, context))
}

/** Start-up: each job that catches up runs once, a failure logged, never stopping the start. */
export async function runStartupCatchUps(context: JobContext, now: Date): Promise<void> {
  for (const job of jobs) {
    if (!job.atStartup) continue
    try {
      await job.atStartup(context, now)
    } catch (error) {
      context.logger.error({ err: error, job: job.name }, `${job.name}: catch-up at start-up failed`)
    }
  }
}
