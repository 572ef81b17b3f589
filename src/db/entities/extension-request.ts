import { EntitySchema } from 'typeorm'
import { calendarDate, createdAt, instant, longText, primaryId, reference, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/** expired (已失效): could no longer be approved — the item closed, or its due date moved past the one asked for. */
export type ExtensionStatus = 'pending' | 'approved' | 'denied' | 'expired'

/** 延期申请: asks for a new due date; approved or denied by org_admin. */
export interface ExtensionRequest {
  id: number
  ledgerItemId: number
  requestedById: number
  oldDueDate: CalendarDate
  newDueDate: CalendarDate
  reason: string
  status: ExtensionStatus
  decidedById: number | null
  decidedAt: Date | null
  decisionNote: string | null
  createdAt: Date
}

export const ExtensionRequestSchema = new EntitySchema<ExtensionRequest>({
  name: 'ExtensionRequest',
  tableName: 'extension_request',
  columns: {
    id: primaryId(),
    ledgerItemId: reference('LedgerItem', 'fk_extension_request_item', { onDelete: 'CASCADE' }),
    requestedById: reference('Person', 'fk_extension_request_requester'),
    oldDueDate: calendarDate(),
    newDueDate: calendarDate(),
    reason: longText(),
    status: shortText(16, { default: 'pending' }),
    decidedById: reference('Person', 'fk_extension_request_decider', { nullable: true, onDelete: 'SET NULL' }),
    decidedAt: instant({ nullable: true }),
    decisionNote: longText({ nullable: true }),
    createdAt: createdAt(),
  },
  indices: [
    { name: 'idx_extension_request_status', columns: ['status'] },
    { name: 'idx_extension_request_item', columns: ['ledgerItemId'] },
  ],
})
