import type { OutboxMessage } from '../db/entities/index.js'
import { failedSendOutcome, unknownOutcome } from './failure-outcome.js'
import { record } from './record-outcome.js'
import { reserveSend, type Reservation } from './reserve-sends.js'
import { describeUndelivered } from './undeliverable-recipients.js'
import type { BatchResult, Outcome, WorkerContext } from './worker-context.js'

/**
 * Sends one row. When its recipients' budget is full, returns when each of the `waiting` rows
 * to the same recipients behind it may go (they are deferred without asking again).
 */
export async function deliver(ctx: WorkerContext, row: OutboxMessage, claimToken: string, result: BatchResult, waiting = 0): Promise<Date[] | undefined> {
  const at = ctx.now()
  // The claim is renewed right before sending: if this worker was slow enough for another to
  // reclaim the row after the claim timeout, the row is no longer ours and is not sent again.
  const reservation = await reserve(ctx, row, claimToken, at, waiting)
  if (reservation.kind === 'lost') {
    result.skipped += 1
    ctx.metrics.delivery('skipped')
    ctx.logger.warn({ outboxId: row.id }, 'claim taken over by another worker; not sending')
    return undefined
  }
  if (reservation.kind === 'limited') {
    await record(ctx, { row, claimToken, at, kind: 'deferred', values: { status: 'pending', nextAttemptAt: reservation.retryAt[0]! } }, result)
    return reservation.retryAt.slice(1)
  }
  if (reservation.kind === 'unknown') {
    await record(ctx, unknownOutcome(ctx, row, claimToken, at, reservation.since), result)
    return undefined
  }
  // The send's outcome is decided first and recorded after: a database failure while
  // recording is not a failed send (the message went out, or WeCom refused it, either way).
  await record(ctx, await send(ctx, row, claimToken, at, reservation), result)
  return undefined
}

/** Renews the claim; through WeCom, also takes the send's slots (send-budget.ts). */
async function reserve(ctx: WorkerContext, row: OutboxMessage, claimToken: string, at: Date, waiting: number): Promise<Reservation> {
  if (ctx.budgeted) return reserveSend(ctx.dataSource, row, claimToken, at, waiting + 1)
  const held = await ctx.outbox.update({ id: row.id, claimedBy: claimToken, status: 'sending' }, { claimedAt: at })
  return held.affected ? { kind: 'reserved', payload: row.payload } : { kind: 'lost' }
}

/** Sends the reserved payload; a failed send comes back as its outcome, not as an error. */
export async function send(ctx: WorkerContext, row: OutboxMessage, claimToken: string, at: Date, reservation: Extract<Reservation, { kind: 'reserved' }>): Promise<Outcome> {
  try {
    const receipt = await ctx.transport.send(reservation.payload === row.payload ? row : { ...row, payload: reservation.payload })
    const values = { status: 'sent' as const, sentAt: at, attempts: row.attempts + 1, wecomMsgid: receipt.msgids.join(',').slice(0, 128) || null, lastError: describeUndelivered(receipt) }
    return { row, claimToken, at, kind: 'sent', values, receipt, slots: ctx.budgeted ? 'settle' : undefined }
  } catch (error) {
    return failedSendOutcome(ctx, row, claimToken, at, error, reservation.resend)
  }
}
