import type { DataSource } from 'typeorm'
import type { Config } from '../config/load-config.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics/metrics.js'

/** What a job is given: the database, the logger, the configuration, the metrics. */
export interface JobContext {
  dataSource: DataSource
  logger: Logger
  config: Readonly<Config>
  metrics: Metrics
}

/** What one run did: the outbox rows it wrote (0: nothing was due, or it was written already), and anything worth logging. */
export interface JobRun {
  written: number
  [detail: string]: unknown
}

/**
 * A scheduled job (docs/architecture.md, Scheduled jobs). Every job works the same way: a run is
 * a function of the database and `now`; what it sends it writes through the outbox's `enqueue`
 * in a transaction, under a dedupe key naming what it is about and the occasion (the meeting and
 * its time, the circular and the person, the campaign and the month, the person and the day), so
 * a second run — a retry, a catch-up, another replica at the same moment — writes nothing again.
 * What it must remember beyond the outbox (an item's furthest reminder stage, a receipt's
 * reminder) it claims in the same transaction.
 */
export interface JobDefinition {
  name: string
  /** When it runs: a cron expression read in Beijing time, from the configuration where that is configurable. */
  cron: (config: Readonly<Config>) => string
  /** The run, built once per service (a job may keep what it has already warned about). */
  create: (context: JobContext) => (now: Date) => Promise<JobRun>
  /** Also run once at start-up, for what fell due while the service was down. */
  atStartup?: (context: JobContext, now: Date) => Promise<JobRun>
}

export function defineJob(definition: JobDefinition): JobDefinition {
  return definition
}

/** A named job as the scheduler runs it. */
export interface ScheduledJob {
  name: string
  cron: string
  run: (now: Date) => Promise<void>
}

/** A definition bound to a service: its run logged, by name, when it wrote something. */
export function toScheduledJob(job: JobDefinition, context: JobContext): ScheduledJob {
  const run = job.create(context)
  return {
    name: job.name,
    cron: job.cron(context.config),
    run: async (now) => {
      const result = await run(now)
      if (result.written > 0) context.logger.info({ job: job.name, ...result }, `${job.name}: wrote ${result.written}`)
    },
  }
}
