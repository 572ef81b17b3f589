import { EntitySchema } from 'typeorm'
import { integer, longText, primaryId, reference, shortText } from '../columns.js'

/** One topic of a meeting's agenda (kind `topic`), or one decision of its minutes (kind `decision`, its text in `topic`). */
export interface AgendaItem {
  id: number
  meetingId: number
  seq: number
  kind: 'topic' | 'decision'
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
    kind: shortText(16, { default: 'topic' }),
    topic: longText(),
    decision: longText({ nullable: true }),
    ledgerItemId: reference('LedgerItem', 'fk_agenda_item_ledger_item', { nullable: true, onDelete: 'SET NULL' }),
  },
  uniques: [{ name: 'uq_agenda_item_seq', columns: ['meetingId', 'seq'] }],
})
