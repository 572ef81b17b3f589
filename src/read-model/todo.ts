import { In, LessThan, MoreThan, type DataSource, type EntityManager } from 'typeorm'
import {
  AttendanceSchema,
  CircularReceiptSchema,
  CircularSchema,
  LedgerItemSchema,
  MeetingSchema,
  MonthlyReportSchema,
  PersonSchema,
  PersonSeenSchema,
  type Circular,
  type ExtensionRequest,
  type LedgerItem,
  type Meeting,
  type PublicReport,
} from '../db/entities/index.js'
import { isVerifier, unitsActedFor, type Actor } from '../domain/ledger/ledger-access.js'
import { addMonths, monthOf, type CalendarDate } from '../time/calendar-date.js'
import { unacknowledgedCirculars } from './circulars.js'
import { reportsAwaitingVerification } from './public-reports.js'
import { isOpen, statusLight } from './figures.js'
import { byUrgency, personOpenItems } from './ledger-lists.js'
import { participantUnits } from './campaign-progress.js'
import { unitNames } from './ledger-status.js'
import { waitingFor, type WaitingFor } from './waiting-for.js'

type Db = DataSource | EntityManager

/** The topic under which 待办 remembers when a person last saw the submitted monthly reports (person_seen). */
export const REPORTS_SEEN = 'monthly_reports'

/**
 * Everything waiting for one person, by role (docs/chat.md, 待办). Each part is empty when the
 * person's roles do not cover it.
 */
export interface Todo extends Omit<WaitingFor, 'reportsSubmitted'> {
  /**
   * 组织部 and the inspection group: this month's and last month's reports submitted (or revised)
   * since they last looked, all of them the first time; last month's too, since reports are due
   * on a month's last day and often come that evening.
   */
  reportsSubmitted: SubmittedReport[]
  /** 组织部: sent circulars whose reminder has gone out and that some still have not acknowledged, with how many. */
  circularsUnacknowledged: { circular: Circular; waiting: number }[]
  /** 组织部: meetings that have taken place with no minutes recorded. */
  meetingsWithoutMinutes: Meeting[]
  /** Items the person answers for or, for unit heads and liaisons, their units' items overdue or due soon; not those waiting for verification. */
  items: LedgerItem[]
  /** How many of the person's items are rectified and wait for verification (nothing to do but wait). */
  itemsAwaitingVerification: number
  /** Unit heads and liaisons: their units that have not submitted this month's report. */
  reportsOwed: { unitId: number; unitName: string }[]
  /** Circulars sent to the person that they have not acknowledged. */
  circularsToAcknowledge: Circular[]
  /** Meetings still to come the person has not answered. */
  meetingsToAnswer: Meeting[]
  /** Reports from the public assigned to the person (an inspector) and not yet verified, earliest verify-by first. */
  reportsToVerify: PublicReport[]
  /** Unit names for every unit id above. */
  unitNames: Map<number, string>
}

export interface SubmittedReport {
  unitId: number
  unitName: string
  /** YYYY-MM */
  month: string
  submittedAt: Date
  revision: number
}

/** A meeting counts as having taken place this long after it started. */
const MEETING_HELD_AFTER_MS = 2 * 3600_000

export async function todoFor(db: Db, actor: Actor, campaignId: number, today: CalendarDate, now: Date, reportsSeenAt: Date | null): Promise<Todo> {
  const admin = actor.roles.includes('org_admin')
  const verifier = isVerifier(actor)
  const units = unitsActedFor(actor)
  const waiting = await waitingFor(db, actor, campaignId, today)
  const { reportsOwed, reportsSubmitted } = await monthlyReportParts(db, campaignId, units, verifier, today, reportsSeenAt)
  const open = await personOpenItems(db, campaignId, actor.person.id, units, today)
  const mine = (item: LedgerItem) => item.responsiblePersonId === actor.person.id || item.responsibleLeaderId === actor.person.id
  // A unit head sees the unit's urgent items, and all of their own.
  const relevant = open.filter((item) => mine(item) || statusLight(item, today) !== '🟢')
  const items = relevant.filter((item) => item.status !== 'rectified' && isOpen(item)).sort(byUrgency(today))
  const itemsAwaitingVerification = relevant.filter((item) => item.status === 'rectified').length
  const [circularsUnacknowledged, meetingsWithoutMinutes, circularsToAcknowledge, meetingsToAnswer] = await Promise.all([
    admin ? unacknowledgedAfterReminder(db, campaignId) : [],
    admin ? meetingsPastWithoutMinutes(db, campaignId, now) : [],
    unacknowledgedCirculars(db, actor.person.id),
    meetingsUnanswered(db, actor.person.id, now),
  ])
  const reportsToVerify = actor.roles.includes('inspector') ? (await reportsAwaitingVerification(db, campaignId)).filter((r) => r.assignedToId === actor.person.id) : []
  const ids = [...reportsToVerify.flatMap((r) => (r.unitId === null ? [] : [r.unitId])), ...waiting.toVerify.map((i) => i.unitId), ...items.map((i) => i.unitId), ...(await extensionUnits(db, waiting.extensionsToDecide))]
  return {
    ...waiting,
    reportsSubmitted,
    circularsUnacknowledged,
    meetingsWithoutMinutes,
    items,
    itemsAwaitingVerification,
    reportsOwed,
    circularsToAcknowledge,
    meetingsToAnswer,
    reportsToVerify,
    unitNames: await unitNames(db, [...new Set(ids)]),
  }
}

/**
 * The monthly report parts of 待办 from one read of the reports: the participating units among
 * `units` without this month's report, by name; for a verifier, the reports of this month and last
 * submitted (or revised) after `seenAt`, all of them when null, earliest first.
 */
async function monthlyReportParts(
  db: Db,
  campaignId: number,
  units: readonly number[],
  verifier: boolean,
  today: CalendarDate,
  seenAt: Date | null,
): Promise<Pick<Todo, 'reportsOwed' | 'reportsSubmitted'>> {
  const month = monthOf(today)
  const months = verifier ? [monthOf(addMonths(today, -1)), month] : [month]
  const reports = units.length > 0 || verifier ? await db.getRepository(MonthlyReportSchema).find({ where: { campaignId, month: In(months) } }) : []
  const owing = units.length > 0 ? (await participantUnits(db, campaignId)).filter((unitId) => units.includes(unitId) && !reports.some((r) => r.unitId === unitId && r.month === month)) : []
  const names = await unitNames(db, [...new Set([...owing, ...reports.map((r) => r.unitId)])])
  const unitName = (unitId: number) => names.get(unitId) ?? `#${unitId}`
  const submitted = verifier ? reports.filter((r) => seenAt === null || r.submittedAt.getTime() > seenAt.getTime()) : []
  return {
    reportsOwed: owing.map((unitId) => ({ unitId, unitName: unitName(unitId) })).sort((a, b) => a.unitName.localeCompare(b.unitName, 'zh-CN')),
    reportsSubmitted: submitted
      .sort((a, b) => a.submittedAt.getTime() - b.submittedAt.getTime() || a.id - b.id)
      .map((r) => ({ unitId: r.unitId, unitName: unitName(r.unitId), month: r.month, submittedAt: r.submittedAt, revision: r.revision })),
  }
}

/** The units of the items extension requests are about. */
async function extensionUnits(db: Db, requests: readonly ExtensionRequest[]): Promise<number[]> {
  if (requests.length === 0) return []
  return (await db.getRepository(LedgerItemSchema).find({ where: { id: In(requests.map((r) => r.ledgerItemId)) }, select: { id: true, unitId: true } })).map((i) => i.unitId)
}

async function unacknowledgedAfterReminder(db: Db, campaignId: number): Promise<{ circular: Circular; waiting: number }[]> {
  const rows = (await db
    .getRepository(CircularReceiptSchema)
    .createQueryBuilder('r')
    .innerJoin(CircularSchema.options.name, 'c', 'c.id = r.circular_id')
    .select('r.circular_id', 'id')
    .addSelect('COUNT(*)', 'waiting')
    .where("c.campaign_id = :campaignId AND c.status = 'sent' AND r.acknowledged_at IS NULL AND r.reminded_at IS NOT NULL", { campaignId })
    .groupBy('r.circular_id')
    .getRawMany()) as { id: number | string; waiting: number | string }[]
  if (rows.length === 0) return []
  const circulars = await db.getRepository(CircularSchema).find({ where: { id: In(rows.map((r) => Number(r.id))) }, order: { sentAt: 'DESC', id: 'DESC' } })
  return circulars.map((circular) => ({ circular, waiting: Number(rows.find((r) => Number(r.id) === circular.id)!.waiting) }))
}

async function meetingsPastWithoutMinutes(db: Db, campaignId: number, now: Date): Promise<Meeting[]> {
  const before = new Date(now.getTime() - MEETING_HELD_AFTER_MS)
  return db.getRepository(MeetingSchema).find({ where: { campaignId, status: 'scheduled', startsAt: LessThan(before) }, order: { startsAt: 'ASC' } })
}

async function meetingsUnanswered(db: Db, personId: number, now: Date): Promise<Meeting[]> {
  const pending = await db.getRepository(AttendanceSchema).findBy({ personId, response: 'pending' })
  if (pending.length === 0) return []
  return db.getRepository(MeetingSchema).find({ where: { id: In(pending.map((a) => a.meetingId)), status: 'scheduled', startsAt: MoreThan(now) }, order: { startsAt: 'ASC' } })
}

/** When the person last saw a topic (person_seen), or null. */
export async function lastSeen(db: Db, personId: number, topic: string): Promise<Date | null> {
  return (await db.getRepository(PersonSeenSchema).findOneBy({ personId, topic }))?.seenAt ?? null
}

/** Names of people by id, for lines that say who. */
export async function personNames(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map()
  return new Map((await db.getRepository(PersonSchema).findBy({ id: In([...new Set(ids)]) })).map((p) => [p.id, p.name]))
}
