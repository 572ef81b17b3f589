import { EntitySchema } from 'typeorm'
import { calendarDate, createdAt, instant, primaryId, reference } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/** 请假: a person away until a date; their reminders go to a deputy, or else their unit's liaison. */
export interface PersonLeave {
  id: number
  personId: number
  /** The last day away (Beijing calendar date). */
  until: CalendarDate
  deputyId: number | null
  /** Set by 销假 (back early). */
  endedAt: Date | null
  createdAt: Date
}

export const PersonLeaveSchema = new EntitySchema<PersonLeave>({
  name: 'PersonLeave',
  tableName: 'person_leave',
  columns: {
    id: primaryId(),
    personId: reference('Person', 'fk_person_leave_person', { onDelete: 'CASCADE' }),
    until: calendarDate(),
    deputyId: reference('Person', 'fk_person_leave_deputy', { nullable: true, onDelete: 'SET NULL' }),
    endedAt: instant({ nullable: true }),
    createdAt: createdAt(),
  },
  indices: [{ name: 'idx_person_leave_person', columns: ['personId', 'until'] }],
})
