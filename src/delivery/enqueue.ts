import { In, type EntityManager } from 'typeorm'
import { OutboxMessageSchema, PersonSchema, type OutboxChannel } from '../domain/entities/index.js'
import { insertIgnoringDuplicate } from '../db/insert-ignoring-duplicate.js'
import { fitToLimits, toPlainText, type AppMessage, type RobotMessage } from '../wecom/messages.js'

/** Who gets a message: members (by userid), departments, tags; an app group chat; or a named group robot. */
export type Destination =
  | { users?: readonly string[]; parties?: readonly string[]; tags?: readonly string[] }
  | { chatid: string }
  | { robot: string }

export interface OutgoingMessage {
  /** Unique per message, e.g. "overdue:12:2015-09-01:1". Enqueueing the same key again does nothing. */
  dedupeKey: string
  to: Destination
  message: AppMessage
  /** Urgent messages are not held back by quiet hours. */
  urgent?: boolean
  /** A reply to a command: WeCom's duplicate check is off, so two identical answers both arrive. */
  reply?: boolean
  /** Not before this instant (default: now). */
  notBefore?: Date
}

const MAX_KEY_LENGTH = 160

/**
 * Stores a message in the outbox inside the caller's transaction (nothing is sent that was not
 * first stored). Members who use WeCom through WeChat get the plain-text rendering, in a row of
 * their own; content over WeCom's byte limits becomes numbered parts, one row each. The first
 * row holds `dedupeKey` itself, so a repeated enqueue inserts nothing, even if the roster or the
 * content changed in between. Returns the rows inserted.
 */
export async function enqueue(manager: EntityManager, outgoing: OutgoingMessage, now: Date): Promise<number> {
  if (outgoing.dedupeKey.length > MAX_KEY_LENGTH) throw new Error(`dedupe key longer than ${MAX_KEY_LENGTH}: ${outgoing.dedupeKey}`)
  const rows = await planRows(manager, outgoing)
  const nextAttemptAt = outgoing.notBefore ?? now
  let inserted = 0
  for (const [index, row] of rows.entries()) {
    // The first row carries the caller's key exactly and reserves it: when it is there already,
    // nothing more is written, whatever the parts or the recipients' renderings are this time.
    const result = await insertIgnoringDuplicate(manager, OutboxMessageSchema, {
      dedupeKey: row.key,
      channel: row.channel,
      recipients: JSON.stringify(row.recipients),
      msgType: row.message.msgtype,
      payload: JSON.stringify(row.message),
      status: 'pending',
      urgent: outgoing.urgent ?? false,
      attempts: 0,
      nextAttemptAt,
    }, 'dedupe_key')
    if (index === 0 && result === 0) return 0
    inserted += result
  }
  return inserted
}

interface PlannedRow {
  key: string
  channel: OutboxChannel
  recipients: Record<string, unknown>
  message: AppMessage | RobotMessage
}

async function planRows(manager: EntityManager, outgoing: OutgoingMessage): Promise<PlannedRow[]> {
  const { to, message, dedupeKey } = outgoing
  if ('chatid' in to) return renumber(dedupeKey, numbered(dedupeKey, 'appchat', { chatid: to.chatid }, fitToLimits(message)))
  if ('robot' in to) {
    const robotMessage = message.msgtype === 'markdown' || message.msgtype === 'text' ? message : toPlainText(message)
    return renumber(dedupeKey, numbered(dedupeKey, 'webhook', { robot: to.robot }, fitToLimits(robotMessage, 'robot')))
  }
  const channel: OutboxChannel = outgoing.reply ? 'reply' : 'app'
  const users = [...new Set((to.users ?? []).map((u) => u.toLowerCase()))].sort()
  const plainUsers = new Set(
    users.length === 0
      ? []
      : (await manager.find(PersonSchema, { select: { userid: true }, where: { userid: In(users), viaWechat: true } })).map((p) => p.userid),
  )
  const rich = users.filter((u) => !plainUsers.has(u))
  const rows: PlannedRow[] = []
  if (rich.length > 0 || (to.parties?.length ?? 0) > 0 || (to.tags?.length ?? 0) > 0) {
    const recipients = { touser: rich, toparty: [...(to.parties ?? [])], totag: [...(to.tags ?? [])] }
    rows.push(...numbered(dedupeKey, channel, recipients, fitToLimits(message)))
  }
  if (plainUsers.size > 0) {
    const plain = toPlainText(message)
    rows.push(...numbered(dedupeKey, channel, { touser: [...plainUsers].sort(), toparty: [], totag: [] }, fitToLimits(plain)))
  }
  return renumber(dedupeKey, rows)
}

function numbered(key: string, channel: OutboxChannel, recipients: Record<string, unknown>, parts: (AppMessage | RobotMessage)[]): PlannedRow[] {
  return parts.map((message) => ({ key, channel, recipients, message }))
}

/** The first row keeps the caller's key; the others (parts, plain-text copies) get "#2", "#3"… */
function renumber(key: string, rows: PlannedRow[]): PlannedRow[] {
  return rows.map((row, index) => ({ ...row, key: index === 0 ? key : `${key}#${index + 1}` }))
}
