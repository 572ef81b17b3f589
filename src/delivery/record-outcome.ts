import { OutboxMessageSchema, type OutboxMessage } from '../db/entities/index.js'
import { markRemindersDelivered } from '../domain/reminders/reminder-records.js'
import { releaseSends, settleSends } from './send-budget.js'
import { recordUndeliverable } from './undeliverable-recipients.js'
import type { DeliveryReceipt } from './transport.js'
import type { BatchResult, Outcome, WorkerContext } from './worker-context.js'

/**
 * Writes an outcome to the row this worker still holds (a row another worker took over is left
 * alone); what follows from it (counts, undeliverable members, the dead-row alert) only once it
 * is written. When the database fails, the outcome is kept for catchUp().
 */
export async function record(ctx: WorkerContext, outcome: Outcome, result?: BatchResult): Promise<void> {
  const { row, kind, values } = outcome
  const { logger } = ctx
  let written: number
  try {
    written = await writeOutcome(ctx, outcome)
  } catch (error) {
    ctx.unrecorded.add(outcome)
    logger.warn({ outboxId: row.id, outcome: kind, wecomMsgid: values.wecomMsgid, err: error }, 'recording a delivery outcome failed; kept to record when the database answers')
    throw error
  }
  ctx.unrecorded.delete(outcome)
  if (written === 0) {
    // Only after the claim timeout: this worker could not reach the database for that long.
    logger.error({ outboxId: row.id, outcome: kind, wecomMsgid: values.wecomMsgid }, 'delivery outcome not recorded: another worker took the row over after the claim timeout and may send it again')
    return
  }
  if (outcome.slots) await finishSlots(ctx, outcome)
  await afterWritten(ctx, outcome, result)
}

/** What follows from an outcome once it is written: counts, the dead-row alert, who did not get it. */
export async function afterWritten(ctx: WorkerContext, outcome: Outcome, result?: BatchResult): Promise<void> {
  const { row, kind, values } = outcome
  const { logger, metrics } = ctx
  if (result) result[kind] += 1
  metrics.delivery(kind)
  if (kind === 'deferred') metrics.rateLimitDelay(row.channel === 'webhook' ? 'robot' : 'member', Math.max(0, (values.nextAttemptAt!.getTime() - outcome.at.getTime()) / 1000))
  if (kind === 'dead') ctx.unalerted.push({ ...row, ...values })
  // The message went out; failing to record who did not get it must not count as a failed send.
  const { receipt } = outcome
  if (receipt && values.lastError) await recordUndeliverable(ctx.dataSource, receipt, outcome.at).catch((error: unknown) => logger.error({ err: error, outboxId: row.id }, 'recording undeliverable recipients failed'))
}

/**
 * A settled slot counts from when the answer came; one left unsettled (this failed) counts as
 * if WeCom took the send a little after it began, which is the safe side.
 */
async function finishSlots(ctx: WorkerContext, { row, at, slots }: Outcome): Promise<void> {
  try {
    if (slots === 'release') await releaseSends(ctx.dataSource, [row.id], at)
    else await settleSends(ctx.dataSource, [row.id], at, ctx.now())
  } catch (error) {
    ctx.logger.warn({ outboxId: row.id, err: error }, 'settling the send slots failed; they count as unanswered')
  }
}

/**
 * The row's outcome, on the row this worker still holds; a digest or daily summary sent also marks
 * the reminders it carried delivered to the members it reached, in the same transaction
 * (docs/responsiveness.md): a failure keeps both for catchUp, and neither is written alone.
 */
async function writeOutcome(ctx: WorkerContext, { row, claimToken, kind, values, at, receipt }: Outcome): Promise<number> {
  const held = { id: row.id, claimedBy: claimToken, status: 'sending' as const }
  const update = { ...values, claimedBy: null, claimedAt: null }
  if (kind !== 'sent' || row.subjectKind !== 'digest') return (await ctx.outbox.update(held, update)).affected ?? 0
  const reached = reachedMembers(row, receipt)
  return ctx.dataSource.transaction(async (manager) => {
    const written = (await manager.update(OutboxMessageSchema, held, update)).affected ?? 0
    if (written > 0) await markRemindersDelivered(manager, row.dedupeKey, at, reached)
    return written
  })
}

/** The members a sent digest reached: its recipients but those WeCom refused. */
export function reachedMembers(row: OutboxMessage, receipt: DeliveryReceipt | undefined): string[] {
  const refused = new Set([...(receipt?.invalidUsers ?? []), ...(receipt?.unlicensedUsers ?? [])])
  return ((JSON.parse(row.recipients) as { touser?: string[] }).touser ?? []).filter((userid) => !refused.has(userid))
}
