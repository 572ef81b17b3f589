import { EntitySchema } from 'typeorm'
import { calendarDate, createdAt, primaryId, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/**
 * A reminder stage that has been sent for a subject — "item:12" overdue-1, "task:3:unit:5"
 * due-7, "report:2015-08:unit:5" missed — written in the same transaction as the messages, so a
 * stage goes out once whatever the number of sweeps, replicas or restarts.
 */
export interface ReminderSent {
  id: number
  subject: string
  stage: string
  /** The Beijing date of the sweep that sent it. */
  sentOn: CalendarDate
  createdAt: Date
}

export const ReminderSentSchema = new EntitySchema<ReminderSent>({
  name: 'ReminderSent',
  tableName: 'reminder_sent',
  columns: {
    id: primaryId(),
    subject: shortText(64),
    stage: shortText(32),
    sentOn: calendarDate(),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'uq_reminder_sent_stage', columns: ['subject', 'stage'] }],
})
