import { EntitySchema } from 'typeorm'
import { primaryId, reference } from '../columns.js'

/** A ledger item or an inspection that a typical-case circular (典型案例通报) names: exactly one of the two is set. */
export interface CircularLink {
  id: number
  circularId: number
  ledgerItemId: number | null
  inspectionId: number | null
}

export const CircularLinkSchema = new EntitySchema<CircularLink>({
  name: 'CircularLink',
  tableName: 'circular_link',
  columns: {
    id: primaryId(),
    circularId: reference('Circular', 'fk_circular_link_circular', { onDelete: 'CASCADE' }),
    ledgerItemId: reference('LedgerItem', 'fk_circular_link_item', { nullable: true, onDelete: 'CASCADE' }),
    inspectionId: reference('Inspection', 'fk_circular_link_inspection', { nullable: true, onDelete: 'CASCADE' }),
  },
  uniques: [{ name: 'uq_circular_link', columns: ['circularId', 'ledgerItemId', 'inspectionId'] }],
})
