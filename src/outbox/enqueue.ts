import type { EntityManager } from 'typeorm'
import { OutboxMessageSchema, type OutboxChannel, type OutboxMessage, type OutboxSubjectKind } from '../db/entities/index.js'
import { insertIgnoringDuplicate, insertManyIgnoringDuplicates } from '../db/insert-ignoring-duplicate.js'
import { fitToLimits, toPlainText, type AppMessage, type CardMessage, type RobotMessage } from '../wecom/messages.js'
import { fitCard, isInteractive, newTaskId } from '../wecom/template-card.js'
import type { CardUpdatePayload } from './card-update.js'
import { SEND_NOTE_BYTES } from './send-time-note.js'

/** Who gets a message: members (by userid), departments, tags; an app group chat; or a named group robot. */
export type Destination =
  | { users?: readonly string[]; parties?: readonly string[]; tags?: readonly string[] }
  | { chatid: string }
  | { robot: string }

/**
 * What a message is about (docs/delivery.md, Subjects), stored on each of its rows: code that must
 * find a circular's or a meeting's rows asks by these, never by the dedupe key's shape.
 */
export interface OutboxSubject {
  kind: OutboxSubjectKind
  /** The id of what it is about (see OutboxSubjectKind), or null. */
  id: number | null
  /**
   * The person the message goes to, when it goes to one person (null: not one person). Left out,
   * it is looked up when the message goes to exactly one member and to nothing else.
   */
  person?: number | null
}

interface Enqueued {
  /** Unique per message, e.g. "overdue:12:2015-09-01:1". Enqueueing the same key again does nothing. */
  dedupeKey: string
  subject: OutboxSubject
  /** Urgent messages are not held back by quiet hours. */
  urgent?: boolean
  /** Not before this instant (default: now). */
  notBefore?: Date
}

export interface OutgoingMessage extends Enqueued {
  to: Destination
  message: AppMessage
  /**
   * A reply to a command (channel 'reply'). Like every app message it goes with WeCom's duplicate
   * check; an answer identical to one sent shortly before gets a send-time note (docs/delivery.md).
   */
  reply?: boolean
}

/** Not a message: WeCom's message/recall of one sent earlier (channel 'recall', payload {"msgid"}). */
export interface OutgoingRecall extends Enqueued {
  /** The msgid WeCom gave the message when it was sent. */
  recall: string
}

/** Not a message: message/update_template_card of a card after a tap (channel 'card_update', docs/cards.md). */
export interface OutgoingCardUpdate extends Enqueued {
  /** The members whose card changes: those it went to. */
  to: { users: readonly string[] }
  cardUpdate: CardUpdatePayload
}

type Outgoing = OutgoingMessage | OutgoingRecall | OutgoingCardUpdate

const MAX_KEY_LENGTH = 160

/**
 * Stores a message in the outbox inside the caller's transaction (nothing is sent that was not
 * first stored). Members who use WeCom through WeChat get the plain-text rendering, in a row of
 * their own; content over WeCom's byte limits becomes numbered parts, one row each. The first
 * row holds `dedupeKey` itself, so a repeated enqueue inserts nothing, even if the roster or the
 * content changed in between. Returns the rows inserted.
 */
export async function enqueue(manager: EntityManager, outgoing: Outgoing, now: Date): Promise<number> {
  checkKey(outgoing.dedupeKey)
  const person = await personOf(manager, outgoing)
  const rows = await planRows(manager, outgoing, now)
  let inserted = 0
  for (const [index, row] of rows.entries()) {
    // The first row carries the caller's key exactly and reserves it: when it is there already,
    // nothing more is written, whatever the parts or the recipients' renderings are this time.
    const result = await insertIgnoringDuplicate(manager, OutboxMessageSchema, rowValues(row, outgoing, person, now), 'dedupe_key')
    if (index === 0 && result === 0) return 0
    inserted += result
  }
  return inserted
}

interface PlannedRow {
  key: string
  channel: OutboxChannel
  recipients: Record<string, unknown>
  message: AppMessage | RobotMessage | { msgtype: 'recall'; msgid: string } | CardUpdatePayload
}

/** The one member a message goes to, or null when it goes to several, to departments or tags, or to a chat or robot. */
function soleUser(outgoing: Outgoing): string | null {
  if ('recall' in outgoing || 'cardUpdate' in outgoing || 'chatid' in outgoing.to || 'robot' in outgoing.to) return null
  const { users = [], parties = [], tags = [] } = outgoing.to
  const distinct = new Set(users.map((u) => u.toLowerCase()))
  return distinct.size === 1 && parties.length === 0 && tags.length === 0 ? [...distinct][0]! : null
}

/** The subject's person: as given (checked to fit the destination), or looked up for a message to exactly one member. */
async function personOf(manager: EntityManager, outgoing: Outgoing): Promise<number | null> {
  const { person } = outgoing.subject
  const sole = soleUser(outgoing)
  if (person !== undefined) {
    // A recall names the person of the copy it recalls.
    if (person !== null && sole === null && !('recall' in outgoing)) throw new Error(`subject person ${person} given for a message not to one member: ${outgoing.dedupeKey}`)
    return person
  }
  return sole === null ? null : ((await personIds(manager, [sole])).get(sole) ?? null)
}

/** userid (lower case) → person id, for these members. */
async function personIds(manager: EntityManager, users: readonly string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>()
  for (let i = 0; i < users.length; i += 1000) {
    const chunk = users.slice(i, i + 1000)
    const rows = (await manager.query(`SELECT id, userid FROM person WHERE userid IN (${chunk.map(() => '?').join(', ')})`, chunk)) as { id: number; userid: string }[]
    for (const row of rows) ids.set(row.userid.toLowerCase(), Number(row.id))
  }
  return ids
}

async function planRows(manager: EntityManager, outgoing: Outgoing, now: Date, knownPlain?: ReadonlySet<string>): Promise<PlannedRow[]> {
  if ('cardUpdate' in outgoing) {
    const touser = [...new Set(outgoing.to.users.map((u) => u.toLowerCase()))].sort()
    return [{ key: outgoing.dedupeKey, channel: 'card_update', recipients: { touser, toparty: [], totag: [] }, message: outgoing.cardUpdate }]
  }
  if ('recall' in outgoing) {
    const msgid = outgoing.recall
    // The worker reads the msgid from the payload; recipients say the same for the outbox listings.
    return [{ key: outgoing.dedupeKey, channel: 'recall', recipients: { msgid }, message: { msgtype: 'recall', msgid } }]
  }
  const { to, message, dedupeKey } = outgoing
  if ('chatid' in to) return renumber(dedupeKey, numbered(dedupeKey, 'appchat', { chatid: to.chatid }, fitToLimits(message)))
  if ('robot' in to) {
    const robotMessage = message.msgtype === 'markdown' || message.msgtype === 'text' ? message : toPlainText(message)
    return renumber(dedupeKey, numbered(dedupeKey, 'webhook', { robot: to.robot }, fitToLimits(robotMessage, 'robot')))
  }
  const channel: OutboxChannel = outgoing.reply ? 'reply' : 'app'
  const users = [...new Set((to.users ?? []).map((u) => u.toLowerCase()))].sort()
  const plainUsers = knownPlain
    ? new Set(users.filter((u) => knownPlain.has(u)))
    : await wechatPluginUsers(manager, users)
  const rich = users.filter((u) => !plainUsers.has(u))
  const rows: PlannedRow[] = []
  // Room is kept in each part for the send-time note the worker adds to a message WeCom's duplicate check would drop.
  if (rich.length > 0 || (to.parties?.length ?? 0) > 0 || (to.tags?.length ?? 0) > 0) {
    const recipients = { touser: rich, toparty: [...(to.parties ?? [])], totag: [...(to.tags ?? [])] }
    const card = message.msgtype === 'template_card' ? withTaskId(message, now) : null
    rows.push(...(card ? numbered(dedupeKey, channel, recipients, [card]) : numbered(dedupeKey, channel, recipients, fitToLimits(message, 'app', SEND_NOTE_BYTES))))
  }
  if (plainUsers.size > 0) {
    const plain = toPlainText(message)
    rows.push(...numbered(dedupeKey, channel, { touser: [...plainUsers].sort(), toparty: [], totag: [] }, fitToLimits(plain, 'app', SEND_NOTE_BYTES)))
  }
  return renumber(dedupeKey, rows)
}

/**
 * A card as its row stores it: fitted to WeCom's limits and, for a button card, with a task id
 * made now, for this row alone (docs/cards.md, Task ids). The fallback rides along for the
 * delivery worker (cards turned off) and is never sent with the card.
 */
function withTaskId(message: CardMessage, now: Date): CardMessage {
  const card = message.template_card
  return { ...message, template_card: fitCard(isInteractive(card) ? { ...card, task_id: newTaskId(now) } : card) }
}

/**
 * Which of these members use WeCom through WeChat (they get plain text). A few recipients are
 * looked up by userid; many (a sweep's digests) by reading the plugin users, who are few.
 */
async function wechatPluginUsers(manager: EntityManager, users: readonly string[]): Promise<Set<string>> {
  if (users.length === 0) return new Set()
  const plugin =
    users.length <= 100
      ? ((await manager.query(`SELECT userid FROM person WHERE via_wechat = ? AND userid IN (${users.map(() => '?').join(', ')})`, [true, ...users])) as { userid: string }[])
      : ((await manager.query('SELECT userid FROM person WHERE via_wechat = ?', [true])) as { userid: string }[])
  const wanted = new Set(users)
  return new Set(plugin.map((p) => p.userid.toLowerCase()).filter((u) => wanted.has(u)))
}

/**
 * Many messages at once (a sweep's digests), with the same guarantees as enqueue(): keys already
 * there are skipped whole, the rest inserted in multi-row statements that still ignore a key a
 * concurrent writer inserted meanwhile. A thousand messages at a time, so their stored rows
 * (JSON payloads of one to three kilobytes) are never all in memory at once. Returns the rows
 * inserted and the keys of the messages written (as far as this writer knows: a concurrent
 * writer may have written the same).
 */
export async function enqueueMany(manager: EntityManager, outgoing: readonly OutgoingMessage[], now: Date): Promise<{ rows: number; keys: Set<string> }> {
  const users = [...new Set(outgoing.flatMap((o) => ('users' in o.to ? (o.to.users ?? []).map((u) => u.toLowerCase()) : [])))]
  const plain = await wechatPluginUsers(manager, users)
  let rows = 0
  const written = new Set<string>()
  for (let i = 0; i < outgoing.length; i += 1000) {
    const chunk = outgoing.slice(i, i + 1000)
    for (const message of chunk) checkKey(message.dedupeKey)
    const keys = chunk.map((o) => o.dedupeKey)
    const existing = new Set(
      ((await manager.query(`SELECT dedupe_key FROM outbox_message WHERE dedupe_key IN (${keys.map(() => '?').join(', ')})`, keys)) as { dedupe_key: string }[]).map((r) => r.dedupe_key),
    )
    const fresh = chunk.filter((message) => !existing.has(message.dedupeKey))
    // The people of messages to one member whose caller did not name them: one look-up for the chunk.
    const unnamed = [...new Set(fresh.filter((m) => m.subject.person === undefined).map(soleUser).filter((u): u is string => u !== null))]
    const ids = unnamed.length > 0 ? await personIds(manager, unnamed) : new Map<string, number>()
    const values: unknown[][] = []
    for (const message of fresh) {
      written.add(message.dedupeKey)
      const sole = soleUser(message)
      const person = message.subject.person !== undefined ? await personOf(manager, message) : sole === null ? null : (ids.get(sole) ?? null)
      for (const row of await planRows(manager, message, now, plain)) {
        const v = rowValues(row, message, person, now)
        values.push([v.dedupeKey, v.channel, v.recipients, v.msgType, v.payload, v.status, v.urgent, v.attempts, v.nextAttemptAt, now, v.subjectKind, v.subjectId, v.personId, v.taskId])
      }
    }
    await insertManyIgnoringDuplicates(manager, 'outbox_message', OUTBOX_COLUMNS, values, 'dedupe_key')
    rows += values.length
  }
  return { rows, keys: written }
}

/** The columns of rowValues(), in order, and created_at. */
const OUTBOX_COLUMNS = ['dedupe_key', 'channel', 'recipients', 'msg_type', 'payload', 'status', 'urgent', 'attempts', 'next_attempt_at', 'created_at', 'subject_kind', 'subject_id', 'person_id', 'task_id'] as const

function checkKey(key: string): void {
  if (key.length > MAX_KEY_LENGTH) throw new Error(`dedupe key longer than ${MAX_KEY_LENGTH}: ${key}`)
}

/** The stored form of one planned row: pending, due at `notBefore` (default now), with the message's subject. */
function rowValues(row: PlannedRow, message: Outgoing, person: number | null, now: Date): Partial<OutboxMessage> {
  return {
    dedupeKey: row.key,
    channel: row.channel,
    recipients: JSON.stringify(row.recipients),
    msgType: row.message.msgtype,
    // A recall's payload is {"msgid"} alone (what the worker sends to message/recall).
    payload: JSON.stringify(row.message.msgtype === 'recall' ? { msgid: row.message.msgid } : row.message),
    status: 'pending',
    urgent: message.urgent ?? false,
    attempts: 0,
    nextAttemptAt: message.notBefore ?? now,
    // The service's clock, as enqueueMany writes it: a card update's age is counted from it (docs/cards.md).
    createdAt: now,
    subjectKind: message.subject.kind,
    subjectId: message.subject.id,
    personId: person,
    taskId: row.message.msgtype === 'template_card' ? (row.message.template_card.task_id ?? null) : null,
  }
}

function numbered(key: string, channel: OutboxChannel, recipients: Record<string, unknown>, parts: (AppMessage | RobotMessage)[]): PlannedRow[] {
  return parts.map((message) => ({ key, channel, recipients, message }))
}

/** The first row keeps the caller's key; the others (parts, plain-text copies) get "#2", "#3"… */
function renumber(key: string, rows: PlannedRow[]): PlannedRow[] {
  return rows.map((row, index) => ({ ...row, key: index === 0 ? key : `${key}#${index + 1}` }))
}
