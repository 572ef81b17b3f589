import type Router from '@koa/router'
import type { Context } from 'koa'
import { performance } from 'node:perf_hooks'
import type { EntityManager } from 'typeorm'
import type { DispatchResult } from '../bot/dispatcher.js'
import { enqueue } from '../outbox/enqueue.js'
import { storeFile } from '../outbox/stored-files.js'
import { FAILURE_REPLY } from '../bot/failure-reply.js'
import { finishInbound, lockInbound, markFailed } from '../bot/inbound-store.js'
import { isTransientDatabaseError, retryOnDeadlock } from '../db/retry-on-deadlock.js'
import { describeError } from '../describe-error.js'
import type { Logger } from '../logger.js'
import type { WeComInbound } from '../wecom/callback/inbound-message.js'
import { verifyCallbackUrl } from '../wecom/callback/open-callback.js'
import { storedFile, type AppMessage } from '../wecom/messages.js'
import { timeLeft, type TimeLeft } from './callback-deadline.js'
import { withLogLine } from './callback-log-line.js'
import { createCallbackRoute, type CallbackRoute, type CallbackRouteOptions } from './callback-route-context.js'
import { fitsPassive, passiveDeadline, respondPassive } from './passive-reply.js'
import { answerDuplicate, answerLater, openMessage, storeInbound } from './receive-message.js'

export type { CallbackRouteOptions } from './callback-route-context.js'

/**
 * The WeCom callback (docs/wecom.md, URL verification and Callback messages): GET verifies the URL, POST receives messages. A message is
 * stored as an InboundMessage under its unique key before anything else happens, so a retry or
 * a second replica's copy is answered 200 and not processed again. WeCom gives up after 5 s:
 * the answer goes back in the response if it is ready within the budget and fits a passive text
 * reply, otherwise through the outbox. Either way it is stored first, and sent once.
 */
export function registerWeComCallback(router: Router, options: CallbackRouteOptions): void {
  const route = createCallbackRoute(options)
  router.get(options.path, (ctx) =>
    withLogLine(route, ctx, async (_log, facts) => {
      ctx.type = 'text/plain'
      ctx.body = verifyCallbackUrl(ctx.query, route.secrets, route.now(), route.timestampWindowSeconds)
      facts.outcome = 'url_verified'
    }),
  )
  router.post(options.path, (ctx) => withLogLine(route, ctx, (log, facts) => receiveMessage(route, ctx, log, facts)))
}

/** POST: verify, decrypt, store, then answer (a duplicate at once, a new message within the budget). */
async function receiveMessage(route: CallbackRoute, ctx: Context, log: Logger, facts: Record<string, unknown>): Promise<void> {
  const left = timeLeft(performance.now())
  const message = await openMessage(route, ctx, facts)
  const id = await storeInbound(route, message, log, left, (stored) => answerLater(route, stored, message, log, processMessage(route, stored, message, log, () => false)))
  if (id === null) await answerDuplicate(route, ctx, message, facts, left)
  else await answerInTime(route, ctx, id, message, log, facts, left)
}

/**
 * Runs the command for a newly stored message and answers in the response when its answer is
 * ready within the reply budget and fits a passive reply; otherwise the answer follows through
 * the outbox, after the request was answered if need be.
 */
async function answerInTime(route: CallbackRoute, ctx: Context, id: number, message: WeComInbound, log: Logger, facts: Record<string, unknown>, left: TimeLeft): Promise<void> {
  const { timer, claimPassive } = passiveDeadline(left(route.replyBudgetMs))
  const work = processMessage(route, id, message, log, claimPassive)
  let first: Processed | 'late'
  try {
    first = await Promise.race([work, timer])
  } catch (error) {
    // The answer could not be stored: mark the message failed (if the database lets us) and
    // answer 503, so that WeCom's retry finds it failed and the person gets told.
    await markFailed(route.dataSource, id, route.now(), describeFailure(error)).catch(() => {})
    throw error
  }
  if (first !== 'late' && first.passive !== null) {
    respondPassive(route, ctx, message.from, first.passive)
    facts.outcome = `${first.outcome}/passive`
    return
  }
  ctx.body = ''
  facts.outcome = first === 'late' ? 'answering_later' : first.outcome
  // Shutdown waits for the command to finish and its answer to be stored.
  if (first === 'late') route.inFlight?.track(answerLater(route, id, message, log, work))
}

/** How a message was handled: its passive answer (null when it went to the outbox, or there is none) and the log line's outcome. */
interface Processed {
  passive: string | null
  outcome: string
}

/**
 * Runs the command and stores its answer, in one transaction with the message's outcome
 * (docs/concurrency.md): it begins by locking the message's row, so the recovery job cannot
 * give up on a message whose change is being written, and cannot apologise for one that was.
 * Resolves with the passive answer when the answer is plain text that fits a passive reply and
 * it is still in time; otherwise the answer has gone to the outbox and `passive` is null.
 */
async function processMessage(route: CallbackRoute, id: number, message: WeComInbound, log: Logger, claimPassive: () => boolean): Promise<Processed> {
  const { now } = route
  return retryOnDeadlock(() =>
    route.dataSource.transaction(async (manager) => {
      if ((await lockInbound(manager, id))?.status !== 'received') return { passive: null, outcome: 'given_up' }
      const { result, error } = await dispatchCommand(route, manager, id, message, log)
      const { reply, attachment } = result
      // A file follows its answer through the outbox, so the answer goes that way too, first. An
      // event's answer (a card tap, a menu click) always does: WeCom documents passive replies to
      // a tap only as card updates (docs/cards.md, Taps).
      if (reply && !attachment && message.kind !== 'event' && fitsPassive(reply) && claimPassive()) {
        await finishInbound(manager, id, { status: result.status, processedAt: now(), reply: reply.text.content, replyVia: 'passive', error })
        return { passive: reply.text.content, outcome: result.outcome }
      }
      if (reply) await queueReply(route, manager, id, message, reply, attachment)
      await finishInbound(manager, id, {
        status: result.status,
        processedAt: now(),
        reply: reply ? JSON.stringify(reply) : null,
        replyVia: reply ? 'outbox' : null,
        error,
      })
      return { passive: null, outcome: result.outcome }
    }),
  )
}

/**
 * Runs the command in the message's transaction. A command that failed (not the database's
 * deadlock, which runs the whole transaction again) is answered with the apology, its error kept.
 */
async function dispatchCommand(route: CallbackRoute, manager: EntityManager, id: number, message: WeComInbound, log: Logger): Promise<{ result: DispatchResult; error: string | null }> {
  try {
    return { result: await route.dispatcher.dispatch(message, log, manager), error: null }
  } catch (failure) {
    // The database chose this transaction as a deadlock victim: all of it again.
    if (isTransientDatabaseError(failure)) throw failure
    log.error({ err: failure, inboundId: id }, 'command failed')
    return { result: { reply: FAILURE_REPLY, status: 'failed', outcome: 'failed' }, error: describeFailure(failure) }
  }
}

/** The answer through the outbox, then its file, in the message's transaction. */
async function queueReply(route: CallbackRoute, manager: EntityManager, id: number, message: WeComInbound, reply: AppMessage, attachment: DispatchResult['attachment']): Promise<void> {
  const { now } = route
  const fresh = await enqueue(manager, { dedupeKey: `reply:${id}`, subject: { kind: 'reply', id }, to: { users: [message.from] }, message: reply, reply: true, urgent: true }, now())
  if (fresh > 0 && attachment) {
    const fileId = await storeFile(manager, attachment)
    const file = storedFile(fileId, attachment.filename)
    await enqueue(manager, { dedupeKey: `reply:${id}:file`, subject: { kind: 'reply', id }, to: { users: [message.from] }, message: file, reply: true, urgent: true }, now())
  }
}

/** What is kept of a failure in inbound_message.error: never the statement's values (docs/logging.md). */
function describeFailure(error: unknown): string {
  return describeError(error).slice(0, 2000)
}
