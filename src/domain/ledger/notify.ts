import { In, type EntityManager } from 'typeorm'
import { enqueue, type OutboxSubject } from '../../outbox/enqueue.js'
import { markdown, type CardMessage } from '../../wecom/messages.js'
import { PersonSchema } from '../../db/entities/index.js'
import { orgAdmins } from '../roster/org-admins.js'

/** Markdown text, or a card (docs/cards.md) whose fallback is that text. */
const asMessage = (content: string | CardMessage) => (typeof content === 'string' ? markdown(content) : content)

/**
 * Tells people about a change (text, or a card), inside the change's transaction (nothing sent that was not
 * stored with it). `key` identifies the event, e.g. "rectified:12:3", and `subject` what it is
 * about (docs/delivery.md, Subjects); the people who caused it are left out, since they read the reply.
 */
export async function notifyPeople(
  manager: EntityManager,
  personIds: readonly (number | null)[],
  key: string,
  subject: OutboxSubject,
  content: string | CardMessage,
  now: Date,
  except?: number,
): Promise<string[]> {
  const ids = [...new Set(personIds.filter((id): id is number => id !== null && id !== except))]
  if (ids.length === 0) return []
  const people = await manager.find(PersonSchema, { where: { id: In(ids), active: true }, select: { userid: true } })
  const users = people.map((p) => p.userid)
  if (users.length > 0) await enqueue(manager, { dedupeKey: key, subject, to: { users }, message: asMessage(content) }, now)
  return users
}

/**
 * Tells the organization department's administrators: `content`, or the card whose fallback it
 * is (one send with one task id to all of them, docs/cards.md).
 */
export async function notifyAdmins(manager: EntityManager, key: string, subject: OutboxSubject, content: string | CardMessage, now: Date, except?: string): Promise<string[]> {
  const users = (await orgAdmins(manager)).map((a) => a.userid).filter((u) => u !== except)
  if (users.length > 0) await enqueue(manager, { dedupeKey: key, subject, to: { users }, message: asMessage(content) }, now)
  return users
}
