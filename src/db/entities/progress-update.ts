import { EntitySchema } from 'typeorm'
import { createdAt, integer, longText, primaryId, reference, shortText } from '../columns.js'

export type ProgressKind = 'created' | 'progress' | 'rectified' | 'closed' | 'reopened' | 'extended' | 'edited'

/** 进度反馈: an append-only history row for every change of a ledger item. */
export interface ProgressUpdate {
  id: number
  ledgerItemId: number
  personId: number | null
  kind: ProgressKind
  oldStatus: string | null
  newStatus: string
  oldProgress: number | null
  newProgress: number
  note: string
  createdAt: Date
}

export const ProgressUpdateSchema = new EntitySchema<ProgressUpdate>({
  name: 'ProgressUpdate',
  tableName: 'progress_update',
  columns: {
    id: primaryId(),
    ledgerItemId: reference('LedgerItem', 'fk_progress_update_item', { onDelete: 'CASCADE' }),
    personId: reference('Person', 'fk_progress_update_person', { nullable: true, onDelete: 'SET NULL' }),
    kind: shortText(16),
    oldStatus: shortText(16, { nullable: true }),
    newStatus: shortText(16),
    oldProgress: integer({ nullable: true }),
    newProgress: integer(),
    note: longText(),
    createdAt: createdAt(),
  },
  indices: [{ name: 'idx_progress_update_item_created', columns: ['ledgerItemId', 'createdAt'] }],
})
