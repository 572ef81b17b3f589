import { In, type DataSource, type EntityManager } from 'typeorm'
import { AttendanceSchema, MeetingSchema, PersonSchema, type Attendance, type Meeting } from '../db/entities/index.js'
import { inertText } from '../wecom/inert-text.js'

type Db = DataSource | EntityManager

/** The meetings worth listing: upcoming first, then the latest five held or cancelled; with `invitedId`, only those that person is invited to. */
export async function meetingsFor(db: Db, now: Date, invitedId?: number): Promise<Meeting[]> {
  const all = await db.getRepository(MeetingSchema).find({ order: { startsAt: 'DESC' }, take: 50 })
  const invited = invitedId === undefined ? null : new Set((await db.getRepository(AttendanceSchema).findBy({ personId: invitedId })).map((a) => a.meetingId))
  const visible = invited ? all.filter((m) => invited.has(m.id)) : all
  const upcoming = visible.filter((m) => m.status === 'scheduled' && m.startsAt.getTime() > now.getTime()).reverse()
  const past = visible.filter((m) => !upcoming.includes(m)).slice(0, 5)
  return [...upcoming, ...past]
}

/** Whether a person is on a meeting's list. */
export async function isInvited(db: Db, meetingId: number, personId: number): Promise<boolean> {
  return (await db.getRepository(AttendanceSchema).countBy({ meetingId, personId })) > 0
}

/** A meeting's roll call: who confirmed, who asked for leave (and why), who has not answered. */
export interface Roll {
  attend: string[]
  leave: { name: string; reason: string | null }[]
  pending: string[]
}

export async function rollCall(db: Db, meetingId: number): Promise<Roll> {
  const rows = await db.getRepository(AttendanceSchema).find({ where: { meetingId }, order: { id: 'ASC' } })
  const people = rows.length === 0 ? new Map<number, string>() : new Map((await db.getRepository(PersonSchema).findBy({ id: In(rows.map((r) => r.personId)) })).map((p) => [p.id, p.name]))
  const name = (a: Attendance) => inertText(people.get(a.personId) ?? `#${a.personId}`)
  return {
    attend: rows.filter((r) => r.response === 'attend').map(name),
    leave: rows.filter((r) => r.response === 'leave').map((r) => ({ name: name(r), reason: r.reason === null ? null : inertText(r.reason) })),
    pending: rows.filter((r) => r.response === 'pending').map(name),
  }
}

/** "已确认参加 3 人：…\n请假 1 人：…（理由）\n未回复 2 人：…" */
export function formatRoll(roll: Roll): string {
  return [
    `已确认参加 ${roll.attend.length} 人${roll.attend.length ? `：${roll.attend.join('、')}` : ''}`,
    `请假 ${roll.leave.length} 人${roll.leave.length ? `：${roll.leave.map((l) => (l.reason ? `${l.name}（${l.reason}）` : l.name)).join('、')}` : ''}`,
    `未回复 ${roll.pending.length} 人${roll.pending.length ? `：${roll.pending.join('、')}` : ''}`,
  ].join('\n')
}
