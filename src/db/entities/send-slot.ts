import { EntitySchema } from 'typeorm'
import { flag, instant, primaryId, reference, shortText } from '../columns.js'

/**
 * One send to one recipient, recorded before the request goes to WeCom (docs/delivery.md):
 * what the per-member and per-robot budgets count, across every instance on the database, and
 * the evidence that a send of an outbox row began. `recipient` is "user:<userid>",
 * "robot:<name>" or "chat:<chatid>". Kept for WeCom's duplicate-check interval, then pruned;
 * deleted with its outbox row.
 */
export interface SendSlot {
  id: number
  recipient: string
  outboxId: number
  /** When the send began; once settled, when its answer came (WeCom took it at or before then). */
  at: Date
  /** False while the send's outcome is not recorded: in flight, or its worker died. */
  settled: boolean
  /** SHA-256 of the request's recipients and payload, for WeCom's duplicate check (app messages and replies). */
  fingerprint: string | null
}

export const SendSlotSchema = new EntitySchema<SendSlot>({
  name: 'SendSlot',
  tableName: 'send_slot',
  columns: {
    id: primaryId(),
    recipient: shortText(191),
    outboxId: reference('OutboxMessage', 'fk_send_slot_outbox', { onDelete: 'CASCADE' }),
    at: instant(),
    settled: flag(false),
    fingerprint: shortText(64, { nullable: true }),
  },
  indices: [
    // The budget asks: how many sends to this recipient since …?
    { name: 'idx_send_slot_recipient_at', columns: ['recipient', 'at'] },
    // Did a send of this row begin, and is its outcome unknown?
    { name: 'idx_send_slot_outbox', columns: ['outboxId'] },
  ],
})
