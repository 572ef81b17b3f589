import { EntitySchema } from 'typeorm'
import { instant, primaryId, reference } from '../columns.js'

/** One recipient's copy of a circular and whether they acknowledged it (收到). */
export interface CircularReceipt {
  id: number
  circularId: number
  personId: number
  unitId: number | null
  outboxMessageId: number | null
  acknowledgedAt: Date | null
  remindedAt: Date | null
}

export const CircularReceiptSchema = new EntitySchema<CircularReceipt>({
  name: 'CircularReceipt',
  tableName: 'circular_receipt',
  columns: {
    id: primaryId(),
    circularId: reference('Circular', 'fk_circular_receipt_circular', { onDelete: 'CASCADE' }),
    personId: reference('Person', 'fk_circular_receipt_person', { onDelete: 'CASCADE' }),
    unitId: reference('Unit', 'fk_circular_receipt_unit', { nullable: true, onDelete: 'SET NULL' }),
    outboxMessageId: reference('OutboxMessage', 'fk_circular_receipt_outbox', { nullable: true, onDelete: 'SET NULL' }),
    acknowledgedAt: instant({ nullable: true }),
    remindedAt: instant({ nullable: true }),
  },
  uniques: [{ name: 'uq_circular_receipt_person', columns: ['circularId', 'personId'] }],
})
