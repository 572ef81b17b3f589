import type { OutboxMessage } from '../db/entities/index.js'
import { alertUnalerted, catchUp, release } from './catch-up.js'
import { claimDue, reclaimStale } from './claim.js'
import { isQuietTime } from '../time/quiet-hours.js'
import { record } from './record-outcome.js'
import { pruneSendSlots } from './send-budget.js'
import { deliver } from './send-row.js'
import type { BatchResult, WorkerContext } from './worker-context.js'

/** How often a worker deletes send slots older than the duplicate-check interval. */
const PRUNE_EVERY_MS = 10 * 60_000

/** One claimed batch on its way: what its lanes share. */
interface Batch {
  claimToken: string
  result: BatchResult
  /** The first database failure stops every lane from beginning another row. */
  failure?: { error: unknown }
}

/** Claims and sends one batch (DeliveryWorker.runOnce). */
export async function runBatch(ctx: WorkerContext): Promise<BatchResult> {
  await catchUp(ctx)
  const at = ctx.now()
  await reclaimStale(ctx.dataSource, new Date(at.getTime() - ctx.claimTimeoutMs))
  if (ctx.budgeted && Math.abs(at.getTime() - ctx.prunedAt) >= PRUNE_EVERY_MS) {
    ctx.prunedAt = at.getTime()
    await pruneSendSlots(ctx.dataSource, at).catch((error: unknown) => ctx.logger.warn({ err: error }, 'pruning old send slots failed'))
  }
  const { claimToken, rows } = await claimBatch(ctx, at)
  const batch: Batch = { claimToken, result: { claimed: rows.length, sent: 0, retried: 0, deferred: 0, dead: 0, skipped: 0, released: 0 } }
  await deliverLanes(ctx, batch, rows)
  if (batch.failure) {
    ctx.unreleased.add(claimToken)
    throw batch.failure.error
  }
  const { result } = batch
  // Stopping: the sends in flight have finished; the rows not begun go back for the next
  // worker at once instead of waiting out the claim timeout.
  if (ctx.stopping) result.released = await release(ctx, claimToken)
  await alertUnalerted(ctx)
  if (rows.length > 0) ctx.logger.debug({ ...result }, 'batch delivered')
  return result
}

/** Takes the due rows under a new claim token. */
async function claimBatch(ctx: WorkerContext, at: Date): Promise<{ claimToken: string; rows: OutboxMessage[] }> {
  ctx.claims += 1
  const claimToken = `${ctx.workerId}#${ctx.claims}`
  try {
    const rows = await claimDue(ctx.dataSource, {
      claimToken,
      now: at,
      limit: ctx.batchSize,
      urgentOnly: isQuietTime(at, ctx.quietHours),
    })
    return { claimToken, rows }
  } catch (error) {
    // The claim may have been committed with its answer lost: its rows go back once the database answers.
    ctx.unreleased.add(claimToken)
    throw error
  }
}

/**
 * Rows to the same recipients go in order (numbered parts); different recipients in parallel.
 * After a database failure the sends in flight finish and are recorded (or kept to record)
 * before the batch fails.
 */
async function deliverLanes(ctx: WorkerContext, batch: Batch, rows: OutboxMessage[]): Promise<void> {
  const lanes = new Map<string, OutboxMessage[]>()
  for (const row of rows) lanes.set(row.recipients, [...(lanes.get(row.recipients) ?? []), row])
  const queue = [...lanes.values()]
  await Promise.all(
    Array.from({ length: Math.min(ctx.concurrency, queue.length) }, async () => {
      for (let lane = queue.shift(); lane && !ctx.stopping && !batch.failure; lane = queue.shift()) {
        await deliverLane(ctx, batch, lane)
      }
    }),
  )
}

/** Sends a lane's rows one after another, until one of them finds the recipients' budget full. */
async function deliverLane(ctx: WorkerContext, batch: Batch, lane: OutboxMessage[]): Promise<void> {
  const { claimToken, result } = batch
  for (const [index, row] of lane.entries()) {
    if (ctx.stopping || batch.failure) return
    try {
      const later = await deliver(ctx, row, claimToken, result, lane.length - index - 1)
      if (!later) continue
      // The budget is full: the rest of the lane waits, each until a slot frees for it.
      const at = ctx.now()
      for (const [k, waiting] of lane.slice(index + 1).entries()) {
        await record(ctx, { row: waiting, claimToken, at, kind: 'deferred', values: { status: 'pending', nextAttemptAt: later[k]! } }, result)
      }
      return
    } catch (error) {
      batch.failure ??= { error }
    }
  }
}
