import type { EntityManager } from 'typeorm'
import { receiveMedia } from '../domain/evidence/attach-evidence.js'
import type { WeComInbound } from '../wecom/callback/inbound-message.js'
import { text } from '../wecom/messages.js'
import { readerFor, senderOf, type DispatchResult, type DispatcherContext } from './dispatcher-context.js'
import { unregistered } from './unregistered.js'

/**
 * A photo, voice note, video or location (docs/evidence.md): evidence for the sender's item, in
 * the message's transaction. Its acknowledgement goes through the outbox a moment later, one for
 * a burst; only a refusal is answered at once.
 */
export async function handleMedia(context: DispatcherContext, message: Extract<WeComInbound, { kind: 'media' }>, outer?: EntityManager): Promise<DispatchResult> {
  const db = readerFor(context, outer)
  const sender = await senderOf(context, message.from, db)
  if (!sender) return unregistered(context, db, message.from)
  const run = (manager: EntityManager) => receiveMedia(manager, sender, { dedupeKey: message.dedupeKey, media: message.media }, context.now())
  // Inside the callback's transaction, a savepoint: a failure takes back the evidence, and the outcome is still recorded.
  const result = await (outer ? outer.transaction(run) : context.dataSource.transaction(run))
  context.metrics.command('佐证', result.reply === null ? 'ok' : 'denied')
  return { reply: result.reply === null ? null : text(result.reply), status: 'processed', outcome: `${result.outcome}:${message.media.type}` }
}
