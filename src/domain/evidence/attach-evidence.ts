import { createHash } from 'node:crypto'
import { IsNull, Not, type DataSource, type EntityManager } from 'typeorm'
import { EvidenceSchema, EvidenceWindowSchema, LedgerItemSchema, OutboxMessageSchema, PersonQuestionSchema, PersonSchema, type Evidence, type LedgerItem, type Person } from '../../db/entities/index.js'
import { insertIgnoringDuplicate } from '../../db/insert-ignoring-duplicate.js'
import { findOneForShare, findOneForUpdate } from '../../db/row-lock.js'
import { enqueue } from '../../outbox/enqueue.js'
import { personOpenItems } from '../../read-model/ledger-lists.js'
import { countOf, evidenceTotal, mediaPhrase, noEvidence, type EvidenceCount } from '../../read-model/evidence.js'
import { beijingDate } from '../../time/calendar-date.js'
import type { WeComMedia } from '../../wecom/callback/inbound-message.js'
import { text } from '../../wecom/messages.js'
import { currentCampaign } from '../campaign/current-campaign.js'
import { QUESTION_MINUTES } from '../conversation/questions.js'
import { deleteEvidenceRows } from './evidence-retention.js'
import { shorten } from '../ledger/format-item.js'
import { canUpdateItem, unitsActedFor, type Actor } from '../ledger/ledger-access.js'

type Db = DataSource | EntityManager

/** How long after 进度, 完成, their buttons or 佐证 N a person's media go to that item (docs/evidence.md, Attaching). */
export const WINDOW_MINUTES = 30

/** An acknowledgement waits this long for more media of the same burst (docs/evidence.md, One answer per burst). */
export const ACK_DELAY_MS = 3000

/** The most items a question lists; the rest are counted. */
const LISTED_ITEMS = 10

/** What a media message came to: a text to answer at once (a refusal), or null when the answer goes through the burst's outbox row. */
export interface MediaOutcome {
  outcome: string
  reply: string | null
}

/**
 * A photo, voice note, video or location someone sent (docs/evidence.md, Attaching): attached to
 * the item of their open window, or kept waiting with one question listing their open items;
 * refused, nothing stored, when they answer for no open item. The person's row is locked first, so
 * a burst of photos arriving at once is counted in one acknowledgement.
 */
export async function receiveMedia(manager: EntityManager, actor: Actor, received: { dedupeKey: string; media: WeComMedia }, now: Date): Promise<MediaOutcome> {
  const person = actor.person
  await findOneForUpdate(manager, PersonSchema, { id: person.id })
  const window = await manager.findOneBy(EvidenceWindowSchema, { personId: person.id })
  if (window && window.until.getTime() > now.getTime()) {
    // Shared: a 销号 or 退回 waits for this to finish, and this sees the item as they leave it.
    const item = await findOneForShare(manager, LedgerItemSchema, { id: window.ledgerItemId })
    if (item && item.status !== 'closed' && canUpdateItem(actor, item)) {
      const evidence = await insertEvidence(manager, person.id, item.id, received, now)
      const until = new Date(Math.max(window.until.getTime(), now.getTime() + WINDOW_MINUTES * 60_000))
      await manager.update(EvidenceWindowSchema, { id: window.id }, { until })
      await acknowledge(manager, person, evidence, now, (count) => `已收到${mediaPhrase(count)}，附在 #${item.id}（${shorten(item.problem, 16)}）作为整改佐证。`)
      return { outcome: `evidence:attached`, reply: null }
    }
  }
  const today = beijingDate(now)
  const campaign = await currentCampaign(manager, today)
  const items = campaign ? await personOpenItems(manager, campaign.id, person.id, unitsActedFor(actor), today) : []
  if (items.length === 0) {
    return {
      outcome: 'evidence:no_item',
      reply: '照片、语音、视频和位置用作整改佐证，只能附在您负责、尚未销号的事项上。您目前没有这样的事项，所以没有保存。发送「帮助」查看可用命令。',
    }
  }
  const evidence = await insertEvidence(manager, person.id, null, received, now)
  await askWhichItem(manager, person, items, evidence, now)
  return { outcome: 'evidence:waiting', reply: null }
}

/**
 * Opens (or moves) the person's window onto an item for the next 30 minutes and attaches what
 * they sent while no item was named (docs/evidence.md, Attaching). The caller has checked that
 * they may report on the item. Returns what was attached.
 */
export async function openEvidenceWindow(db: Db, personId: number, itemId: number, now: Date): Promise<EvidenceCount> {
  const until = new Date(now.getTime() + WINDOW_MINUTES * 60_000)
  const manager = managerOf(db)
  const moved = await manager.update(EvidenceWindowSchema, { personId }, { ledgerItemId: itemId, until })
  if (!moved.affected) {
    // A window opened meanwhile by another instance: it is moved instead.
    const inserted = await insertIgnoringDuplicate(manager, EvidenceWindowSchema, { personId, ledgerItemId: itemId, until }, 'person_id')
    if (inserted === 0) await manager.update(EvidenceWindowSchema, { personId }, { ledgerItemId: itemId, until })
  }
  return attachWaiting(manager, personId, itemId, now)
}

/** "已将照片 2 张附为佐证。" after a command's answer, when waiting media were attached; '' when none. */
export function attachedNote(attached: EvidenceCount): string {
  return evidenceTotal(attached) > 0 ? `已将刚才发送的${mediaPhrase(attached)}附为整改佐证。` : ''
}

/** Attaches the person's waiting media to an item; what was attached. */
export async function attachWaiting(db: Db, personId: number, itemId: number, now: Date): Promise<EvidenceCount> {
  const manager = managerOf(db)
  const waiting = await manager.find(EvidenceSchema, { where: { personId, ledgerItemId: IsNull() } })
  const kept = waiting.filter((e) => e.status === 'pending' || e.status === 'stored')
  if (kept.length > 0) await manager.update(EvidenceSchema, kept.map((e) => e.id), { ledgerItemId: itemId, attachedAt: now })
  await withdrawQuestion(manager, waiting)
  return countOf(kept)
}

/** The person said 取消 to the question: what they sent while no item was named is dropped. */
export async function discardWaiting(db: Db, personId: number): Promise<number> {
  const manager = managerOf(db)
  const waiting = await manager.find(EvidenceSchema, { where: { personId, ledgerItemId: IsNull() }, select: { id: true, storedFileId: true, ackKey: true } })
  await withdrawQuestion(manager, waiting)
  // A photo downloaded meanwhile goes with its stored file, unless another row uses it.
  await deleteEvidenceRows(manager, waiting.map((e) => ({ id: e.id, stored_file_id: e.storedFileId })))
  return waiting.length
}

/**
 * The question about waiting media, not yet taken for sending, is withdrawn once they are
 * attached or dropped: it would ask about nothing (the answer that attached them says so).
 */
async function withdrawQuestion(manager: EntityManager, waiting: readonly Pick<Evidence, 'ackKey'>[]): Promise<void> {
  const keys = [...new Set(waiting.map((e) => e.ackKey).filter((key): key is string => key !== null))]
  if (keys.length === 0) return
  await manager.createQueryBuilder().update(OutboxMessageSchema).set({ status: 'cancelled', lastError: '照片等已附上或已取消，提问不再发送' }).where('dedupe_key IN (:...keys) AND status = :pending', { keys, pending: 'pending' }).execute()
}

function managerOf(db: Db): EntityManager {
  return 'manager' in db ? db.manager : db
}

async function insertEvidence(manager: EntityManager, personId: number, itemId: number | null, received: { dedupeKey: string; media: WeComMedia }, now: Date): Promise<Evidence> {
  const { media } = received
  const location = media.type === 'location'
  const values: Partial<Evidence> = {
    ledgerItemId: itemId,
    personId,
    dedupeKey: received.dedupeKey,
    kind: media.type,
    mediaId: location ? null : media.mediaId,
    // WeCom writes amr; anything but a short plain word is not kept.
    format: media.type === 'voice' && /^[A-Za-z0-9]{1,16}$/.test(media.format) ? media.format : null,
    latitude: location ? media.latitudeText : null,
    longitude: location ? media.longitudeText : null,
    scale: location ? media.scale : null,
    label: location ? media.label || null : null,
    // A location is kept as it came; the rest is fetched by the download job.
    status: location ? 'stored' : 'pending',
    attempts: 0,
    nextAttemptAt: location ? null : now,
    receivedAt: now,
    attachedAt: itemId === null ? null : now,
  }
  return manager.save(EvidenceSchema, values as Evidence)
}

/**
 * One acknowledgement per burst (docs/evidence.md, One answer per burst): while the last one to
 * this person about the same item is still waiting in the outbox, it is rewritten to count this
 * media too and held a little longer; once it has gone, a new one starts.
 */
async function acknowledge(manager: EntityManager, person: Person, evidence: Evidence, now: Date, say: (count: EvidenceCount) => string): Promise<void> {
  const previous = await previousBurst(manager, evidence)
  if (previous && (await joinBurst(manager, previous, evidence, now, say))) return
  await startBurst(manager, person, evidence, now, say)
}

/** The outbox key of the person's last burst about the same item (or the same question), if any. */
async function previousBurst(manager: EntityManager, evidence: Evidence): Promise<string | null> {
  const previous = await manager.findOne(EvidenceSchema, {
    where: { personId: evidence.personId, ledgerItemId: evidence.ledgerItemId ?? IsNull(), id: Not(evidence.id), ackKey: Not(IsNull()) },
    order: { id: 'DESC' },
  })
  return previous?.ackKey ?? null
}

/** A new burst: its message (acknowledgement or question), keyed by its first media, sent a moment later. */
async function startBurst(manager: EntityManager, person: Person, evidence: Evidence, now: Date, say: (count: EvidenceCount) => string): Promise<void> {
  const key = ackKeyOf(evidence)
  await manager.update(EvidenceSchema, { id: evidence.id }, { ackKey: key })
  const message = text(say(await burstCount(manager, key)))
  await enqueue(manager, { dedupeKey: key, subject: { kind: 'evidence', id: evidence.id, person: person.id }, to: { users: [person.userid] }, message, reply: true, urgent: true, notBefore: new Date(now.getTime() + ACK_DELAY_MS) }, now)
}

/** Counts the media into a burst whose message has not been taken for sending: true if it was still waiting. */
async function joinBurst(manager: EntityManager, key: string, evidence: Evidence, now: Date, say: (count: EvidenceCount) => string): Promise<boolean> {
  await manager.update(EvidenceSchema, { id: evidence.id }, { ackKey: key })
  const payload = JSON.stringify(text(say(await burstCount(manager, key))))
  const result = await manager
    .createQueryBuilder()
    .update(OutboxMessageSchema)
    .set({ payload, nextAttemptAt: new Date(now.getTime() + ACK_DELAY_MS) })
    .where('dedupe_key = :key AND status = :pending', { key, pending: 'pending' })
    .execute()
  if (result.affected) return true
  await manager.update(EvidenceSchema, { id: evidence.id }, { ackKey: null })
  return false
}

async function burstCount(manager: EntityManager, key: string): Promise<EvidenceCount> {
  const count = noEvidence()
  for (const e of await manager.find(EvidenceSchema, { where: { ackKey: key }, select: { kind: true, receivedAt: true } })) count[e.kind] += 1
  return count
}

const ackKeyOf = (evidence: Evidence): string => `evidence:${createHash('sha256').update(evidence.dedupeKey).digest('hex').slice(0, 40)}`

/**
 * Media with no item named: one question listing the person's open items (docs/evidence.md,
 * Attaching). While that question is open, more media join it and ask nothing new; its message
 * is rewritten while it waits in the outbox.
 */
async function askWhichItem(manager: EntityManager, person: Person, items: readonly LedgerItem[], evidence: Evidence, now: Date): Promise<void> {
  const listed = items.slice(0, LISTED_ITEMS).map((item) => `#${item.id} ${shorten(item.problem, 20)}`)
  const more = items.length > LISTED_ITEMS ? [`…另有 ${items.length - LISTED_ITEMS} 项，回复编号即可`] : []
  const say = (count: EvidenceCount) => [`收到${mediaPhrase(count)}。是哪项的整改佐证？请回复编号：`, ...listed, ...more, '（发送「取消」则不保存）'].join('\n')
  const question = await manager.findOneBy(PersonQuestionSchema, { personId: person.id })
  const open = question?.kind === 'evidence_item' && question.expiresAt.getTime() > now.getTime()
  const previous = open ? await previousBurst(manager, evidence) : null
  if (previous) {
    // Asked already: counted into the question while its message waits; otherwise it waits with the rest for the answer.
    await joinBurst(manager, previous, evidence, now, say)
    return
  }
  // A new question replaces any other open one (one per person), as a tap's question does.
  await manager.delete(PersonQuestionSchema, { personId: person.id })
  await manager.insert(PersonQuestionSchema, {
    personId: person.id,
    kind: 'evidence_item',
    subjectId: 0,
    taskId: null,
    responseCode: null,
    prompt: EVIDENCE_QUESTION,
    askedAt: now,
    expiresAt: new Date(now.getTime() + QUESTION_MINUTES * 60_000),
  })
  await startBurst(manager, person, evidence, now, say)
}

/** What the question asks, repeated when its answer cannot be read. */
export const EVIDENCE_QUESTION = '刚发送的照片等是哪项的整改佐证？请回复编号，如：12'
