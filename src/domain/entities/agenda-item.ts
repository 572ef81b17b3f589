import { EntitySchema } from 'typeorm'
import { integer, longText, primaryId, reference } from '../../db/columns.js'

/** One topic of a meeting's agenda, and the decision taken on it. */
export interface AgendaItem {
  id: number
  meetingId: number
  seq: number
  topic: string
  decision: string | null
  /** A decision that became a ledger item. */
  ledgerItemId: number | null
}

export const AgendaItemSchema = new EntitySchema<AgendaItem>({
  name: 'AgendaItem',
  tableName: 'agenda_item',
  columns: {
    id: primaryId(),
    meetingId: reference('Meeting', 'fk_agenda_item_meeting', { onDelete: 'CASCADE' }),
    seq: integer(),
    topic: longText(),
    decision: longText({ nullable: true }),
    ledgerItemId: reference('LedgerItem', 'fk_agenda_item_ledger_item', { nullable: true, onDelete: 'SET NULL' }),
  },
  uniques: [{ name: 'uq_agenda_item_seq', columns: ['meetingId', 'seq'] }],
})
