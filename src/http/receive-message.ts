import type { Context } from 'koa'
import { apologizeOnce } from '../bot/recover-inbound.js'
import type { Logger } from '../logger.js'
import type { WeComInbound } from '../wecom/callback/inbound-message.js'
import { openCallback } from '../wecom/callback/open-callback.js'
import { withinDeadline, type TimeLeft } from './callback-deadline.js'
import type { CallbackRoute } from './callback-route-context.js'
import { respondPassive } from './passive-reply.js'
import { readRawBody } from './read-raw-body.js'

/** Reads the body within its limit, verifies and decrypts it (docs/architecture.md, How the code is built). */
export async function openMessage(route: CallbackRoute, ctx: Context, facts: Record<string, unknown>): Promise<WeComInbound> {
  const body = (await readRawBody(ctx.req, route.bodyLimit)).toString('utf8')
  const message = openCallback(ctx.query, body, route.secrets, route.now(), route.timestampWindowSeconds)
  Object.assign(facts, { msgId: 'msgId' in message ? message.msgId : null, from: message.from, kind: message.kind })
  return message
}

/**
 * Stores the message under its unique key: its id, or null when it was there already. Past the
 * deadline this rejects (503); if the message is stored after all, `handleLate` handles it then.
 */
export function storeInbound(route: CallbackRoute, message: WeComInbound, log: Logger, left: TimeLeft, handleLate: (id: number) => Promise<void>): Promise<number | null> {
  const pending = route.inboundWriter.insert({
    dedupeKey: message.dedupeKey,
    msgId: 'msgId' in message ? message.msgId : null,
    fromUser: message.from,
    msgType: message.kind === 'other' ? message.msgType : message.kind === 'media' ? message.media.type : message.kind,
    event: message.kind === 'event' ? message.event : null,
    content: message.kind === 'text' ? message.content : null,
    receivedAt: route.now(),
  })
  return withinDeadline(pending.stored, 'storing the message', left(route.storeDeadlineMs), () => {
    // Still waiting for its batch: never written; WeCom's retry brings it again.
    if (pending.withdraw()) return
    // Stored after all: handled now, answered through the outbox (WeCom's retry is a duplicate).
    const late = pending.stored.then(
      (stored) => (stored === null ? undefined : handleLate(stored)),
      (error: unknown) => log.error({ err: error }, 'message not stored; WeCom retries it'),
    )
    route.inFlight?.track(late)
  })
}

/** A copy of a message stored before (WeCom's retry, or another replica's copy): not handled again. */
export async function answerDuplicate(route: CallbackRoute, ctx: Context, message: WeComInbound, facts: Record<string, unknown>, left: TimeLeft): Promise<void> {
  const earlier = await withinDeadline(route.inbound.findOneBy({ dedupeKey: message.dedupeKey }), 'reading the earlier copy', left(route.storeDeadlineMs))
  facts.outcome = 'duplicate'
  // WeCom retries only when our answer did not reach it: give the same passive answer again.
  if (earlier?.replyVia === 'passive' && earlier.reply !== null) respondPassive(route, ctx, message.from, earlier.reply)
  else {
    // Handling failed last time before any answer was stored: the person is told now.
    if (earlier?.status === 'failed' && earlier.replyVia === null) await answerFailure(route, earlier.id, message.from)
    ctx.body = ''
  }
}

/** A command whose answer goes through the outbox after its request was answered. */
export function answerLater(route: CallbackRoute, id: number, message: WeComInbound, log: Logger, work: Promise<{ outcome: string }>): Promise<void> {
  return work.then(
    (result) => log.info({ outcome: result.outcome }, 'late answer queued'),
    (error: unknown) => {
      log.error({ err: error }, 'late answer failed')
      // WeCom has its answer already and does not retry this copy: tell the person here, if the database allows.
      return answerFailure(route, id, message.from).catch((again: unknown) => log.error({ err: again }, 'could not tell the sender either'))
    },
  )
}

/** Stores the apology as the message's answer, through the outbox; once per message, and never for one that was handled. */
async function answerFailure(route: CallbackRoute, id: number, from: string): Promise<void> {
  await apologizeOnce(route.dataSource, { id, fromUser: from, answer: true }, route.now())
}
