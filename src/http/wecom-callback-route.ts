import { randomBytes, randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type Router from '@koa/router'
import type { Context } from 'koa'
import type { DataSource } from 'typeorm'
import type { Dispatcher, DispatchResult } from '../bot/dispatcher.js'
import { enqueue } from '../delivery/enqueue.js'
import { storeFile } from '../delivery/stored-files.js'
import { InboundMessageSchema } from '../domain/entities/index.js'
import { FAILURE_REPLY } from '../bot/failure-reply.js'
import { finishInbound, insertInbound, lockInbound, markFailed } from '../bot/inbound-store.js'
import { apologizeOnce } from '../bot/recover-inbound.js'
import { isTransientDatabaseError, retryOnDeadlock } from '../db/retry-on-deadlock.js'
import { describeError } from '../db/describe-error.js'
import type { Logger } from '../logger.js'
import type { WeComInbound } from '../wecom/callback/inbound-message.js'
import { openCallback, sealReply, textReplyXml, verifyCallbackUrl, type CallbackSecrets } from '../wecom/callback/open-callback.js'
import { CallbackVerificationError } from '../wecom/errors.js'
import { storedFile, type AppMessage } from '../wecom/messages.js'
import { BYTE_LIMITS, utf8Length } from '../wecom/utf8-limits.js'
import { withDeadline } from '../time/with-deadline.js'
import type { InFlight } from './in-flight.js'
import { readRawBody } from './read-raw-body.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'

export interface CallbackRouteOptions {
  path: string
  secrets: CallbackSecrets
  dataSource: DataSource
  dispatcher: Dispatcher
  logger: Logger
  now?: () => Date
  /** How long the answer may take to go back in the HTTP response (passive reply), default 1.5 s. */
  replyBudgetMs?: number
  /** Largest body accepted, default 64 KiB. */
  bodyLimit?: number
  /** Accepted clock difference of the timestamp, default 300 s. */
  timestampWindowSeconds?: number
  /** Counts callbacks by outcome, default none. */
  metrics?: Metrics
  /** Shutdown waits for commands still running after their request was answered (default: not tracked). */
  inFlight?: InFlight
  /**
   * How long storing a message may take before WeCom is answered 503 (it retries), default
   * 2.5 s: a database that does not answer at all (a network partition) must not hold the
   * request past WeCom's 5 s. If the message is stored after all, it is handled then, its answer
   * through the outbox, and WeCom's retry is a duplicate.
   */
  storeDeadlineMs?: number
}

/**
 * Every phase of a callback (storing, the duplicate lookup, the passive-reply budget) ends
 * within this much of its arrival: WeCom gives up after 5 s, and the answer still has to be
 * written and travel back.
 */
const ANSWER_WITHIN_MS = 4000

/** The database did not answer within the deadline (the work goes on, see storeDeadlineMs). */
class StoreDeadlineError extends Error {}


/**
 * The WeCom callback (docs/wecom.md, URL verification and Callback messages): GET verifies the URL, POST receives messages. A message is
 * stored as an InboundMessage under its unique key before anything else happens, so a retry or
 * a second replica's copy is answered 200 and not processed again. WeCom gives up after 5 s:
 * the answer goes back in the response if it is ready within the budget and fits a passive text
 * reply, otherwise through the outbox. Either way it is stored first, and sent once.
 */
export function registerWeComCallback(router: Router, options: CallbackRouteOptions): void {
  const { secrets, dataSource, dispatcher } = options
  const now = options.now ?? (() => new Date())
  const budget = options.replyBudgetMs ?? 1500
  const storeDeadline = options.storeDeadlineMs ?? 2500
  const bodyLimit = options.bodyLimit ?? 64 * 1024
  const window = options.timestampWindowSeconds ?? 300
  const inbound = dataSource.getRepository(InboundMessageSchema)
  const metrics = options.metrics ?? NO_METRICS

  async function withLogLine(ctx: Context, work: (log: Logger, facts: Record<string, unknown>) => Promise<void>) {
    const started = Date.now()
    const facts: Record<string, unknown> = { requestId: randomUUID().slice(0, 8), method: ctx.method }
    const log = options.logger.child({ requestId: facts.requestId })
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
      metrics.callback(callbackOutcome(String(facts.outcome)))
    }
  }

  router.get(options.path, (ctx) =>
    withLogLine(ctx, async (_log, facts) => {
      ctx.type = 'text/plain'
      ctx.body = verifyCallbackUrl(ctx.query, secrets, now(), window)
      facts.outcome = 'url_verified'
    }),
  )

  router.post(options.path, (ctx) =>
    withLogLine(ctx, async (log, facts) => {
      const arrived = performance.now()
      const left = (phase: number) => Math.max(0, Math.min(phase, ANSWER_WITHIN_MS - (performance.now() - arrived)))
      const body = (await readRawBody(ctx.req, bodyLimit)).toString('utf8')
      const message = openCallback(ctx.query, body, secrets, now(), window)
      Object.assign(facts, { msgId: 'msgId' in message ? message.msgId : null, from: message.from, kind: message.kind })
      const storing = insertInbound(dataSource, {
        dedupeKey: message.dedupeKey,
        msgId: 'msgId' in message ? message.msgId : null,
        fromUser: message.from,
        msgType: message.kind === 'other' ? message.msgType : message.kind,
        event: message.kind === 'event' ? message.event : null,
        content: message.kind === 'text' ? message.content : null,
        receivedAt: now(),
      })
      const id = await withinDeadline(storing, 'storing the message', left(storeDeadline), () => {
        // Stored after all: handled now, answered through the outbox (WeCom's retry is a duplicate).
        const late = storing.then(
          (stored) => (stored === null ? undefined : answerLater(stored, message, log, process(stored, message, log, () => false))),
          (error: unknown) => log.error({ err: error }, 'message not stored; WeCom retries it'),
        )
        options.inFlight?.track(late)
      })
      if (id === null) {
        const earlier = await withinDeadline(inbound.findOneBy({ dedupeKey: message.dedupeKey }), 'reading the earlier copy', left(storeDeadline))
        facts.outcome = 'duplicate'
        // WeCom retries only when our answer did not reach it: give the same passive answer again.
        if (earlier?.replyVia === 'passive' && earlier.reply !== null) respondPassive(ctx, message.from, earlier.reply)
        else {
          // Handling failed last time before any answer was stored: the person is told now.
          if (earlier?.status === 'failed' && earlier.replyVia === null) await answerFailure(earlier.id, message.from)
          ctx.body = ''
        }
        return
      }
      // Exactly one of the two wins: the answer claims the response in time, or the deadline
      // passes first and the answer goes to the outbox.
      let state: 'waiting' | 'late' | 'passive' = 'waiting'
      let timeout: NodeJS.Timeout | undefined
      const timer = new Promise<'late'>((resolve) => {
        timeout = setTimeout(() => {
          if (state !== 'waiting') return
          state = 'late'
          resolve('late')
        }, left(budget))
      })
      // Claimed again by the same work when its transaction is run again (a deadlock victim).
      const claimPassive = () => {
        if (state === 'passive') return true
        if (state !== 'waiting') return false
        state = 'passive'
        clearTimeout(timeout)
        return true
      }
      const work = process(id, message, log, claimPassive)
      let first: Awaited<typeof work> | 'late'
      try {
        first = await Promise.race([work, timer])
      } catch (error) {
        // The answer could not be stored: mark the message failed (if the database lets us) and
        // answer 503, so that WeCom's retry finds it failed and the person gets told.
        await markFailed(dataSource, id, now(), describeFailure(error)).catch(() => {})
        throw error
      }
      if (first !== 'late' && first.passive !== null) {
        respondPassive(ctx, message.from, first.passive)
        facts.outcome = `${first.outcome}/passive`
        return
      }
      ctx.body = ''
      facts.outcome = first === 'late' ? 'answering_later' : first.outcome
      // Shutdown waits for the command to finish and its answer to be stored.
      if (first === 'late') options.inFlight?.track(answerLater(id, message, log, work))
    }),
  )

  /** Rejects (503) when `work` takes longer than `ms`; `onLate` sees to the work that goes on. */
  function withinDeadline<T>(work: Promise<T>, what: string, ms: number, onLate?: () => void): Promise<T> {
    return withDeadline(work, ms, () => {
      onLate?.()
      return new StoreDeadlineError(`${what}: no answer from the database within ${Math.round(ms)} ms`)
    })
  }

  /** A command whose answer goes through the outbox after its request was answered. */
  function answerLater(id: number, message: WeComInbound, log: Logger, work: Promise<{ outcome: string }>): Promise<void> {
    return work.then(
      (result) => log.info({ outcome: result.outcome }, 'late answer queued'),
      (error: unknown) => {
        log.error({ err: error }, 'late answer failed')
        // WeCom has its answer already and does not retry this copy: tell the person here, if the database allows.
        return answerFailure(id, message.from).catch((again: unknown) => log.error({ err: again }, 'could not tell the sender either'))
      },
    )
  }

  /**
   * Runs the command and stores its answer, in one transaction with the message's outcome
   * (docs/concurrency.md): it begins by locking the message's row, so the recovery job cannot
   * give up on a message whose change is being written, and cannot apologise for one that was.
   * Resolves with the passive answer when the answer is plain text that fits a passive reply and
   * it is still in time; otherwise the answer has gone to the outbox and `passive` is null.
   */
  async function process(id: number, message: WeComInbound, log: Logger, claimPassive: () => boolean) {
    return retryOnDeadlock(() =>
      dataSource.transaction(async (manager) => {
        if ((await lockInbound(manager, id))?.status !== 'received') return { passive: null, outcome: 'given_up' }
        let result: DispatchResult
        let error: string | null = null
        try {
          result = await dispatcher.dispatch(message, log, manager)
        } catch (failure) {
          // The database chose this transaction as a deadlock victim: all of it again.
          if (isTransientDatabaseError(failure)) throw failure
          log.error({ err: failure, inboundId: id }, 'command failed')
          result = { reply: FAILURE_REPLY, status: 'failed', outcome: 'failed' }
          error = describeFailure(failure)
        }
        const { reply, attachment } = result
        // A file follows its answer through the outbox, so the answer goes that way too, first.
        if (reply && !attachment && fitsPassive(reply) && claimPassive()) {
          await finishInbound(manager, id, { status: result.status, processedAt: now(), reply: reply.text.content, replyVia: 'passive', error })
          return { passive: reply.text.content, outcome: result.outcome }
        }
        if (reply) {
          const fresh = await enqueue(manager, { dedupeKey: `reply:${id}`, to: { users: [message.from] }, message: reply, reply: true, urgent: true }, now())
          if (fresh > 0 && attachment) {
            const fileId = await storeFile(manager, attachment)
            const file = storedFile(fileId, attachment.filename)
            await enqueue(manager, { dedupeKey: `reply:${id}:file`, to: { users: [message.from] }, message: file, reply: true, urgent: true }, now())
          }
        }
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

  /** Stores the apology as the message's answer, through the outbox; once per message, and never for one that was handled. */
  async function answerFailure(id: number, from: string): Promise<void> {
    await apologizeOnce(dataSource, { id, fromUser: from, answer: true }, now())
  }

  function respondPassive(ctx: Context, toUser: string, content: string) {
    const timestamp = String(Math.floor(now().getTime() / 1000))
    const nonce = randomBytes(8).toString('hex')
    ctx.type = 'application/xml'
    ctx.body = sealReply(secrets, textReplyXml(toUser, secrets.corpId, content, Number(timestamp)), timestamp, nonce)
  }
}

/** What is kept of a failure in inbound_message.error: never the statement's values (docs/logging.md). */
function describeFailure(error: unknown): string {
  return describeError(error).slice(0, 2000)
}

/** A passive reply carries plain text only, within 2,048 bytes (docs/wecom.md, Callback messages). */
function fitsPassive(reply: AppMessage): reply is Extract<AppMessage, { msgtype: 'text' }> {
  return reply.msgtype === 'text' && utf8Length(reply.text.content) <= BYTE_LIMITS.text
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
