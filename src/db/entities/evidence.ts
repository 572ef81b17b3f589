import { EntitySchema } from 'typeorm'
import { instant, integer, primaryId, reference, shortText } from '../columns.js'

export const EVIDENCE_KINDS = ['image', 'voice', 'video', 'location'] as const
/** What a person sent (docs/evidence.md): 照片, 语音, 视频, 位置. */
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number]

/**
 * pending: to be downloaded (next_attempt_at); stored: kept (a location has nothing to download);
 * too_large: over the size limit, refused; expired: WeCom no longer had it (3 days); empty: a file
 * of a few bytes at most. The last three were told to the sender and are not counted as evidence.
 */
export type EvidenceStatus = 'pending' | 'stored' | 'too_large' | 'expired' | 'empty'

/**
 * 整改佐证: one photo, voice note, video or location a person sent in chat (docs/evidence.md).
 * Attached to a ledger item, or waiting (null) until its sender says which item it is for.
 */
export interface Evidence {
  id: number
  ledgerItemId: number | null
  personId: number
  /** The callback message's key (inbound_message.dedupe_key): a message is evidence once. */
  dedupeKey: string
  kind: EvidenceKind
  /** WeCom's media id, downloadable for 3 days; null for a location. */
  mediaId: string | null
  /** A voice note's format as WeCom gave it (amr). */
  format: string | null
  /** A location's coordinates as WeCom wrote them (decimal text, never a float's rounding). */
  latitude: string | null
  longitude: string | null
  scale: number | null
  label: string | null
  status: EvidenceStatus
  /** The downloaded bytes (stored_file), shared by every evidence row with the same content. */
  storedFileId: number | null
  contentType: string | null
  byteSize: number | null
  attempts: number
  /** A pending download's next try (also its lease while one instance downloads it). */
  nextAttemptAt: Date | null
  lastError: string | null
  /** The outbox key of the message that acknowledged it (one per burst of media: docs/evidence.md). */
  ackKey: string | null
  receivedAt: Date
  attachedAt: Date | null
}

/** The item a person's media go to until `until`, opened by 进度, 完成, their buttons and 佐证 N. */
export interface EvidenceWindow {
  id: number
  personId: number
  ledgerItemId: number
  until: Date
}

export const EvidenceSchema = new EntitySchema<Evidence>({
  name: 'Evidence',
  tableName: 'evidence',
  columns: {
    id: primaryId(),
    ledgerItemId: reference('LedgerItem', 'fk_evidence_item', { nullable: true, onDelete: 'CASCADE' }),
    personId: reference('Person', 'fk_evidence_person', { onDelete: 'CASCADE' }),
    dedupeKey: shortText(191),
    kind: shortText(16),
    mediaId: shortText(256, { nullable: true }),
    format: shortText(16, { nullable: true }),
    latitude: shortText(32, { nullable: true }),
    longitude: shortText(32, { nullable: true }),
    scale: integer({ nullable: true }),
    label: shortText(200, { nullable: true }),
    status: shortText(16),
    storedFileId: reference('StoredFile', 'fk_evidence_file', { nullable: true, onDelete: 'SET NULL' }),
    contentType: shortText(100, { nullable: true }),
    byteSize: integer({ nullable: true }),
    attempts: integer({ default: 0 }),
    nextAttemptAt: instant({ nullable: true }),
    lastError: shortText(200, { nullable: true }),
    ackKey: shortText(191, { nullable: true }),
    receivedAt: instant(),
    attachedAt: instant({ nullable: true }),
  },
  uniques: [{ name: 'uq_evidence_dedupe_key', columns: ['dedupeKey'] }],
  indices: [
    { name: 'idx_evidence_status_next', columns: ['status', 'nextAttemptAt'] },
    { name: 'idx_evidence_item', columns: ['ledgerItemId'] },
    { name: 'idx_evidence_person_item', columns: ['personId', 'ledgerItemId'] },
  ],
})

export const EvidenceWindowSchema = new EntitySchema<EvidenceWindow>({
  name: 'EvidenceWindow',
  tableName: 'evidence_window',
  columns: {
    id: primaryId(),
    personId: reference('Person', 'fk_evidence_window_person', { onDelete: 'CASCADE' }),
    ledgerItemId: reference('LedgerItem', 'fk_evidence_window_item', { onDelete: 'CASCADE' }),
    until: instant(),
  },
  uniques: [{ name: 'uq_evidence_window_person', columns: ['personId'] }],
})
