import type { EntityManager } from 'typeorm'
import { RefusalError, StateConflictError } from '../errors.js'
import type { Logger } from '../logger.js'
import { ITEM_QUESTION, readCardKey, type CardAction } from '../domain/cards/build-cards.js'
import { lockTappedCard, recordCardOutcome, withdrawnNote, type CardOutcome, type TappedCard } from '../domain/cards/card-record.js'
import { askQuestion } from '../domain/conversation/questions.js'
import { openEvidenceWindow } from '../domain/evidence/attach-evidence.js'
import { checkDecidable } from '../domain/ledger/extension.js'
import { checkReportable, checkReturnable } from '../domain/ledger/item-lifecycle.js'
import { checkAnswerable } from '../domain/meetings/meeting-service.js'
import { formatWhen } from '../time/calendar-date.js'
import type { WeComInbound } from '../wecom/callback/inbound-message.js'
import { text } from '../wecom/messages.js'
import { ACTIONS, QUESTIONS, outcomeLine, type ActionSpec } from './card-actions.js'
import { readerFor, senderOf, type DispatchResult, type DispatcherContext } from './dispatcher-context.js'
import type { Sender } from './load-sender.js'
import { runCommandText } from './run-command.js'
import { unregistered } from './unregistered.js'

type CardTap = Extract<WeComInbound, { kind: 'event' }>

/**
 * Refusals that mean the card's subject is settled by someone else meanwhile (closed, decided,
 * rectified and waiting, no longer waiting, cancelled, started, withdrawn): the card shows how it
 * stands. Others (the request waits for 驳回 still, one is pending already) leave the card as it is.
 */
const SETTLING = new Set(['closed', 'decided', 'rectified', 'not_rectified', 'cancelled', 'started', 'recalled'])

/** The answer to a tap on a card we do not know, not the tapper's, or with a key the card never had. */
const STALE_CARD = '这张卡片已失效。请发送「待办」查看需要您处理的事项。'

/**
 * A tap on a button card (docs/cards.md, Taps): the card is found by its task id and locked, the
 * tap checked against it (the tapper is one it went to, the button and the chosen item are the
 * card's own), then the button's command runs as if typed, with the tapper's permissions as
 * they are now. What changed is shown on the card, for everyone it went to; a button that needs
 * words asks for them; 详情 only reads.
 */
export async function handleCardTap(context: DispatcherContext, tap: CardTap, logger: Logger, outer?: EntityManager): Promise<DispatchResult> {
  if (!outer) return context.dataSource.transaction((manager) => handleCardTap(context, tap, logger, manager))
  const db = readerFor(context, outer)
  const sender = await senderOf(context, tap.from, db)
  if (!sender) return unregistered(context, db, tap.from)
  const now = context.now()
  const card = await lockTappedCard(db, tap.taskId, now)
  const key = readCardKey(tap.eventKey)
  if (!card || !key || !card.recipients.includes(sender.person.userid.toLowerCase()) || !(card.sent.button_list ?? []).some((b) => b.key === tap.eventKey)) {
    return stale('card:unknown')
  }
  const spec = ACTIONS[key.action]
  // 全文: the card's whole text, to one it went to.
  if (key.action === 'read') {
    const withdrawn = await withdrawnNote(db, card.subject)
    return { reply: withdrawn ? text(withdrawn) : card.fallback, status: 'processed', outcome: 'card:read' }
  }
  const id = key.id ?? chosenItem(card, tap)
  if (id === null) return stale('card:no_item')
  const subjectKey = subjectKeyOf(spec, id, sender)
  const decided = card.outcomes[subjectKey]
  if (decided && !spec.readOnly) {
    return { reply: text(alreadyDone(card, spec, id, decided)), status: 'processed', outcome: 'card:decided' }
  }
  // WeCom's codes are short; a longer one is not WeCom's to honour: the tap works, the card is not updated.
  const responseCode = tap.responseCode.length <= MAX_RESPONSE_CODE ? tap.responseCode : ''
  const tapped: Tapped = { context, card, sender, spec, action: key.action, id, subjectKey, responseCode, digest: key.id === null, logger, outer }
  if (spec.question) return ask(tapped)
  return run(tapped, spec.command(id))
}

interface Tapped {
  context: DispatcherContext
  card: TappedCard
  sender: Sender
  spec: ActionSpec
  action: CardAction
  id: number
  subjectKey: string
  responseCode: string
  /** A digest card (the item came from its drop-down). */
  digest: boolean
  logger: Logger
  outer: EntityManager
}

/** The longest response code kept (person_question.response_code). */
const MAX_RESPONSE_CODE = 512

const stale = (outcome: string): DispatchResult => ({ reply: text(STALE_CARD), status: 'processed', outcome })

/** "extension:3"; a personal answer's subject is the person's own ("meeting:3:person:12"). */
export const subjectKeyOf = (spec: ActionSpec, id: number, sender: Sender): string => (spec.personal ? `${spec.subject}:${id}:person:${sender.person.id}` : `${spec.subject}:${id}`)

/** "延期申请 #3：已批准（周敏 10:05），无需重复操作。": what a second tap, or a late answer, is told. */
export const alreadyDone = (card: TappedCard, spec: ActionSpec, id: number, outcome: string): string =>
  `${card.sent.main_title.title}：${spec.subject === 'item' ? `#${id} ` : ''}${outcome}，无需重复操作。`

/** The item a digest's tap is about: the drop-down's choice, which must be one the card offered. */
function chosenItem(card: TappedCard, tap: CardTap): number | null {
  const offered = card.sent.button_selection?.option_list.map((option) => option.id) ?? []
  const chosen = tap.selected.find((item) => item.questionKey === ITEM_QUESTION)?.optionIds[0] ?? card.current.button_selection?.selected_id ?? offered[0]
  return chosen !== undefined && offered.includes(chosen) && /^\d{1,9}$/.test(chosen) ? Number(chosen) : null
}

/**
 * Runs the button's command as typed. Done: the card shows it. Refused because things changed
 * (someone decided first, the item was closed): the card shows how things stand now. Refused
 * because the tapper may no longer do it: their card alone says so.
 */
async function run(tapped: Tapped, command: string): Promise<DispatchResult> {
  const { context, sender, spec, logger, outer } = tapped
  const result = await runCommandText(context, sender, command, logger, outer)
  if (spec.readOnly || result.refused === 'input') return result
  await showOutcome(tapped, result)
  return { ...result, outcome: `card:${result.outcome}` }
}

/** Shows what a tap (or its question's answer) came to on the card. */
export async function showOutcome(tapped: Pick<Tapped, 'context' | 'card' | 'sender' | 'spec' | 'id' | 'subjectKey' | 'responseCode' | 'digest' | 'outer'>, result: DispatchResult): Promise<void> {
  const { context, card, sender, spec, id, subjectKey, responseCode, digest, outer } = tapped
  // Refused for what was typed or said, the card stays as it is (nothing changed); so does one
  // whose subject it shows settled already (an answer that came after another's decision).
  if (!responseCode || result.refused === 'input' || result.refused === 'said') return
  if (result.refused === 'state' && (!SETTLING.has(result.refusalCode ?? '') || card.outcomes[subjectKey] !== undefined)) return
  const now = context.now()
  const db = readerFor(context, outer)
  const itemId = digest ? id : null
  const said = firstLine(result).replace(/[。！]$/, '')
  const outcome: CardOutcome =
    result.refused === undefined
      ? { subjectKey, itemId, word: spec.word, line: outcomeLine(spec.word, sender.person.name, formatWhen(now, now)), settled: spec.settles }
      : result.refused === 'state'
        ? { subjectKey, itemId, word: '已处理', line: said, settled: true }
        : { subjectKey, itemId, word: '无权处理', line: `您无权处理：${said}`, settled: true }
  const onlyTapper = result.refused === 'denied' || spec.personal === true
  await recordCardOutcome(db, { card, outcome, responseCode, ...(onlyTapper ? { only: [sender.person.userid] } : {}), remember: result.refused !== 'denied' }, now)
}

function firstLine(result: DispatchResult): string {
  const reply = result.reply
  const body = reply?.msgtype === 'text' ? reply.text.content : reply?.msgtype === 'markdown' ? reply.markdown.content : ''
  return (body.split('\n')[0] ?? '').replace(/\*\*/g, '')
}

/** A button that needs words: checks it could be done now, then asks (the card stays as it is). */
async function ask(tapped: Tapped): Promise<DispatchResult> {
  const { context, sender, spec, id, card, responseCode, outer } = tapped
  const db = readerFor(context, outer)
  const now = context.now()
  const kind = spec.question!
  try {
    if (kind === 'progress' || kind === 'extend') await checkReportable(db, sender, id, now, 'progress')
    else if (kind === 'done') await checkReportable(db, sender, id, now, 'done')
    else if (kind === 'send_back') await checkReturnable(db, sender, id, now)
    else if (kind === 'reject_extension') await checkDecidable(db, sender, id, now)
    else if (kind === 'meeting_leave') await checkAnswerable(db, sender.person, id, now)
  } catch (error) {
    if (!(error instanceof RefusalError)) throw error
    const refused = error.code === 'denied' ? 'denied' : error instanceof StateConflictError ? 'state' : 'said'
    const result: DispatchResult = { reply: text(error.message), status: 'processed', outcome: `card:refused:${tapped.action}`, refused, refusalCode: error.code }
    await showOutcome(tapped, result)
    return result
  }
  const prompt = QUESTIONS[kind].prompt(id)
  await askQuestion(db, sender.person.id, { kind, subjectId: id, taskId: card.taskId, responseCode: responseCode || null, prompt }, now)
  // 更新进度 and 已整改 open the item's evidence window as their commands do (docs/evidence.md, Attaching).
  if (kind === 'progress' || kind === 'done') await openEvidenceWindow(db, sender.person.id, id, now)
  return { reply: text(`${prompt}\n（10 分钟内有效；发送「取消」放弃）`), status: 'processed', outcome: `card:asked:${kind}` }
}
