import { inertText } from '../../wecom/inert-text.js'
import { In, LessThan, Not, type DataSource, type EntityManager } from 'typeorm'
import { currentCampaign } from '../campaign/current-campaign.js'
import {
  AgendaItemSchema,
  AttendanceSchema,
  CampaignSchema,
  MeetingSchema,
  OutboxMessageSchema,
  PersonSchema,
  RoleAssignmentSchema,
  type Campaign,
  type Meeting,
  type Person,
} from '../../db/entities/index.js'
import type { Actor } from '../ledger/ledger-access.js'
import { notifyPeople } from '../ledger/notify.js'
import { insertLedgerItem } from '../ledger/register-item.js'
import { RefusalError, StateConflictError, UserFacingError } from '../../errors.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { checkDateBound } from '../campaign/date-bound.js'
import { beijingDate, formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { agendaMessage, meetingTime } from './agenda-message.js'
import { meetingCard } from '../cards/build-cards.js'
import type { CardMessage } from '../../wecom/messages.js'
import { campaignStatus, readCounts } from '../../read-model/campaign-status.js'
import { isInvited } from '../../read-model/meetings.js'
import { quoteTyped } from '../text/text-limits.js'
import { planDecisions, type Decision, type PlannedDecision } from './minutes-plan.js'

export type { Decision } from './minutes-plan.js'

export const MEETING_TITLE = '专项治理工作联席会议'
export const ADMIN_ONLY = '只有组织部（干部监督科）可以召集和管理联席会议。'

export interface NewMeeting {
  startsAt: Date
  place: string
  topics: string[]
  title?: string
}

/** Who sees every joint meeting (会议 列表 and 详情, the dashboard's 会议): 组织部; anyone else the meetings they are invited to. */
export function seesEveryMeeting(actor: Actor): boolean {
  return actor.roles.includes('org_admin')
}

/** Whether a person may see a meeting's details and roll call (会议 详情, its dashboard page): 组织部, or someone on its list. */
export async function canSeeMeeting(db: DataSource | EntityManager, actor: Actor, meetingId: number): Promise<boolean> {
  return seesEveryMeeting(actor) || (await isInvited(db, meetingId, actor.person.id))
}

function requireAdmin(actor: Actor): void {
  if (!actor.roles.includes('org_admin')) throw new RefusalError('denied', ADMIN_ONLY)
}

async function campaignOrFail(ds: DataSource, today: CalendarDate): Promise<Campaign> {
  const campaign = await currentCampaign(ds, today)
  if (!campaign) throw new RefusalError('no_campaign', '目前没有进行中的专项治理。')
  return campaign
}

/** A meeting by number, or a refusal naming the list. With `lock`, locked until the transaction ends (docs/concurrency.md). */
export async function meetingOrFail(db: DataSource | EntityManager, id: number, options: { lock?: boolean } = {}): Promise<Meeting> {
  const meeting = options.lock ? await findOneForUpdate(db as EntityManager, MeetingSchema, { id }) : await db.getRepository(MeetingSchema).findOneBy({ id })
  if (!meeting) throw new RefusalError('no_meeting', `没有编号为 #${id} 的联席会议。发送「会议」查看会议列表。`)
  return meeting
}

/** The default participants: everyone active holding meeting_member, and the convener. */
async function defaultParticipants(manager: EntityManager, convenerId: number): Promise<number[]> {
  const members = await manager
    .createQueryBuilder()
    .select('p.id', 'id')
    .from(PersonSchema, 'p')
    .innerJoin(RoleAssignmentSchema.options.name, 'r', 'r.person_id = p.id')
    .where("r.role = 'meeting_member' AND p.active = :active", { active: true })
    .getRawMany<{ id: number }>()
  return [...new Set([convenerId, ...members.map((m) => Number(m.id))])]
}

/** The notice's text for a meeting as it stands. */
export async function meetingNotice(ds: DataSource | EntityManager, meeting: Meeting, now: Date, options: { full?: boolean } = {}): Promise<string> {
  const today = beijingDate(now)
  const campaign = await ds.getRepository(CampaignSchema).findOneByOrFail({ id: meeting.campaignId })
  const previous = await ds.getRepository(MeetingSchema).findOne({
    where: { campaignId: meeting.campaignId, id: LessThan(meeting.id), status: Not('cancelled') },
    order: { id: 'DESC' },
  })
  const topics = await ds.getRepository(AgendaItemSchema).find({ where: { meetingId: meeting.id, kind: 'topic' }, order: { seq: 'ASC' } })
  const convener = meeting.convenerId === null ? null : await ds.getRepository(PersonSchema).findOneBy({ id: meeting.convenerId })
  // Typical cases flagged since the previous meeting was held.
  const status = await campaignStatus(ds, campaign, now, previous?.startsAt ?? null)
  return agendaMessage(
    {
      id: meeting.id,
      title: inertText(meeting.title),
      startsAt: meeting.startsAt,
      place: inertText(meeting.place),
      convener: convener ? `${inertText(convener.name)}（组织部）` : '组织部',
      topics: topics.map((t) => inertText(t.topic)),
      status,
      previous: readCounts(previous?.statusSnapshot ?? null),
    },
    options,
  )
}

/**
 * 会议 新建: the meeting, its topics, its participants (pending), the campaign's figures kept for
 * the next meeting, and the notice to every participant, in one transaction.
 */
export async function createMeeting(ds: DataSource, actor: Actor, input: NewMeeting, now: Date): Promise<{ meeting: Meeting; notified: string[] }> {
  requireAdmin(actor)
  const today = beijingDate(now)
  if (input.startsAt.getTime() <= now.getTime()) throw new RefusalError('past', `会议时间 ${meetingTime(input.startsAt, today)} 已过。`)
  if (input.topics.length === 0) throw new UserFacingError('no_topics', '请至少写一个议题（每行一个）。')
  const campaign = await campaignOrFail(ds, today)
  checkDateBound(beijingDate(input.startsAt), campaign, today, '会议日期')
  const status = await campaignStatus(ds, campaign, now, null)
  return ds.transaction(async (manager) => {
    const saved = await manager.save(MeetingSchema, {
      campaignId: campaign.id,
      title: input.title ?? MEETING_TITLE,
      startsAt: input.startsAt,
      place: input.place,
      convenerId: actor.person.id,
      status: 'scheduled',
      minutes: null,
      statusSnapshot: JSON.stringify(status.counts),
      // When the notice went out (the injected clock): reminders due before it are not sent.
      createdAt: now,
    } as Meeting)
    await manager.insert(
      AgendaItemSchema,
      input.topics.map((topic, i) => ({ meetingId: saved.id, seq: i + 1, kind: 'topic' as const, topic, decision: null, ledgerItemId: null })),
    )
    const participants = await defaultParticipants(manager, actor.person.id)
    // The convener attends their own meeting; the others are asked.
    await manager.insert(
      AttendanceSchema,
      participants.map((personId) =>
        personId === actor.person.id
          ? { meetingId: saved.id, personId, response: 'attend' as const, reason: null, respondedAt: now }
          : { meetingId: saved.id, personId, response: 'pending' as const, reason: null, respondedAt: null },
      ),
    )
    // The notice is written with the meeting: read through this transaction, which sees its rows.
    const notice = noticeCard(saved, input.topics, await meetingNotice(manager, saved, now), today)
    const notified = await announce(ds, saved, `meeting:${saved.id}:notice`, 'meeting', notice, now, { manager })
    return { meeting: saved, notified }
  })
}

/** The notice as a card with 参加 · 请假 (docs/cards.md); the text is its fallback. */
function noticeCard(meeting: Meeting, topics: readonly string[], text: string, today: CalendarDate): CardMessage {
  return meetingCard({ id: meeting.id, title: meeting.title, when: meetingTime(meeting.startsAt, today), place: meeting.place, topics, text })
}

/** Sends a meeting's participants (but those who asked for leave, if `skipLeave`) one message: its notice, cancellation ('meeting') or change ('meeting_change'). */
async function announce(
  ds: DataSource,
  meeting: Meeting,
  key: string,
  kind: 'meeting' | 'meeting_change',
  content: string | CardMessage,
  now: Date,
  options: { skipLeave?: boolean; manager?: EntityManager } = {},
): Promise<string[]> {
  const send = async (manager: EntityManager) => {
    const rows = await manager.find(AttendanceSchema, { where: { meetingId: meeting.id } })
    const ids = rows.filter((r) => !(options.skipLeave && r.response === 'leave')).map((r) => r.personId)
    return notifyPeople(manager, ids, key, { kind, id: meeting.id }, content, now)
  }
  return options.manager ? send(options.manager) : ds.transaction(send)
}

/** 会议 改期 / 改地点: the change, announced at once; reminders follow the new time. */
export async function changeMeeting(
  ds: DataSource,
  actor: Actor,
  id: number,
  change: { startsAt?: Date; place?: string },
  now: Date,
): Promise<{ meeting: Meeting; notified: string[] }> {
  requireAdmin(actor)
  const today = beijingDate(now)
  return ds.transaction(async (manager) => {
    const meeting = await meetingOrFail(manager, id, { lock: true })
    if (meeting.status !== 'scheduled') throw new StateConflictError('not_scheduled', `会议 #${id} 已${meeting.status === 'cancelled' ? '取消' : '召开'}，不能修改。`)
    if (change.startsAt && change.startsAt.getTime() <= now.getTime()) throw new RefusalError('past', `会议时间 ${meetingTime(change.startsAt, today)} 已过。`)
    if (change.startsAt) checkDateBound(beijingDate(change.startsAt), await manager.findOneByOrFail(CampaignSchema, { id: meeting.campaignId }), today, '会议日期')
    const before = { startsAt: meeting.startsAt, place: meeting.place }
    const updated: Meeting = { ...meeting, ...change }
    await manager.update(MeetingSchema, { id }, change)
    const what = [
      change.startsAt && change.startsAt.getTime() !== before.startsAt.getTime() ? `时间改为 ${meetingTime(change.startsAt, today)}（原 ${meetingTime(before.startsAt, today)}）` : null,
      change.place && change.place !== before.place ? `地点改为 ${inertText(change.place)}（原 ${inertText(before.place)}）` : null,
    ].filter((w): w is string => w !== null)
    if (what.length === 0) throw new RefusalError('no_change', `会议 #${id} 的时间地点与原来相同，未作修改。`)
    const content = `**联席会议 #${id} 变更**\n${what.join('\n')}\n时间：${meetingTime(updated.startsAt, today)}\n地点：${inertText(updated.place)}`
    if (updated.startsAt.getTime() !== before.startsAt.getTime()) await withdrawReminders(manager, meeting)
    // Each change is its own announcement, even back to an earlier time or place: numbered.
    const [{ n }] = (await manager.query("SELECT COUNT(*) AS n FROM outbox_message WHERE subject_kind = 'meeting_change' AND subject_id = ?", [id])) as [{ n: number | string }]
    const notified = await announce(ds, meeting, `meeting:${id}:changed:${Number(n) + 1}`, 'meeting_change', content, now, { manager })
    return { meeting: updated, notified }
  })
}

/** 会议 取消: cancelled, announced at once; its reminders stop. */
export async function cancelMeeting(ds: DataSource, actor: Actor, id: number, reason: string, now: Date): Promise<{ meeting: Meeting; notified: string[] }> {
  requireAdmin(actor)
  return ds.transaction(async (manager) => {
    const meeting = await meetingOrFail(manager, id, { lock: true })
    if (meeting.status !== 'scheduled') throw new StateConflictError('not_scheduled', `会议 #${id} 已${meeting.status === 'cancelled' ? '取消' : '召开'}。`)
    await manager.update(MeetingSchema, { id }, { status: 'cancelled' })
    await withdrawReminders(manager, meeting)
    const content = `**联席会议 #${id} 已取消**\n原定 ${meetingTime(meeting.startsAt, beijingDate(now))}，${inertText(meeting.place)}${reason ? `\n原因：${inertText(reason)}` : ''}`
    const notified = await announce(ds, meeting, `meeting:${id}:cancelled`, 'meeting', content, now, { manager })
    return { meeting: { ...meeting, status: 'cancelled' }, notified }
  })
}

/**
 * Reminders for a meeting's old time still waiting in the outbox (quiet hours hold them till
 * morning) are withdrawn: nobody reads "两小时后开会" beside "已取消", or for the time it moved from.
 * Called, with the meeting locked, before the new time is committed: every reminder of the meeting
 * written so far is for a time it no longer has.
 */
async function withdrawReminders(manager: EntityManager, meeting: Meeting): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(OutboxMessageSchema)
    .set({ status: 'cancelled', lastError: '会议已改期或取消' })
    .where("status = 'pending' AND subject_kind = 'meeting_reminder' AND subject_id = :id", { id: meeting.id })
    .execute()
}

/** People by name or userid; each name must be one active person. */
async function findPeople(manager: EntityManager, names: readonly string[]): Promise<Person[]> {
  const found: Person[] = []
  const problems: string[] = []
  for (const name of names) {
    const people = await manager.find(PersonSchema, { where: [{ name, active: true }, { userid: name.toLowerCase(), active: true }] })
    if (people.length === 1) found.push(people[0]!)
    else problems.push(people.length > 1 ? `「${quoteTyped(name)}」有重名，请改写企业微信账号` : `「${quoteTyped(name)}」不在花名册中`)
  }
  if (problems.length > 0) throw new RefusalError('people', problems.join('；'))
  return found
}

/** 会议 参会人: adds (+名字) and removes (-名字) participants; the added get the notice. */
export async function editParticipants(
  ds: DataSource,
  actor: Actor,
  id: number,
  edit: { add: string[]; remove: string[] },
  now: Date,
): Promise<{ added: Person[]; removed: Person[]; notified: string[] }> {
  requireAdmin(actor)
  return ds.transaction(async (manager) => {
    // The meeting as it stands once locked (moved or cancelled meanwhile): the added read that notice.
    const locked = await meetingOrFail(manager, id, { lock: true })
    if (locked.status !== 'scheduled') throw new StateConflictError('not_scheduled', `会议 #${id} 已${locked.status === 'cancelled' ? '取消' : '召开'}，不能修改参会人。`)
    const topics = await manager.find(AgendaItemSchema, { where: { meetingId: id, kind: 'topic' }, order: { seq: 'ASC' } })
    const notice = noticeCard(locked, topics.map((t) => t.topic), await meetingNotice(manager, locked, now), beijingDate(now))
    const add = await findPeople(manager, edit.add)
    const remove = await findPeople(manager, edit.remove)
    const existing = new Set((await manager.find(AttendanceSchema, { where: { meetingId: id } })).map((a) => a.personId))
    const added = add.filter((p) => !existing.has(p.id))
    const removed = remove.filter((p) => existing.has(p.id))
    if (added.length > 0) await manager.insert(AttendanceSchema, added.map((p) => ({ meetingId: id, personId: p.id, response: 'pending' as const, reason: null, respondedAt: null })))
    if (removed.length > 0) await manager.delete(AttendanceSchema, { meetingId: id, personId: In(removed.map((p) => p.id)) })
    const notified: string[] = []
    for (const person of added) notified.push(...(await notifyPeople(manager, [person.id], `meeting:${id}:notice:${person.id}`, { kind: 'meeting', id, person: person.id }, notice, now)))
    return { added, removed, notified }
  })
}

/** A participant's answer as it stood before this one: pending, or what they said and when. */
export type PreviousAnswer = { response: 'pending' } | { response: 'attend' | 'leave'; reason: string | null; at: Date }

/** A meeting can be answered until it starts, unless cancelled. */
function requireAnswerable(meeting: Meeting, now: Date): void {
  if (meeting.status === 'cancelled') throw new StateConflictError('cancelled', `会议 #${meeting.id} 已取消，无需回复。`)
  if (meeting.startsAt.getTime() <= now.getTime()) throw new StateConflictError('started', `会议 #${meeting.id} 已开始，不能再回复。`)
}

const notInvited = (id: number) => new RefusalError('not_invited', `您不在会议 #${id} 的参会名单中；如需参加请联系组织部。`)

/** What 参会 checks first, on its own (tapping 请假 asks this before asking for the reason, docs/cards.md). */
export async function checkAnswerable(ds: DataSource, person: Person, id: number, now: Date): Promise<void> {
  requireAnswerable(await meetingOrFail(ds.manager, id), now)
  if (!(await ds.manager.findOneBy(AttendanceSchema, { meetingId: id, personId: person.id }))) throw notInvited(id)
}

/**
 * 参会 编号 参加 / 请假 理由: a participant's answer (changeable until the meeting starts). The
 * meeting and the person's attendance row are locked: of two answers sent at once the later
 * one stands, and it returns the answer it replaced, so its reply can say so.
 */
export async function answerMeeting(
  ds: DataSource,
  person: Person,
  id: number,
  answer: { attend: boolean; reason: string },
  now: Date,
): Promise<{ meeting: Meeting; previous: PreviousAnswer }> {
  return ds.transaction(async (manager) => {
    const meeting = await meetingOrFail(manager, id, { lock: true })
    requireAnswerable(meeting, now)
    const row = await findOneForUpdate(manager, AttendanceSchema, { meetingId: id, personId: person.id })
    if (!row) throw notInvited(id)
    if (!answer.attend && !answer.reason) throw new UserFacingError('no_reason', '请假请写明理由。')
    await manager.update(AttendanceSchema, { id: row.id }, { response: answer.attend ? 'attend' : 'leave', reason: answer.attend ? null : answer.reason, respondedAt: now })
    const previous: PreviousAnswer = row.response === 'pending' ? { response: 'pending' } : { response: row.response, reason: row.reason, at: row.respondedAt ?? now }
    return { meeting, previous }
  })
}

/**
 * 会议 纪要: the minutes, each line a decision; a decision naming a unit and a date becomes a
 * ledger item of that unit (its head as responsible leader, its liaison as responsible person),
 * which gets reminders like any other. All in one transaction; the meeting is then held.
 */
export async function recordMinutes(
  ds: DataSource,
  actor: Actor,
  id: number,
  decisions: Decision[],
  now: Date,
): Promise<{ meeting: Meeting; items: MinutesItem[] }> {
  requireAdmin(actor)
  const today = beijingDate(now)
  if (decisions.length === 0) throw new UserFacingError('no_decisions', '请在「会议 纪要 编号」下每行写一项决定事项。')
  const meeting = await meetingOrFail(ds, id)
  if (meeting.status === 'cancelled') throw new RefusalError('cancelled', `会议 #${id} 已取消，不能记录纪要。`)
  if (meeting.startsAt.getTime() > now.getTime()) throw new RefusalError('not_yet', `会议 #${id} 尚未召开（${meetingTime(meeting.startsAt, today)}）。`)
  const planned = await planDecisions(ds, meeting, decisions, today)
  return ds.transaction((manager) => writeMinutes(manager, { actor, id, meeting, decisions, planned, now, today }))
}

/** A ledger item a decision became. */
type MinutesItem = { id: number; unit: string; due: CalendarDate }

/** The minutes to write: the meeting as first read, its decisions and what each is assigned to. */
interface MinutesWrite {
  actor: Actor
  id: number
  meeting: Meeting
  decisions: readonly Decision[]
  planned: readonly PlannedDecision[]
  now: Date
  today: CalendarDate
}

/** The meeting locked and checked again, each decision an agenda row (and a ledger item), then held. */
async function writeMinutes(manager: EntityManager, record: MinutesWrite): Promise<{ meeting: Meeting; items: MinutesItem[] }> {
  const { id, meeting, decisions, now, today } = record
  const locked = await meetingOrFail(manager, id, { lock: true })
  if (locked.status === 'cancelled') throw new StateConflictError('cancelled', `会议 #${id} 已取消，不能记录纪要。`)
  // Moved to a later time meanwhile: not held yet.
  if (locked.startsAt.getTime() > now.getTime()) throw new StateConflictError('not_yet', `会议 #${id} 已改期，尚未召开（${meetingTime(locked.startsAt, today)}）。`)
  const last = await manager.getRepository(AgendaItemSchema).maximum('seq', { meetingId: id })
  const items: MinutesItem[] = []
  let seq = last ?? 0
  for (const planned of record.planned) {
    const item = await assignDecision(manager, record, planned)
    if (item) items.push(item)
    seq += 1
    await manager.insert(AgendaItemSchema, { meetingId: id, seq, kind: 'decision', topic: planned.decision.text, decision: planned.decision.text, ledgerItemId: item?.id ?? null })
  }
  const added = decisions.map((d, i) => `${i + 1}. ${d.text}${d.unit ? ` @${d.unit}` : ''}${d.due ? ` ${formatChineseDate(d.due, today)}` : ''}`).join('\n')
  await manager.update(MeetingSchema, { id }, { status: 'held', minutes: locked.minutes ? `${locked.minutes}\n${added}` : added })
  return { meeting: { ...meeting, status: 'held' as const }, items }
}

/** A decision naming a unit and a date becomes a ledger item of that unit; undefined for the others. */
async function assignDecision(manager: EntityManager, record: MinutesWrite, { decision, unit, category }: PlannedDecision): Promise<MinutesItem | undefined> {
  const { id, meeting, now, today } = record
  if (!(unit && category && decision.due)) return undefined
  const { item } = await insertLedgerItem(manager, record.actor, {
    campaignId: meeting.campaignId,
    unitId: unit.id,
    categoryId: category.id,
    problem: decision.text,
    measures: `落实${meeting.title}（#${id}）决定`,
    target: '按时限办结',
    dueDate: decision.due,
    department: null,
    leader: unit.head,
    person: unit.liaison,
    today,
    now,
  })
  return { id: item.id, unit: unit.name, due: decision.due }
}
