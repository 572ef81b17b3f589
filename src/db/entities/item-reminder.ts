import { EntitySchema } from 'typeorm'
import { calendarDate, integer, reference } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/**
 * How far a ledger item's reminders have gone for a due date: the furthest stage sent, as signed
 * working days from the due date — -3 and -1 before it, 1 overdue, 3 escalated to the unit
 * head, 7 to the organization department (the default rules). A stage goes out once: the sweep
 * sends only stages beyond this one, and records the new furthest stage in the same
 * transaction as the messages. It counts only while the item keeps that due date: after an
 * approved extension (or any other change of date) the reminders start afresh. One narrow row
 * per item: the sweep reads it joined to the items it pages through, and writing it never
 * locks the ledger rows leaders are updating.
 */
export interface ItemReminder {
  ledgerItemId: number
  /** The due date the stage was counted from. */
  dueDate: CalendarDate
  stage: number
  /** The Beijing date of the sweep that sent it. */
  sentOn: CalendarDate
}

export const ItemReminderSchema = new EntitySchema<ItemReminder>({
  name: 'ItemReminder',
  tableName: 'item_reminder',
  columns: {
    ledgerItemId: { ...reference('LedgerItem', 'fk_item_reminder_item', { onDelete: 'CASCADE' }), primary: true },
    dueDate: calendarDate(),
    stage: integer(),
    sentOn: calendarDate(),
  },
})
