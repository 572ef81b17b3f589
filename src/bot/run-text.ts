import type { EntityManager } from 'typeorm'
import type { Logger } from '../logger.js'
import { answerQuestion } from './answer-question.js'
import { readerFor, senderOf, type DispatchResult, type DispatcherContext } from './dispatcher-context.js'
import { runCommandText } from './run-command.js'
import { unregistered } from './unregistered.js'

/** A text message: the sender looked up, the command found and allowed, then run. */
export async function runText(context: DispatcherContext, content: string, from: string, logger: Logger, outer?: EntityManager): Promise<DispatchResult> {
  const db = readerFor(context, outer)
  const sender = await senderOf(context, from, db)
  if (!sender) return unregistered(context, db, from)
  // An open question takes the reply first (docs/cards.md, Short conversations).
  const answered = await answerQuestion(context, sender, content, logger, outer)
  return answered ?? runCommandText(context, sender, content, logger, outer)
}
