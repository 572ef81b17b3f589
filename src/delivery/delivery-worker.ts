import { lastCatchUp } from './catch-up.js'
import { runBatch } from './run-batch.js'
import { createWorkerContext, type BatchResult, type DeliveryWorkerOptions, type WorkerContext } from './worker-context.js'

export type { BatchResult, DeliveryWorkerOptions } from './worker-context.js'

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


/**
 * The outbox worker: claims due rows, sends them, records `sent` with WeCom's msgid. A
 * retryable failure comes back later with exponential backoff and jitter until the attempts run
 * out, then the row is `dead` and the administrators get one alert listing the dead rows.
 * Through WeCom, every send first takes a slot of its recipients' budget in the database
 * (send-budget.ts, docs/delivery.md): a full per-member or per-robot window defers the row
 * without counting an attempt, and an app chat or robot message whose send may have reached
 * WeCom unanswered is not sent again blindly. Outside urgent rows, nothing is sent in quiet hours.
 *
 * Its parts share one WorkerContext: runBatch claims a batch; deliverLanes sends its lanes,
 * asking the database in rounds (docs/delivery.md, Rounds): reserveSends takes the next rows'
 * slots, recordAll writes the finished sends' outcomes together; deliver sends an app chat or
 * robot row reserved alone; failedSendOutcome classifies a failed send, record writes one
 * outcome, and catchUp writes later what the database could not take.
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
