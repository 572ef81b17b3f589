import { In, IsNull, Not, type DataSource, type EntityManager } from 'typeorm'
import { enqueueMany, type OutgoingMessage } from '../../outbox/enqueue.js'
import { RefusalError, StateConflictError, UserFacingError } from '../../errors.js'
import { formatWhen } from '../../time/calendar-date.js'
import { personName } from '../roster/person-name.js'
import { markdown } from '../../wecom/messages.js'
import {
  CircularLinkSchema,
  CircularReceiptSchema,
  CircularSchema,
  InspectionSchema,
  LedgerItemSchema,
  OutboxMessageSchema,
  PersonSchema,
  UnitSchema,
  type Circular,
  type CircularKind,
} from '../../db/entities/index.js'
import { describeAudience, resolveAudience, resolveSelector, type Audience, type AudienceSelector, type ResolvedAudience } from './audience.js'
import { circularContent, kindLabel } from './circular-message.js'
import { circularCard } from '../cards/build-cards.js'
import { checkLinks, findLinks, type CircularLinks } from './links.js'

export interface CircularInput {
  kind: CircularKind
  title: string
  body: string
  selector: AudienceSelector
}

export interface Drafted {
  circular: Circular
  audience: ResolvedAudience
  links: CircularLinks
  /** The audience in a few words, e.g. "各镇". */
  audienceText: string
}

/** Outbox keys: every copy of circular 12 starts with "circular:12:", its reminders with "circular-remind:12:". */
export const copyKey = (circularId: number, personId: number) => `circular:${circularId}:p:${personId}`
export const robotKey = (circularId: number, robot: string) => `circular:${circularId}:robot:${robot}`

/**
 * Stores a circular as a draft with its links (inside the caller's transaction): the audience
 * is checked (unknown units and groups refused, an empty audience refused), and a typical-case
 * circular must name existing ledger items or inspections.
 */
export async function draftCircular(
  manager: EntityManager,
  options: { campaignId: number; input: CircularInput; senderId: number; robotNames: readonly string[] },
): Promise<Drafted> {
  const { campaignId, input, senderId } = options
  const audience = await resolveSelector(manager, input.selector, options.robotNames)
  const links = input.kind === 'typical_case' ? findLinks(`${input.title}\n${input.body}`) : { ledgerItemIds: [], inspectionIds: [] }
  if (input.kind === 'typical_case') {
    if (links.ledgerItemIds.length + links.inspectionIds.length === 0) {
      throw new UserFacingError('no_case', '典型案例通报请在标题或正文中写明所涉台账编号（如 #12）或督查编号（如 督查#3）。')
    }
    await checkLinks(manager, campaignId, links)
  }
  const resolved = await resolveAudience(manager, campaignId, audience)
  if (resolved.recipients.length === 0 && resolved.robots.length === 0) {
    throw new RefusalError('empty_audience', `「${describeAudience(audience)}」中没有第一责任人、联络员或联席会议成员，请检查花名册或换一个受众。`)
  }
  const inserted = await manager.insert(CircularSchema, {
    campaignId,
    kind: input.kind,
    title: input.title,
    body: input.body,
    audience: JSON.stringify(audience),
    sentById: senderId,
    status: 'draft',
  })
  const id = Number(inserted.identifiers[0]!.id)
  const linkRows = [
    ...links.ledgerItemIds.map((ledgerItemId) => ({ circularId: id, ledgerItemId, inspectionId: null })),
    ...links.inspectionIds.map((inspectionId) => ({ circularId: id, ledgerItemId: null, inspectionId })),
  ]
  if (linkRows.length > 0) await manager.insert(CircularLinkSchema, linkRows)
  const circular = await manager.findOneByOrFail(CircularSchema, { id })
  return { circular, audience: resolved, links, audienceText: describeAudience(audience, resolved.units.map((u) => u.name)) }
}

/** The name a circular is signed with: the sender's unit (县委组织部). */
export async function senderSignature(manager: EntityManager, personId: number | null): Promise<string> {
  const person = personId === null ? null : await manager.findOneBy(PersonSchema, { id: personId })
  const unit = person?.unitId ? await manager.findOneBy(UnitSchema, { id: person.unitId }) : null
  return unit?.name ?? '县委组织部'
}

/**
 * Sends a draft, in the caller's transaction: the circular becomes `sent` (only once: a second
 * send finds it sent and is refused), each recipient gets a receipt and a copy of their own in
 * the outbox (one row per person, keyed by circular and person), each group robot one webhook
 * row, and the ledger items and inspections it names are marked typical cases.
 */
export async function sendCircular(
  manager: EntityManager,
  options: { circularId: number; senderId: number; robotNames: readonly string[]; now: Date },
): Promise<{ circular: Circular; audience: ResolvedAudience }> {
  const { circularId, now } = options
  const claimed = await manager.update(CircularSchema, { id: circularId, status: 'draft' }, { status: 'sent', sentAt: now, sentById: options.senderId })
  if (!claimed.affected) {
    const existing = await manager.findOneBy(CircularSchema, { id: circularId })
    if (!existing) throw new RefusalError('unknown_circular', `没有编号为 #${circularId} 的通报草稿。`)
    const sent = existing.sentAt ? `已于 ${formatWhen(existing.sentAt, now)} 由${await personName(manager, existing.sentById)}发送` : '已经发送过'
    throw new StateConflictError('not_draft', `通报 #${circularId} ${existing.status === 'sent' ? sent : '已撤回'}，不能再发送。`)
  }
  const circular = await manager.findOneByOrFail(CircularSchema, { id: circularId })
  const audience = JSON.parse(circular.audience) as Audience
  if (audience.type === 'robots') {
    const gone = audience.robots.filter((r) => !options.robotNames.includes(r))
    if (gone.length > 0) throw new RefusalError('unknown_robot', `群「${gone.join('、')}」已不在配置中（WECOM_ROBOTS），请重新预览。`)
  }
  const resolved = await resolveAudience(manager, circular.campaignId, audience)
  if (resolved.recipients.length === 0 && resolved.robots.length === 0) {
    throw new RefusalError('empty_audience', `通报 #${circularId} 的受众中已没有人员，请重新预览。`)
  }
  const from = await senderSignature(manager, options.senderId)
  const content = circularContent(circular, from)
  const robotContent = circularContent(circular, from, true)
  // Each copy a card with 收到 (docs/cards.md); its fallback the text as before.
  const card = circularCard({ id: circularId, label: kindLabel(circular.kind), title: circular.title, body: circular.body, from, text: content })
  if (resolved.recipients.length > 0) {
    await manager.insert(
      CircularReceiptSchema,
      resolved.recipients.map((r) => ({ circularId, personId: r.personId, unitId: r.unitId, outboxMessageId: null, acknowledgedAt: null, remindedAt: null })),
    )
  }
  const outgoing: OutgoingMessage[] = [
    ...resolved.recipients.map((r) => ({ dedupeKey: copyKey(circularId, r.personId), subject: { kind: 'circular' as const, id: circularId, person: r.personId }, to: { users: [r.userid] }, message: card })),
    ...resolved.robots.map((robot) => ({ dedupeKey: robotKey(circularId, robot), subject: { kind: 'circular' as const, id: circularId, person: null }, to: { robot }, message: markdown(robotContent) })),
  ]
  await enqueueMany(manager, outgoing, now)
  await linkReceiptsToCopies(manager, circularId)
  await markTypicalCases(manager, circularId)
  return { circular: { ...circular }, audience: resolved }
}

/** Each receipt points at the outbox row of its copy, for 通报 状态 (sent or not): the circular's rows addressed to one person. */
async function linkReceiptsToCopies(manager: EntityManager, circularId: number): Promise<void> {
  const rows = await manager.find(OutboxMessageSchema, { where: { subjectKind: 'circular', subjectId: circularId, personId: Not(IsNull()) }, select: { id: true, personId: true } })
  for (const row of rows) await manager.update(CircularReceiptSchema, { circularId, personId: row.personId! }, { outboxMessageId: row.id })
}

async function markTypicalCases(manager: EntityManager, circularId: number): Promise<void> {
  const links = await manager.findBy(CircularLinkSchema, { circularId })
  const items = links.map((l) => l.ledgerItemId).filter((id): id is number => id !== null)
  const inspections = links.map((l) => l.inspectionId).filter((id): id is number => id !== null)
  if (items.length > 0) await manager.update(LedgerItemSchema, { id: In(items) }, { isTypicalCase: true })
  if (inspections.length > 0) await manager.update(InspectionSchema, { id: In(inspections) }, { isTypicalCase: true })
}

type DraftOptions = { campaignId: number; input: CircularInput; senderId: number; robotNames: readonly string[] }

/** 通报 …: drafted and sent in one transaction. */
export async function publishCircular(ds: DataSource, options: DraftOptions & { now: Date }): Promise<{ circular: Circular; audience: ResolvedAudience }> {
  return ds.transaction(async (manager) => {
    const drafted = await draftCircular(manager, options)
    return sendCircular(manager, { circularId: drafted.circular.id, senderId: options.senderId, robotNames: options.robotNames, now: options.now })
  })
}

/** 通报 预览 …: stored as a draft, with the signature its recipients will read. */
export async function previewCircular(ds: DataSource, options: DraftOptions): Promise<{ drafted: Drafted; from: string }> {
  return ds.transaction(async (manager) => ({ drafted: await draftCircular(manager, options), from: await senderSignature(manager, options.senderId) }))
}

/** 通报 发送 编号: a draft sent, in its own transaction. */
export async function sendDraft(ds: DataSource, options: { circularId: number; senderId: number; robotNames: readonly string[]; now: Date }): Promise<{ circular: Circular; audience: ResolvedAudience }> {
  return ds.transaction((manager) => sendCircular(manager, options))
}
