import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { DataSource } from 'typeorm'
import type { QuietHours } from '../config/load-config.js'
import { outboxBacklog, type OutboxBacklog } from '../outbox/outbox-backlog.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics/metrics.js'

export interface ServiceMetrics {
  metrics: Metrics
  /** This service's own registry (never prom-client's global one: tests run several services in one process). */
  registry: Registry
}

export interface MetricsDependencies {
  dataSource: DataSource
  logger: Logger
  quietHours: QuietHours
  now?: () => Date
}

/**
 * The Prometheus metrics of one running service: Node's process metrics, counters and
 * histograms fed by the code where things happen, and the outbox backlog, read from the
 * database when Prometheus scrapes (one indexed query), so replicas sharing one database all
 * report the same backlog.
 */
export function createMetrics({ dataSource, logger, quietHours, now = () => new Date() }: MetricsDependencies): ServiceMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const callbacks = new Counter({ name: 'supervision_bot_callbacks_total', help: 'WeCom callbacks answered, by outcome', labelNames: ['outcome'], registers })
  const commands = new Counter({ name: 'supervision_bot_commands_total', help: 'Chat commands, by command name and outcome', labelNames: ['command', 'outcome'], registers })
  const deliveries = new Counter({ name: 'supervision_bot_deliveries_total', help: 'Outbox rows handled by the delivery worker, by outcome', labelNames: ['outcome'], registers })
  const wecomErrors = new Counter({
    name: 'supervision_bot_wecom_errors_total',
    help: 'WeCom API calls that failed, by API and errcode (network, timeout, http_<status>, parse when WeCom did not answer)',
    labelNames: ['api', 'errcode'],
    registers,
  })
  const sweeps = new Histogram({
    name: 'supervision_bot_sweep_duration_seconds',
    help: 'Reminder sweeps, by trigger (scheduled, catch_up)',
    labelNames: ['trigger'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers,
  })
  const rateLimitDelays = new Histogram({
    name: 'supervision_bot_rate_limit_delay_seconds',
    help: 'Messages held back by a per-member or per-robot rate limit, and for how long',
    labelNames: ['target'],
    buckets: [1, 5, 15, 30, 60, 300, 900, 1800, 3600],
    registers,
  })
  // Both gauges are read from one query per scrape: prom-client collects the metrics concurrently.
  let reading: Promise<OutboxBacklog | null> | undefined
  const readBacklog = () =>
    (reading ??= outboxBacklog(dataSource, now(), quietHours)
      .catch((error: unknown) => {
        // The database is down: the outbox series are left out of this scrape; /readyz says why.
        logger.warn({ err: error }, 'metrics: could not read the outbox backlog')
        return null
      })
      .finally(() => {
        reading = undefined
      }))
  const outboxMessages = new Gauge({
    name: 'supervision_bot_outbox_messages',
    help: 'Outbox rows not yet sent, by status (pending, sending, dead)',
    labelNames: ['status'],
    registers,
    async collect() {
      const backlog = await readBacklog()
      outboxMessages.reset()
      if (backlog) for (const status of ['pending', 'sending', 'dead'] as const) outboxMessages.set({ status }, backlog[status])
    },
  })
  const oldestDue = new Gauge({
    name: 'supervision_bot_outbox_oldest_due_seconds',
    help: 'How long the oldest message that should already have been sent has waited (quiet hours excepted)',
    registers,
    async collect() {
      const backlog = await readBacklog()
      // NaN when the database cannot say: unknown, not "nothing waiting" (an alert on it neither fires nor clears).
      oldestDue.set(backlog ? backlog.oldestDueSeconds : Number.NaN)
    },
  })

  return {
    registry,
    metrics: {
      callback: (outcome) => callbacks.inc({ outcome }),
      command: (command, outcome) => commands.inc({ command, outcome }),
      delivery: (outcome) => deliveries.inc({ outcome }),
      wecomError: (api, errcode) => wecomErrors.inc({ api, errcode: String(errcode) }),
      sweep: (trigger, seconds) => sweeps.observe({ trigger }, seconds),
      rateLimitDelay: (target, seconds) => rateLimitDelays.observe({ target }, seconds),
    },
  }
}
