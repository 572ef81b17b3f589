import type { DataSource } from 'typeorm'
import type { QuietHours } from '../config/load-config.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics/metrics.js'
import type { BackoffPolicy } from './backoff.js'
import { lastCatchUp } from './catch-up.js'
import { runBatch } from './run-batch.js'
import type { Transport } from './transport.js'
import { createWorkerContext, type WorkerContext } from './worker-context.js'

export interface DeliveryWorkerOptions {
  dataSource: DataSource
  transport: Transport
  logger: Logger
  quietHours: QuietHours
  now?: () => Date
  random?: () => number
  /** Names this worker in claimed_by; default host-pid-random. */
  workerId?: string
  /** Rows claimed at a time, default 50. */
  batchSize?: number
  /** Sends in flight at once (rows to the same recipients always go one after another), default 4. */
  concurrency?: number
  /** Pause between polls when there was nothing to do, default 1 s. */
  pollIntervalMs?: number
  /** A row `sending` for longer than this is taken to belong to a dead worker, default 5 min. */
  claimTimeoutMs?: number
  backoff?: BackoffPolicy
  /** Counts deliveries by outcome and rate-limit delays, default none. */
  metrics?: Metrics
}

export interface BatchResult {
  claimed: number
  sent: number
  retried: number
  deferred: number
  dead: number
  /** Rows another worker took over while this one was slow: left to it. */
  skipped: number
  /** Rows claimed but not begun when stop() came: pending again. */
  released: number
}

export interface DeliveryWorker {
  /** Claims and sends one batch. */
  runOnce(): Promise<BatchResult>
  /** Polls continuously until stop(). */
  start(): void
  /** Finishes the sends in flight, releases the rows claimed but not begun, then resolves. */
  stop(): Promise<void>
}

/** The longest pause between batches while the database keeps failing. */
export const FAILURE_PAUSE_MAX_MS = 10_000

export { ALERT_KEY_PREFIX } from './dead-row-alert.js'

/**
 * The outbox worker: claims due rows, sends them, records `sent` with WeCom's msgid. A
 * retryable failure comes back later with exponential backoff and jitter until the attempts run
 * out, then the row is `dead` and the administrators get one alert listing the dead rows.
 * Through WeCom, every send first takes a slot of its recipients' budget in the database
 * (send-budget.ts, docs/delivery.md): a full per-member or per-robot window defers the row
 * without counting an attempt, and an app chat or robot message whose send may have reached
 * WeCom unanswered is not sent again blindly. Outside urgent rows, nothing is sent in quiet hours.
 *
 * Its parts share one WorkerContext: runBatch claims a batch and sends its lanes, deliver sends
 * one row, failedSendOutcome classifies a failed send, record writes an outcome, and catchUp
 * writes later what the database could not take.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const ctx = createWorkerContext(options)
  let running: Promise<void> | undefined
  return {
    runOnce: () => runBatch(ctx),
    start() {
      if (running) return
      ctx.stopping = false
      running = pollLoop(ctx)
    },
    async stop() {
      ctx.stopping = true
      ctx.wake?.()
      await running
      running = undefined
      await lastCatchUp(ctx)
    },
  }
}

/** Runs batch after batch until stop(), pausing when there was nothing more to do. */
async function pollLoop(ctx: WorkerContext): Promise<void> {
  let failures = 0
  while (!ctx.stopping) {
    let result: BatchResult | undefined
    try {
      result = await runBatch(ctx)
      failures = 0
    } catch (error) {
      failures += 1
      ctx.logger.error({ err: error, failures }, 'delivery batch failed')
    }
    if (ctx.stopping) break
    if (!result || result.claimed < ctx.batchSize) {
      // A batch fails when the database does (its rows are safe in it): ask it again ever less
      // often, up to FAILURE_PAUSE_MAX_MS, so that a locked SQLite file, which blocks the
      // process while it waits, leaves the callbacks the time to answer.
      await pause(ctx, failures === 0 ? ctx.pollIntervalMs : Math.min(FAILURE_PAUSE_MAX_MS, ctx.pollIntervalMs * 2 ** failures))
    }
  }
}

/** Waits `ms`, or until stop() wakes the worker. */
async function pause(ctx: WorkerContext, ms: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    ctx.wake = () => {
      clearTimeout(timer)
      resolve()
    }
  })
  ctx.wake = undefined
}
