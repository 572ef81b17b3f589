import { In, type DataSource, type EntityManager } from 'typeorm'
import { AgendaItemSchema, AttendanceSchema, LedgerItemSchema, PersonSchema, type AttendanceResponse, type LedgerStatus } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { unitNames } from './ledger-status.js'
import { rollCall, type Roll } from './meetings.js'

type Db = DataSource | EntityManager

/** One participant of a meeting as the dashboard's roll call lists them (docs/dashboard.md, 会议). */
export interface RollPerson {
  personId: number
  name: string
  unitId: number | null
  /** The person's unit in the roster ('' when they have none). */
  unitName: string
  response: AttendanceResponse
  /** The reason given with 请假. */
  reason: string | null
  respondedAt: Date | null
}

/**
 * A meeting's roll call: chat's figures (rollCall, as 会议 详情 says them) and the same
 * participants one by one with their units, in the order chat names them: those attending,
 * those on leave, those who have not answered, each in the order they were invited.
 */
export async function meetingRoll(db: Db, meetingId: number): Promise<{ roll: Roll; people: RollPerson[] }> {
  const roll = await rollCall(db, meetingId)
  const rows = await db.getRepository(AttendanceSchema).find({ where: { meetingId }, order: { id: 'ASC' } })
  const people = rows.length === 0 ? [] : await db.getRepository(PersonSchema).findBy({ id: In(rows.map((r) => r.personId)) })
  const byId = new Map(people.map((p) => [p.id, p]))
  const units = await unitNames(db, [...new Set(people.map((p) => p.unitId).filter((id): id is number => id !== null))])
  const order: AttendanceResponse[] = ['attend', 'leave', 'pending']
  const listed = order.flatMap((response) => rows.filter((r) => r.response === response))
  return {
    roll,
    people: listed.map((r) => {
      const person = byId.get(r.personId)
      return {
        personId: r.personId,
        name: person?.name ?? `#${r.personId}`,
        unitId: person?.unitId ?? null,
        unitName: person?.unitId ? (units.get(person.unitId) ?? '') : '',
        response: r.response,
        reason: r.response === 'leave' ? r.reason : null,
        respondedAt: r.respondedAt,
      }
    }),
  }
}

/** A decision of a meeting's minutes, and the ledger item it was assigned as (会议 纪要 "内容 @单位 日期"). */
export interface MeetingDecision {
  seq: number
  text: string
  item: { id: number; unitId: number; unitName: string; dueDate: CalendarDate; status: LedgerStatus } | null
}

/** The decisions recorded with a meeting's minutes, in their order, with the items assigned to units. */
export async function meetingDecisions(db: Db, meetingId: number): Promise<MeetingDecision[]> {
  const rows = await db.getRepository(AgendaItemSchema).find({ where: { meetingId, kind: 'decision' }, order: { seq: 'ASC' } })
  const itemIds = rows.map((r) => r.ledgerItemId).filter((id): id is number => id !== null)
  const items = itemIds.length === 0 ? [] : await db.getRepository(LedgerItemSchema).findBy({ id: In(itemIds) })
  const byId = new Map(items.map((i) => [i.id, i]))
  const names = await unitNames(db, [...new Set(items.map((i) => i.unitId))])
  return rows.map((row) => {
    const item = row.ledgerItemId === null ? undefined : byId.get(row.ledgerItemId)
    return {
      seq: row.seq,
      text: row.decision ?? row.topic,
      item: item ? { id: item.id, unitId: item.unitId, unitName: names.get(item.unitId) ?? '', dueDate: item.dueDate, status: item.status } : null,
    }
  })
}
