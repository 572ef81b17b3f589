import { inertText } from '../../wecom/inert-text.js'
import { Between, In, type DataSource } from 'typeorm'
import { enqueueMany, type OutgoingMessage } from '../../outbox/enqueue.js'
import { AgendaItemSchema, AttendanceSchema, MeetingSchema, PersonSchema, type Meeting } from '../../db/entities/index.js'
import { addDays, beijingDate, beijingInstant } from '../../time/calendar-date.js'
import { isWorkday, workdayOnOrBefore } from '../../time/work-calendar.js'
import { markdown } from '../../wecom/messages.js'
import { meetingTime } from './agenda-message.js'

const HOUR = 3600_000

/**
 * When a meeting's reminders are due: the day before at `dayBefore` (Beijing), on the working day
 * before the meeting's day; and two hours before it starts. A reminder whose moment passed while
 * the service was down still goes out while it is useful (the day-before one until the
 * two-hour one takes over); one whose moment came before the meeting was called is not sent
 * (the notice was). Keyed by the meeting's time, so a rescheduled meeting is reminded afresh.
 */
export function reminderMoments(meeting: Pick<Meeting, 'startsAt'>, dayBefore: readonly [number, number]): { dayBefore: Date; twoHours: Date } {
  const day = workdayOnOrBefore(addDays(beijingDate(meeting.startsAt), -1))
  const [hour, minute] = dayBefore
  return {
    dayBefore: beijingInstant(day, hour, minute),
    twoHours: new Date(meeting.startsAt.getTime() - 2 * HOUR),
  }
}

/**
 * The meeting reminders due at `now`, written to the outbox (each once: its key names the
 * meeting, its time and the stage). The day before, those who have not answered get a nudge to
 * answer with the reminder; those on leave are not reminded.
 */
export async function meetingReminderSweep(ds: DataSource, now: Date, dayBefore: readonly [number, number]): Promise<number> {
  // The working day before a meeting can be two weeks before it (the Spring Festival).
  const meetings = await ds.getRepository(MeetingSchema).find({ where: { status: 'scheduled', startsAt: Between(now, new Date(now.getTime() + 15 * 24 * HOUR)) } })
  const workday = isWorkday(beijingDate(now))
  const outgoing: OutgoingMessage[] = []
  for (const meeting of meetings) {
    const moments = reminderMoments(meeting, dayBefore)
    // The day-before reminder only on a working day (one missed while the service was down
    // goes out on the next, if the meeting is still ahead); the two-hour one on the day itself.
    const stage =
      now >= moments.twoHours ? 'two-hours' : workday && now >= moments.dayBefore && moments.dayBefore > meeting.createdAt ? 'day-before' : null
    if (!stage || (stage === 'two-hours' && moments.twoHours <= meeting.createdAt)) continue
    const rows = await ds.getRepository(AttendanceSchema).find({ where: { meetingId: meeting.id } })
    const people = new Map((await ds.getRepository(PersonSchema).findBy({ id: In(rows.map((r) => r.personId)), active: true })).map((p) => [p.id, p.userid]))
    const topics = (await ds.getRepository(AgendaItemSchema).find({ where: { meetingId: meeting.id, kind: 'topic' }, order: { seq: 'ASC' } })).map((t) => t.topic)
    const when = meetingTime(meeting.startsAt, beijingDate(now))
    const head = `**联席会议提醒（#${meeting.id}）**\n${stage === 'two-hours' ? '两小时后开会' : '会议将于'}：${when}\n地点：${inertText(meeting.place)}\n议题：${topics.map(inertText).join('；')}`
    const key = `meeting:${meeting.id}:${meeting.startsAt.toISOString()}:${stage}`
    const users = (response: string) => rows.filter((r) => r.response === response).map((r) => people.get(r.personId)).filter((u): u is string => u !== undefined)
    // Those who have not answered are asked to, once: with the day-before reminder.
    const attending = stage === 'two-hours' ? [...users('attend'), ...users('pending')] : users('attend')
    const pending = stage === 'two-hours' ? [] : users('pending')
    if (attending.length > 0) outgoing.push({ dedupeKey: key, subject: { kind: 'meeting_reminder', id: meeting.id }, to: { users: attending }, message: markdown(head) })
    if (pending.length > 0) {
      const nudge = `您尚未回复是否参会：请发送「参会 ${meeting.id} 参加」或「参会 ${meeting.id} 请假 理由」。`
      outgoing.push({ dedupeKey: `${key}:unanswered`, subject: { kind: 'meeting_reminder', id: meeting.id }, to: { users: pending }, message: markdown(`${head}\n${nudge}`) })
    }
  }
  if (outgoing.length === 0) return 0
  return ds.transaction(async (manager) => (await enqueueMany(manager, outgoing, now)).rows)
}
