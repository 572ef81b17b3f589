import { randomUUID } from 'node:crypto'
import type { Context } from 'koa'
import type { Logger } from '../logger.js'
import { CallbackVerificationError } from '../wecom/errors.js'
import { StoreDeadlineError } from './callback-deadline.js'
import type { CallbackRoute } from './callback-route-context.js'

/**
 * Runs a callback's work and writes its one log line and metric. A refused callback is answered
 * with its CallbackVerificationError's status; anything else that fails is ours (503).
 */
export async function withLogLine(route: CallbackRoute, ctx: Context, work: (log: Logger, facts: Record<string, unknown>) => Promise<void>) {
  const started = Date.now()
  const facts: Record<string, unknown> = { requestId: randomUUID().slice(0, 8), method: ctx.method }
  const log = route.logger.child({ requestId: facts.requestId })
  try {
    await work(log, facts)
  } catch (error) {
    ctx.body = ''
    if (error instanceof CallbackVerificationError) {
      ctx.status = error.status
      facts.outcome = `rejected:${error.code}`
      facts.reason = error.message
    } else {
      // Our side failed (the database, most likely): 503 makes WeCom try again later.
      ctx.status = 503
      facts.outcome = 'error'
      if (error instanceof StoreDeadlineError) log.error({ reason: error.message }, 'callback failed')
      else log.error({ err: error }, 'callback failed')
    }
  } finally {
    // One line per callback; never the token, the key or the message's content.
    const level = ctx.status >= 400 ? 'warn' : 'info'
    log[level]({ ...facts, status: ctx.status, durationMs: Date.now() - started }, 'wecom callback')
    route.metrics.callback(callbackOutcome(String(facts.outcome)))
  }
}

/**
 * The log line's outcome, coarsened for a metric label: command names and the like stay in the
 * log. passive: answered in the response; queued: handled, the answer (if any) in the outbox;
 * late: the answer missed the response and follows through the outbox.
 */
function callbackOutcome(outcome: string): string {
  if (outcome.endsWith('/passive')) return 'passive'
  if (outcome === 'answering_later') return 'late'
  if (['url_verified', 'duplicate', 'error'].includes(outcome) || outcome.startsWith('rejected:')) return outcome
  return 'queued'
}
