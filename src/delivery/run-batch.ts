import type { OutboxMessage } from '../db/entities/index.js'
import { alertUnalerted, catchUp, release, releaseUnbegun } from './catch-up.js'
import { claimDue, reclaimStale } from './claim.js'
import { isQuietTime } from '../time/quiet-hours.js'
import { pruneSendSlots } from './send-budget.js'
import { createPipeline, deliverLanes, reserveFirst, type Batch, type Pipeline } from './deliver-lanes.js'
import type { BatchResult, WorkerContext } from './worker-context.js'

/** How often a worker deletes send slots older than the duplicate-check interval. */
const PRUNE_EVERY_MS = 10 * 60_000

/** Claims and sends one batch (DeliveryWorker.runOnce). */
export async function runBatch(ctx: WorkerContext): Promise<BatchResult> {
  await catchUp(ctx)
  const at = ctx.now()
  await reclaimStale(ctx.dataSource, new Date(at.getTime() - ctx.claimTimeoutMs))
  if (ctx.budgeted && Math.abs(at.getTime() - ctx.prunedAt) >= PRUNE_EVERY_MS) {
    ctx.prunedAt = at.getTime()
    await pruneSendSlots(ctx.dataSource, at).catch((error: unknown) => ctx.logger.warn({ err: error }, 'pruning old send slots failed'))
  }
  const { claimToken, rows, pipe } = await claimBatch(ctx, at)
  const batch: Batch = { claimToken, result: { claimed: rows.length, sent: 0, retried: 0, deferred: 0, dead: 0, skipped: 0, released: 0 } }
  await deliverLanes(ctx, batch, pipe ?? createPipeline(rows))
  if (batch.failure) {
    ctx.unreleased.add(claimToken)
    throw batch.failure.error
  }
  const { result } = batch
  // Stopping: the sends in flight have finished; the rows not begun go back for the next
  // worker at once instead of waiting out the claim timeout.
  if (ctx.stopping) {
    try {
      await releaseUnbegun(ctx)
      result.released = await release(ctx, claimToken)
    } catch (error) {
      ctx.unreleased.add(claimToken)
      throw error
    }
  }
  await alertUnalerted(ctx)
  if (rows.length > 0) ctx.logger.debug({ ...result }, 'batch delivered')
  return result
}

/** Takes the due rows under a new claim token, and reserves the first of them (deliver-lanes.ts). */
async function claimBatch(ctx: WorkerContext, at: Date): Promise<{ claimToken: string; rows: OutboxMessage[]; pipe?: Pipeline }> {
  ctx.claims += 1
  const claimToken = `${ctx.workerId}#${ctx.claims}`
  try {
    const options = { claimToken, now: at, limit: ctx.batchSize, urgentOnly: isQuietTime(at, ctx.quietHours) }
    const { rows, value } = await claimDue(ctx.dataSource, options, (manager, claimed) => reserveFirst(ctx, manager, claimToken, claimed, at))
    return { claimToken, rows, pipe: value }
  } catch (error) {
    // The claim may have been committed with its answer lost: its rows go back once the database answers.
    ctx.unreleased.add(claimToken)
    throw error
  }
}
