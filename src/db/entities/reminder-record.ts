import { EntitySchema } from 'typeorm'
import { calendarDate, instant, integer, primaryId, reference, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/** unit: to the item's unit's people (or their deputies); org: the item escalated to 组织部 in the daily summary. */
export type ReminderAudience = 'unit' | 'org'

/**
 * One reminder about a ledger item, as one recipient got it: the item, the stage and the due date
 * it was counted from, who received it (and on whose behalf, for a person on leave), the outbox
 * key of the digest that carried it, and when that digest was queued and delivered. Written with
 * the digest; `deliveredAt` set when the digest is recorded sent (docs/responsiveness.md).
 */
export interface ReminderRecord {
  id: number
  campaignId: number
  ledgerItemId: number
  /** The item's unit when the reminder was sent. */
  unitId: number
  /** "due-3", "overdue-1", "escalate-7"… */
  stage: string
  /** Signed working days from the due date (item_reminder's stage). */
  stageDays: number
  dueDate: CalendarDate
  audience: ReminderAudience
  personId: number | null
  /** The person on leave whose reminder this deputy (or liaison) received. */
  forPersonId: number | null
  outboxKey: string
  queuedAt: Date
  deliveredAt: Date | null
}

export const ReminderRecordSchema = new EntitySchema<ReminderRecord>({
  name: 'ReminderRecord',
  tableName: 'reminder_record',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_reminder_record_campaign', { onDelete: 'CASCADE' }),
    ledgerItemId: reference('LedgerItem', 'fk_reminder_record_item', { onDelete: 'CASCADE' }),
    unitId: integer(),
    stage: shortText(16),
    stageDays: integer(),
    dueDate: calendarDate(),
    audience: shortText(8),
    personId: reference('Person', 'fk_reminder_record_person', { nullable: true, onDelete: 'SET NULL' }),
    forPersonId: reference('Person', 'fk_reminder_record_for_person', { nullable: true, onDelete: 'SET NULL' }),
    outboxKey: shortText(191),
    queuedAt: instant(),
    deliveredAt: instant({ nullable: true }),
  },
  uniques: [{ name: 'uq_reminder_record', columns: ['ledgerItemId', 'dueDate', 'stage', 'personId'] }],
  indices: [
    { name: 'idx_reminder_record_outbox', columns: ['outboxKey'] },
    { name: 'idx_reminder_record_delivered', columns: ['campaignId', 'deliveredAt'] },
    { name: 'idx_reminder_record_unit', columns: ['campaignId', 'unitId', 'deliveredAt'] },
    { name: 'idx_reminder_record_queued', columns: ['campaignId', 'queuedAt'] },
  ],
})
