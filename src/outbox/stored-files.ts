import { createHash } from 'node:crypto'
import type { DataSource, EntityManager } from 'typeorm'
import { StoredFileChunkSchema, StoredFileSchema, type StoredFile } from '../db/entities/index.js'
import { insertIgnoringDuplicate } from '../db/insert-ignoring-duplicate.js'
import { findOneForShare } from '../db/row-lock.js'

/** A file to send: what people see it called, and its bytes. */
export interface Attachment {
  filename: string
  content: Uint8Array
}

/** A BLOB holds 65,535 bytes on MySQL. */
export const CHUNK_BYTES = 60_000

/** WeCom keeps an uploaded file for 3 days (docs/wecom.md, Media); reused for two, to be safe. */
const MEDIA_REUSE_MS = 2 * 24 * 3600_000

/** WeCom's media/upload takes files up to 20 MB. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024

/** Stores a file inside the caller's transaction, to be sent by the outbox. Returns its id. */
export async function storeFile(manager: EntityManager, file: Attachment): Promise<number> {
  const content = contentOf(file)
  const saved = await manager.getRepository(StoredFileSchema).save(fileRow(file.filename, content, null))
  await writeChunks(manager, saved.id, content)
  return saved.id
}

/**
 * Stores a file once for everyone who sends the same bytes (evidence, docs/evidence.md): the id of
 * the file with the same content key (digest and size) if there is one, else a new one. Two
 * transactions storing the same bytes at once meet on the key's unique index: the second waits
 * for the first and then takes its file (and stores its own if the first rolled back).
 */
export async function storeFileOnce(manager: EntityManager, file: Attachment): Promise<number> {
  const content = contentOf(file)
  const row = fileRow(file.filename, content, null)
  const contentKey = `${row.sha256}:${content.length}`
  // Share-locked: retention cannot delete the file between finding it here and the caller pointing at it.
  const existing = async () => (await findOneForShare(manager, StoredFileSchema, { contentKey }))?.id
  const found = await existing()
  if (found !== undefined) return found
  const inserted = await insertIgnoringDuplicate(manager, StoredFileSchema, { ...row, contentKey }, 'content_key')
  const id = await existing()
  if (id === undefined) throw new Error(`stored file with content key ${contentKey} is missing after it was inserted`)
  if (inserted) await writeChunks(manager, id, content)
  return id
}

/** WeCom's media/upload refuses a file of 5 bytes or fewer. */
export const MIN_FILE_BYTES = 6

function contentOf(file: Attachment): Buffer {
  // The file's name is not in the message: it may be a person's (docs/logging.md).
  if (file.content.length < MIN_FILE_BYTES || file.content.length > MAX_FILE_BYTES) throw new Error(`a file to send must be 6 bytes to 20 MB: this one has ${file.content.length}`)
  return Buffer.from(file.content.buffer, file.content.byteOffset, file.content.length)
}

const fileRow = (filename: string, content: Buffer, contentKey: string | null) => ({
  filename,
  byteSize: content.length,
  sha256: createHash('sha256').update(content).digest('hex'),
  contentKey,
  mediaId: null,
  mediaType: null,
  mediaUploadedAt: null,
})

async function writeChunks(manager: EntityManager, fileId: number, content: Buffer): Promise<void> {
  const chunks = []
  for (let offset = 0, seq = 0; offset < content.length; offset += CHUNK_BYTES, seq += 1) {
    chunks.push({ fileId, seq, data: content.subarray(offset, offset + CHUNK_BYTES) })
  }
  // A few chunks per statement: MySQL's max_allowed_packet is 16 MB by default (MariaDB 10.11).
  for (let i = 0; i < chunks.length; i += 32) await manager.getRepository(StoredFileChunkSchema).insert(chunks.slice(i, i + 32))
}

/** A stored file and its content, checked against the length and digest stored with it. */
export async function readStoredFile(db: DataSource | EntityManager, id: number): Promise<StoredFile & { content: Buffer }> {
  const file = await findStoredFile(db, id)
  return { ...file, content: await readContent(db, file) }
}

async function findStoredFile(db: DataSource | EntityManager, id: number): Promise<StoredFile> {
  const file = await db.getRepository(StoredFileSchema).findOneBy({ id })
  if (!file) throw new Error(`stored file #${id} is missing`)
  return file
}

async function readContent(db: DataSource | EntityManager, file: StoredFile): Promise<Buffer> {
  const chunks = await db.getRepository(StoredFileChunkSchema).find({ where: { fileId: file.id }, order: { seq: 'ASC' } })
  const content = Buffer.concat(chunks.map((c) => Buffer.from(c.data)))
  if (content.length !== file.byteSize || createHash('sha256').update(content).digest('hex') !== file.sha256) {
    throw new Error(`stored file #${file.id} (${file.filename}) is damaged: its content does not match its length and digest`)
  }
  return content
}

/**
 * The WeCom media id of a stored file: the one uploaded earlier while WeCom still keeps it,
 * otherwise a fresh upload, remembered. A file message resent after a crash then carries the
 * same media id, so WeCom's duplicate check recognises it.
 */
export async function mediaIdFor(
  dataSource: DataSource,
  id: number,
  type: UploadType,
  upload: (type: UploadType, filename: string, content: Buffer) => Promise<string>,
  now: Date,
): Promise<string> {
  const file = await findStoredFile(dataSource, id)
  // An id is for the type it was uploaded as (a file uploaded before types were kept was a file).
  const sameType = (file.mediaType ?? 'file') === type
  if (file.mediaId && sameType && file.mediaUploadedAt && now.getTime() - file.mediaUploadedAt.getTime() < MEDIA_REUSE_MS) return file.mediaId
  const mediaId = await upload(type, file.filename, await readContent(dataSource, file))
  await dataSource.getRepository(StoredFileSchema).update({ id }, { mediaId, mediaType: type, mediaUploadedAt: now })
  return mediaId
}

/** How a stored file is uploaded to be sent: as a file, or as an image (docs/wecom.md, Media). */
export type UploadType = 'file' | 'image'

/** WeCom takes images up to 10 MB (media/upload); a larger photo is sent as a file. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024

/** The upload type a stored photo goes as: image, or file when it is over the image limit. */
export async function imageUploadType(db: DataSource | EntityManager, id: number): Promise<UploadType> {
  return (await findStoredFile(db, id)).byteSize > MAX_IMAGE_BYTES ? 'file' : 'image'
}
