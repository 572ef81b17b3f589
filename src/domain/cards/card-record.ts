import { createHash } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { CardStateSchema, CircularSchema, MeetingSchema, OutboxMessageSchema, type OutboxSubjectKind } from '../../db/entities/index.js'
import { insertIgnoringDuplicate } from '../../db/insert-ignoring-duplicate.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { enqueue } from '../../outbox/enqueue.js'
import { text, type AppMessage, type CardMessage } from '../../wecom/messages.js'
import { fitCard, fitChars, type TemplateCard } from '../../wecom/template-card.js'
import { ITEM_QUESTION } from './build-cards.js'

/**
 * A button card as a tap finds it (docs/cards.md, Taps): the outbox row that sent it (what it is
 * about, to whom it went), the card as sent, and what it shows now.
 */
export interface TappedCard {
  taskId: string
  /** The members the card went to (the row's touser): the only ones whose taps count. */
  recipients: string[]
  subject: { kind: OutboxSubjectKind; id: number | null }
  /** The card as sent: its buttons and options are the only keys a tap may carry. */
  sent: TemplateCard
  /** What the card stands for as a message (its fallback): what 全文 answers. */
  fallback: AppMessage | null
  /** The card as it is now (after earlier taps' outcomes). */
  current: TemplateCard
  /** Subject key ("item:12", "extension:3") → outcome shown, for every subject a tap settled (a second tap is told). */
  outcomes: Record<string, string>
  version: number
}

/**
 * Finds the card a tap names and locks it until the transaction ends: two taps on one card
 * (two administrators, a double tap) run one after the other, the second seeing the first's
 * outcome. null when no card of ours has this task id.
 */
export async function lockTappedCard(ds: DataSource, taskId: string, now: Date): Promise<TappedCard | null> {
  const row = await ds.getRepository(OutboxMessageSchema).findOne({ where: { taskId }, select: { id: true, recipients: true, payload: true, subjectKind: true, subjectId: true } })
  if (!row) return null
  const { template_card: sent, fallback } = JSON.parse(row.payload) as CardMessage
  await insertIgnoringDuplicate(ds.manager, CardStateSchema, { taskId, card: JSON.stringify(sent), outcomes: '{}', version: 0, updatedAt: now }, 'task_id')
  const state = await findOneForUpdate(ds.manager, CardStateSchema, { taskId })
  if (!state) return null
  const recipients = ((JSON.parse(row.recipients) as { touser?: string[] }).touser ?? []).map((u) => u.toLowerCase())
  return {
    taskId,
    recipients,
    subject: { kind: row.subjectKind, id: row.subjectId },
    sent,
    fallback: fallback ?? null,
    current: JSON.parse(state.card) as TemplateCard,
    outcomes: JSON.parse(state.outcomes) as Record<string, string>,
    version: state.version,
  }
}

/** Why a card's whole text is no longer given (全文): its circular was withdrawn, its meeting cancelled; null otherwise. */
export async function withdrawnNote(ds: DataSource, subject: TappedCard['subject']): Promise<string | null> {
  if (subject.id === null) return null
  if (subject.kind === 'circular') {
    const circular = await ds.getRepository(CircularSchema).findOneBy({ id: subject.id })
    return circular?.status === 'recalled' ? `通报 #${subject.id} 已撤回。` : null
  }
  if (subject.kind === 'meeting') {
    const meeting = await ds.getRepository(MeetingSchema).findOneBy({ id: subject.id })
    return meeting?.status === 'cancelled' ? `会议 #${subject.id} 已取消。` : null
  }
  return null
}

/** What a tap (or the answer to its question) came to, for one subject of a card. */
export interface CardOutcome {
  /** "item:12", "extension:3": the key of outcomes. */
  subjectKey: string
  /** On a digest card, the item decided; null on a card about one thing. */
  itemId: number | null
  /** Short, for greyed buttons: "已批准" (at most 10 characters). */
  word: string
  /** One line shown on the card: "已批准（李娜 12月5日 10:32）". */
  line: string
  /** The subject needs nothing more from this card (a digest's item leaves the drop-down). */
  settled: boolean
}

/**
 * The card with this outcome shown: on a card about one thing, the outcome heads the sub-title
 * and every button greys with its word; on a digest, the item's row shows the outcome, a
 * settled item leaves the drop-down, and the buttons grey only when no item is left.
 */
export function cardWithOutcome(card: TemplateCard, outcome: CardOutcome): TemplateCard {
  const head = `${outcome.line}\n`
  if (outcome.itemId === null || !card.button_selection) {
    return fitCard({ ...card, sub_title_text: `${head}${card.sub_title_text ?? ''}`, replace_text: outcome.word })
  }
  const prefix = `#${outcome.itemId} `
  const rows = (card.horizontal_content_list ?? []).map((row) => (row.value.startsWith(prefix) ? { keyname: '已处理', value: fitChars(`${prefix}${outcome.line}`, 30) } : row))
  const options = outcome.settled ? card.button_selection.option_list.filter((option) => option.id !== String(outcome.itemId)) : card.button_selection.option_list
  if (options.length === 0) {
    const { button_selection: _gone, ...rest } = card
    return fitCard({ ...rest, horizontal_content_list: rows, sub_title_text: `${head}所列事项均已处理。`, replace_text: '已处理' })
  }
  const selection = { ...card.button_selection, option_list: options, selected_id: options[0]!.id }
  return fitCard({ ...card, horizontal_content_list: rows, button_selection: selection, sub_title_text: `${head}${card.sub_title_text ?? ''}` })
}

/** The question key of a digest card's drop-down, for the tap's reading. */
export { ITEM_QUESTION }

export interface CardUpdate {
  card: TappedCard
  outcome: CardOutcome
  /** The tap's response code (or the one kept with its question). */
  responseCode: string
  /**
   * Only these recipients' cards change (a personal answer — a circular acknowledged, a meeting
   * answered — or a refusal for one person); default: everyone the card went to.
   */
  only?: string[]
  /** Keep the outcome of a settled subject, so that a second tap is told (default true; not for a refusal that may not last). */
  remember?: boolean
}

/**
 * Records the outcome on the card and queues its update, through the outbox like every send:
 * one row for everyone the card went to (the others see what was decided), keyed by card and
 * response code, so it is queued once. When the code cannot be used any more, the row sends
 * the outcome as a message (docs/cards.md, Updating a card).
 */
export async function recordCardOutcome(ds: DataSource, update: CardUpdate, now: Date): Promise<TemplateCard> {
  const { card, outcome, responseCode } = update
  const everyone = update.only === undefined
  const next = cardWithOutcome(card.current, outcome)
  const remembered = outcome.settled && update.remember !== false
  const outcomes = JSON.stringify(remembered ? { ...card.outcomes, [outcome.subjectKey]: outcome.line } : card.outcomes)
  // The card as everyone sees it changes only with an update to everyone; a personal outcome is kept all the same.
  if (everyone) await ds.getRepository(CardStateSchema).update({ taskId: card.taskId }, { card: JSON.stringify(next), outcomes, version: card.version + 1, updatedAt: now })
  else if (remembered) await ds.getRepository(CardStateSchema).update({ taskId: card.taskId }, { outcomes, updatedAt: now })
  const users = update.only ?? card.recipients
  if (users.length === 0) return next
  const code = createHash('sha256').update(responseCode).digest('hex').slice(0, 24)
  await enqueue(
    ds.manager,
    {
      dedupeKey: `card:${card.taskId}:${code}`,
      subject: { kind: card.subject.kind, id: card.subject.id, person: null },
      to: { users },
      cardUpdate: {
        msgtype: 'update_template_card',
        response_code: responseCode,
        template_card: { ...next, task_id: card.taskId },
        fallback: text(`${card.sent.main_title.title}：${outcome.itemId === null ? '' : `#${outcome.itemId} `}${outcome.line}`),
        // An older update retried after this one was sent must not turn the card back (src/delivery/wecom-transport.ts).
        version: everyone ? card.version + 1 : card.version,
      },
      urgent: true,
    },
    now,
  )
  return next
}
