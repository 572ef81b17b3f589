import type { EntityManager } from 'typeorm'
import type { Logger } from '../logger.js'
import type { PersonQuestion } from '../db/entities/index.js'
import { lockTappedCard, type TappedCard } from '../domain/cards/card-record.js'
import { closeQuestion, takeQuestion } from '../domain/conversation/questions.js'
import { discardWaiting } from '../domain/evidence/attach-evidence.js'
import { text, type AppMessage } from '../wecom/messages.js'
import { ACTIONS, QUESTIONS } from './card-actions.js'
import { alreadyDone, showOutcome, subjectKeyOf } from './card-tap.js'
import { readerFor, type DispatchResult, type DispatcherContext } from './dispatcher-context.js'
import type { Sender } from './load-sender.js'
import { readCommand, runCommandText } from './run-command.js'

/** Words that cancel an open question. */
const CANCEL = new Set(['取消', '算了', '不用了'])

/**
 * A text message while the sender has a question open (docs/cards.md, Short conversations): the
 * question takes it first. 取消 cancels; a message that begins with a command word runs as that
 * command and drops the question (the reply says so), except 更多 and a bare number, which answer
 * it; anything else is the answer, run as the command the button stands for. An answer that
 * cannot be read keeps the question open and says what was wrong. null: no question is open.
 */
export async function answerQuestion(context: DispatcherContext, sender: Sender, content: string, logger: Logger, outer?: EntityManager): Promise<DispatchResult | null> {
  const db = readerFor(context, outer)
  const now = context.now()
  const open = await takeQuestion(db, sender.person.id, now)
  if (open.kind === 'none') return null
  const question = open.question
  const spec = QUESTIONS[question.kind]
  const reply = content.trim()
  if (open.kind === 'expired') {
    if (isCommand(context, reply) || readCommand(context.registry, reply).command?.name === '更多') return null
    const asked = spec.prompt(question.subjectId).split('，')[0]
    // A question the bot asked by itself (which item media are for) has no card to tap again.
    if (spec.action === null) return answer(`刚才的提问（${asked}）已超过 10 分钟失效。刚发送的照片等仍在等待，请发送「${spec.typed(question.subjectId)}」附到事项上。`, 'question:expired')
    return answer(`刚才的提问（${asked}）已超过 10 分钟失效，未做任何更改。请在卡片上重新点按，或直接发送「${spec.typed(question.subjectId)}」。`, 'question:expired')
  }
  if (isCancel(reply)) {
    await closeQuestion(db, question)
    // The media that waited for the answer are not kept (docs/evidence.md, Attaching).
    if (question.kind === 'evidence_item' && (await discardWaiting(db, sender.person.id)) > 0) return answer('已取消，刚发送的照片等未保存。', 'question:cancelled')
    return answer('已取消，未做任何更改。', 'question:cancelled')
  }
  if (isCommand(context, reply)) {
    await closeQuestion(db, question)
    const result = await runCommandText(context, sender, reply, logger, outer)
    return { ...result, reply: prefixed(`（已放弃刚才的提问：${spec.prompt(question.subjectId).split('，')[0]}）`, result.reply) }
  }
  if (reply === '') return answer(`${question.prompt}\n（发送「取消」放弃）`, 'question:empty')
  const command = spec.answer ?? ACTIONS[spec.action!].command
  // The card whose button asked, locked once for the answer: settled meanwhile (another
  // administrator's tap), the answer is told so and nothing runs; otherwise it shows the outcome.
  const card = question.taskId && outer ? await lockTappedCard(db, question.taskId, now) : null
  const decided = card ? decidedOnCard(card, sender, question) : null
  if (decided) {
    await closeQuestion(db, question)
    return answer(decided, 'question:decided')
  }
  const result = await runCommandText(context, sender, command(question.subjectId, reply), logger, outer)
  if (result.refused === 'input' || result.refused === 'said') {
    // Not readable: the question stays open for a corrected answer.
    return { ...result, reply: prefixed(null, result.reply, '请重新回复，或发送「取消」放弃。'), outcome: `question:unreadable:${question.kind}` }
  }
  await closeQuestion(db, question)
  if (card && outer) await updateCard(context, card, sender, question, result, outer)
  return { ...result, outcome: `question:${result.outcome}` }
}

const answer = (content: string, outcome: string): DispatchResult => ({ reply: text(content), status: 'processed', outcome })

/**
 * A message that is a command, read as any message is (glued to its number, after "/", before
 * punctuation: docs/chat-input.md); not 更多, which a question takes as its answer.
 */
function isCommand(context: DispatcherContext, reply: string): boolean {
  const { command } = readCommand(context.registry, reply)
  return command !== undefined && command.name !== '更多'
}

/** 取消 (also 算了, 不用了) as the message's first phrase, whatever punctuation or words follow: 「不用了，谢谢」「取消？」. */
function isCancel(reply: string): boolean {
  const first = reply.split(/[\s。！!？?，,、~～…．.]/)[0] ?? ''
  return CANCEL.has(first)
}

/** The answer's subject as the card shows it settled by someone else meanwhile, or null. */
function decidedOnCard(card: TappedCard, sender: Sender, question: PersonQuestion): string | null {
  const action = QUESTIONS[question.kind].action
  if (!action) return null
  const spec = ACTIONS[action]
  const decided = card.outcomes[subjectKeyOf(spec, question.subjectId, sender)]
  return decided ? alreadyDone(card, spec, question.subjectId, decided) : null
}

/** The answer's change shown on the card whose button asked, with the code that tap left unused. */
async function updateCard(context: DispatcherContext, card: TappedCard, sender: Sender, question: PersonQuestion, result: DispatchResult, outer: EntityManager): Promise<void> {
  const action = QUESTIONS[question.kind].action
  if (!question.responseCode || !action) return
  const spec = ACTIONS[action]
  const digest = card.sent.button_selection !== undefined
  await showOutcome({ context, card, sender, spec, id: question.subjectId, subjectKey: subjectKeyOf(spec, question.subjectId, sender), responseCode: question.responseCode, digest, outer }, result)
}

/** The reply with a line before (and after) it; text and markdown only. */
function prefixed(before: string | null, reply: AppMessage | null, after?: string): AppMessage | null {
  const wrap = (body: string) => [before, body, after].filter((part): part is string => Boolean(part)).join('\n')
  if (!reply) return before ? text(before) : null
  if (reply.msgtype === 'text') return text(wrap(reply.text.content))
  if (reply.msgtype === 'markdown') return { msgtype: 'markdown', markdown: { content: wrap(reply.markdown.content) } }
  return reply
}
