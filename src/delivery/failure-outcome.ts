import { isDatabaseError } from '../db/database-error.js'
import { describeError } from '../describe-error.js'
import type { OutboxMessage } from '../db/entities/index.js'
import { RateLimitedError } from '../wecom/errors.js'
import { retryDelayMs } from './backoff.js'
import { deliveredNothing, mayHaveArrived, unknownOutcomeNote } from './unknown-outcome.js'
import type { Outcome, WorkerContext } from './worker-context.js'

/**
 * What a send that threw comes to. Through WeCom, an app chat or robot message that may have
 * arrived is held (docs/delivery.md); anything else is a plain failure, whose slots are given
 * back when nothing was delivered and the slots are not those of an earlier send.
 */
export function failedSendOutcome(ctx: WorkerContext, row: OutboxMessage, claimToken: string, at: Date, error: unknown, resend?: boolean): Outcome {
  const withoutDuplicateCheck = row.channel === 'appchat' || row.channel === 'webhook'
  if (ctx.budgeted && withoutDuplicateCheck && mayHaveArrived(error)) return { ...unknownOutcome(ctx, row, claimToken, at), slots: 'settle' }
  return { ...failure(ctx, row, claimToken, at, error), slots: !ctx.budgeted ? undefined : deliveredNothing(error, row) && !resend ? 'release' : 'settle' }
}

/** What a failed send comes to: deferred (rate limit), retried with backoff, or dead. */
function failure(ctx: WorkerContext, row: OutboxMessage, claimToken: string, at: Date, error: unknown): Outcome {
  if (error instanceof RateLimitedError) return { row, claimToken, at, kind: 'deferred', values: { status: 'pending', nextAttemptAt: error.retryAt } }
  const attempts = row.attempts + 1
  // A database error inside the transport (reading a stored file, the console's names) came
  // before anything was sent: try again later, never give the row up for it.
  const retryable = (error as { retryable?: boolean }).retryable === true || isDatabaseError(error)
  // A failed statement's values (a message's text) never reach last_error or the log (docs/logging.md).
  const message = describeError(error).slice(0, 2000)
  if (retryable && attempts < ctx.backoff.maxAttempts) {
    const nextAttemptAt = new Date(at.getTime() + retryDelayMs(attempts, ctx.backoff, ctx.random))
    ctx.logger.warn({ outboxId: row.id, attempts, nextAttemptAt, err: error }, 'delivery failed, will retry')
    return { row, claimToken, at, kind: 'retried', values: { status: 'pending', attempts, nextAttemptAt, lastError: message } }
  }
  ctx.logger.error({ outboxId: row.id, attempts, err: error }, 'delivery failed for good')
  return { row, claimToken, at, kind: 'dead', values: { status: 'dead', attempts, lastError: message } }
}

/** An app chat or robot row whose send may have reached WeCom: held for an administrator, never resent blindly. */
export function unknownOutcome(ctx: WorkerContext, row: OutboxMessage, claimToken: string, at: Date, sendBegunAt = at): Outcome {
  ctx.logger.error({ outboxId: row.id, channel: row.channel, sendBegunAt }, 'delivery outcome unknown; not resending a message without duplicate check')
  return { row, claimToken, at, kind: 'dead', values: { status: 'dead', attempts: row.attempts + 1, lastError: unknownOutcomeNote(row.id) } }
}
