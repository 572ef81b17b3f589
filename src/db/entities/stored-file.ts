import { EntitySchema } from 'typeorm'
import { createdAt, instant, integer, primaryId, reference, shortText } from '../columns.js'

/**
 * A file the bot sends (the monthly report workbook), stored before it is sent like any
 * message. WeCom needs it uploaded (media/upload) first; the media id is kept for reuse while
 * it is valid (3 days), so a message resent after a crash is the same request again.
 */
export interface StoredFile {
  id: number
  /** The name people see in WeCom, e.g. 2015年8月专项治理月报.xlsx. */
  filename: string
  byteSize: number
  sha256: string
  mediaId: string | null
  /** The upload type `mediaId` was made for (file or image): WeCom's ids differ by type. */
  mediaType: string | null
  /** "sha256:size" of a file stored once for all who send it (evidence, docs/evidence.md); null for a file of its own (a workbook). */
  contentKey: string | null
  mediaUploadedAt: Date | null
  createdAt: Date
}

/** One piece of a stored file's content, in order of `seq`. */
export interface StoredFileChunk {
  fileId: number
  seq: number
  data: Buffer
}

export const StoredFileSchema = new EntitySchema<StoredFile>({
  name: 'StoredFile',
  tableName: 'stored_file',
  columns: {
    id: primaryId(),
    filename: shortText(200),
    byteSize: integer(),
    sha256: shortText(64),
    mediaId: shortText(128, { nullable: true }),
    mediaType: shortText(8, { nullable: true }),
    contentKey: shortText(80, { nullable: true }),
    mediaUploadedAt: instant({ nullable: true }),
    createdAt: createdAt(),
  },
  indices: [{ name: 'uq_stored_file_content', columns: ['contentKey'], unique: true }],
})

export const StoredFileChunkSchema = new EntitySchema<StoredFileChunk>({
  name: 'StoredFileChunk',
  tableName: 'stored_file_chunk',
  columns: {
    fileId: { ...reference('StoredFile', 'fk_stored_file_chunk_file', { onDelete: 'CASCADE' }), primary: true },
    seq: { ...integer(), primary: true },
    data: { type: 'blob' },
  },
})
