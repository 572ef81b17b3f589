import { EntitySchema } from 'typeorm'
import { createdAt, flag, instant, integer, longText, primaryId, shortText } from '../../db/columns.js'

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'dead' | 'cancelled'
/** 'recall': not a message but WeCom's message/recall of one sent earlier (payload {"msgid"}). */
export type OutboxChannel = 'app' | 'appchat' | 'webhook' | 'reply' | 'recall'

/**
 * 发件箱: every message the bot will send, stored before it is sent (docs/architecture.md, rule 1).
 * `dedupeKey` is unique: a second enqueue with the same key is a no-op.
 */
export interface OutboxMessage {
  id: number
  dedupeKey: string
  channel: OutboxChannel
  /** JSON: {"touser":["zhangsan"]} or {"toparty":[…]}, {"chatid":"…"}, {"robot":"…"}. */
  recipients: string
  msgType: string
  /** JSON body of the WeCom message (text, markdown, textcard, template_card, file…). */
  payload: string
  status: OutboxStatus
  /** Urgent messages are not held back by quiet hours. */
  urgent: boolean
  attempts: number
  nextAttemptAt: Date
  claimedAt: Date | null
  claimedBy: string | null
  lastError: string | null
  wecomMsgid: string | null
  sentAt: Date | null
  createdAt: Date
}

export const OutboxMessageSchema = new EntitySchema<OutboxMessage>({
  name: 'OutboxMessage',
  tableName: 'outbox_message',
  columns: {
    id: primaryId(),
    dedupeKey: shortText(191),
    channel: shortText(16),
    recipients: longText(),
    msgType: shortText(32),
    payload: longText(),
    status: shortText(16, { default: 'pending' }),
    urgent: flag(false),
    attempts: integer({ default: 0 }),
    nextAttemptAt: instant(),
    claimedAt: instant({ nullable: true }),
    claimedBy: shortText(100, { nullable: true }),
    lastError: longText({ nullable: true }),
    wecomMsgid: shortText(128, { nullable: true }),
    sentAt: instant({ nullable: true }),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'uq_outbox_message_dedupe_key', columns: ['dedupeKey'] }],
  // The delivery worker asks: which pending rows are due now?
  indices: [{ name: 'idx_outbox_message_status_next', columns: ['status', 'nextAttemptAt'] }],
})
