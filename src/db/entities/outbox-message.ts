import { EntitySchema } from 'typeorm'
import { createdAt, flag, instant, integer, longText, primaryId, shortText } from '../columns.js'

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'dead' | 'cancelled'
/**
 * 'recall': not a message but WeCom's message/recall of one sent earlier (payload {"msgid"}).
 * 'card_update': not a message but message/update_template_card of a card sent earlier (payload
 * CardUpdate, docs/cards.md); when the tap's code has expired, its fallback goes as a message.
 */
export type OutboxChannel = 'app' | 'appchat' | 'webhook' | 'reply' | 'recall' | 'card_update'

/**
 * What an outbox row is about (docs/delivery.md, Subjects): code that must find the rows of a
 * circular or a meeting asks by kind and id, never by the shape of the dedupe key. `subject_id`
 * is the id of the row named in the comment (null where there is none).
 */
export type OutboxSubjectKind =
  /** A circular's copy to one person, or to a group robot: circular.id. */
  | 'circular'
  /** The reminder to acknowledge a circular: circular.id. */
  | 'circular_reminder'
  /** A circular's recall: WeCom's message/recall of a copy (channel 'recall'), or the note to a WeChat-plugin reader: circular.id. */
  | 'circular_recall'
  /** A meeting's notice (to all, or to one person added later) and its cancellation: meeting.id. */
  | 'meeting'
  /** The announcement of a meeting's new time or place: meeting.id. */
  | 'meeting_change'
  /** The day-before and two-hour reminders of a meeting: meeting.id. */
  | 'meeting_reminder'
  /** A ledger item's news (registered, reported rectified, closed, sent back): ledger_item.id. */
  | 'item'
  /** An extension request and its decision: extension_request.id. */
  | 'extension'
  /** The reminder sweep's digest to one person, or 组织部's daily summary: no id. */
  | 'digest'
  /** The month-end workbook and its summary: campaign.id. */
  | 'monthly_report'
  /** An answer to a command: inbound_message.id (null for the greeting on entering the app). */
  | 'reply'
  /** An alert to the administrators about delivery (dead rows, undeliverable members): no id. */
  | 'alert'
  /** An inspection finding's notice to the unit (never who reported it, docs/inspections.md): inspection.id. */
  | 'inspection'
  /** A report from the public: the notice to the inspector assigned and the reminders to verify it (never who reported it, docs/inspections.md): public_report.id. */
  | 'public_report'
  /** An accountability decision's notice to the person concerned (or the unit's head), docs/inspections.md: accountability.id. */
  | 'accountability'
  /** About evidence sent in chat (docs/evidence.md): its acknowledgement or question, a failed download told, the photos sent back: evidence.id. */
  | 'evidence'
  /** Anything else (rows written before subjects whose key was not recognised, tests): no id. */
  | 'other'

export const OUTBOX_SUBJECT_KINDS: readonly OutboxSubjectKind[] = [
  'circular',
  'circular_reminder',
  'circular_recall',
  'meeting',
  'meeting_change',
  'meeting_reminder',
  'item',
  'extension',
  'digest',
  'evidence',
  'monthly_report',
  'reply',
  'alert',
  'inspection',
  'public_report',
  'accountability',
  'other',
]

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
  subjectKind: OutboxSubjectKind
  /** The id of what the row is about (see OutboxSubjectKind), or null. */
  subjectId: number | null
  /** The person the message was addressed to, when it went to one person (every row of it: parts, plain-text copy); else null. */
  personId: number | null
  /** A button card's task id (docs/cards.md, Task ids): made when the row is written, never reused; null for anything else. */
  taskId: string | null
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
    subjectKind: shortText(32, { default: 'other' }),
    subjectId: integer({ nullable: true }),
    personId: integer({ nullable: true }),
    taskId: shortText(128, { nullable: true }),
  },
  uniques: [{ name: 'uq_outbox_message_dedupe_key', columns: ['dedupeKey'] }],
  // The delivery worker asks: which pending rows are due now?
  indices: [
    { name: 'idx_outbox_message_status_next', columns: ['status', 'nextAttemptAt'] },
    // Circulars, meetings and recall ask: which rows are about this circular or meeting?
    { name: 'idx_outbox_message_subject', columns: ['subjectKind', 'subjectId'] },
    // A tap names its card by task id (docs/cards.md); never two rows with one.
    { name: 'uq_outbox_message_task_id', columns: ['taskId'], unique: true },
  ],
})
