import { EntitySchema } from 'typeorm'
import { instant, longText, primaryId, shortText } from '../columns.js'

/** received → processed | failed; ignored (nothing to do); unregistered (sender not in the roster, kept for the administrators). */
export type InboundStatus = 'received' | 'processed' | 'failed' | 'ignored' | 'unregistered'
export type ReplyVia = 'passive' | 'outbox'

/** 收件记录: every callback accepted, for de-duplication (unique key) and audit. */
export interface InboundMessage {
  id: number
  /** MsgId for messages (a 64-bit number, kept as a string); sender+time+event fields for events. */
  dedupeKey: string
  msgId: string | null
  fromUser: string
  msgType: string
  event: string | null
  content: string | null
  status: InboundStatus
  error: string | null
  /** The answer's text (or JSON for a non-text message), stored before it leaves. */
  reply: string | null
  replyVia: ReplyVia | null
  receivedAt: Date
  processedAt: Date | null
}

export const InboundMessageSchema = new EntitySchema<InboundMessage>({
  name: 'InboundMessage',
  tableName: 'inbound_message',
  columns: {
    id: primaryId(),
    dedupeKey: shortText(191),
    msgId: shortText(32, { nullable: true }),
    fromUser: shortText(64),
    msgType: shortText(32),
    event: shortText(64, { nullable: true }),
    content: longText({ nullable: true }),
    status: shortText(16, { default: 'received' }),
    error: longText({ nullable: true }),
    reply: longText({ nullable: true }),
    replyVia: shortText(16, { nullable: true }),
    receivedAt: instant(),
    processedAt: instant({ nullable: true }),
  },
  uniques: [{ name: 'uq_inbound_message_dedupe_key', columns: ['dedupeKey'] }],
  indices: [{ name: 'idx_inbound_message_from_received', columns: ['fromUser', 'receivedAt'] }],
})
