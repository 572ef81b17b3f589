import type { DataSource, EntityManager } from 'typeorm'
import { EvidenceSchema, StoredFileSchema, type Evidence } from '../../db/entities/index.js'
import { retryOnDeadlock } from '../../db/retry-on-deadlock.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { sqlInstant } from '../../db/sql-instant.js'
import { describeError } from '../../describe-error.js'
import type { Logger } from '../../logger.js'
import { enqueue } from '../../outbox/enqueue.js'
import { MIN_FILE_BYTES, storeFileOnce } from '../../outbox/stored-files.js'
import { EVIDENCE_NAMES, evidenceFilename } from '../../read-model/evidence.js'
import { formatWhen } from '../../time/calendar-date.js'
import { text } from '../../wecom/messages.js'

/** The bytes of a media id: WeCom's media/get, or console mode's folder (docs/evidence.md, Keeping). */
export type MediaFetcher = (mediaId: string, maxBytes: number) => Promise<{ bytes: Buffer; contentType: string; filename: string | null }>

/** Why a fetch will never succeed: too large, or the id is no longer known (expired). */
export type FetchRefusal = 'too_large' | 'expired' | null

/** A media id is downloadable for 3 days from the message (docs/wecom.md, Media people send). */
export const MEDIA_LIFETIME_MS = 3 * 24 * 3600_000

/** While one instance downloads a row, the others leave it alone this long. */
const LEASE_MS = 2 * 60_000

/** After each failed try, the next is this much later (the last repeats until the id expires). */
const RETRY_AFTER_MS = [30_000, 2 * 60_000, 10 * 60_000, 60 * 60_000, 3 * 3600_000, 6 * 3600_000]

export interface DownloadSettings {
  fetch: MediaFetcher
  /** Which fetch failures are final (too large, expired); any other is tried again. */
  refusal: (error: unknown) => FetchRefusal
  maxBytes: number
  logger: Logger
}

export interface DownloadRound {
  stored: number
  retried: number
  refused: number
}

/**
 * Downloads the evidence due, a few at a time (docs/evidence.md, Keeping): each row is claimed
 * by moving its next attempt past a lease, so two instances never fetch the same one; the bytes
 * are stored once per content (a photo sent twice shares one stored file); a failure is tried
 * again later until the id's 3 days are over; a file over the limit or an id WeCom no longer
 * knows is final, and the sender is told.
 */
export async function downloadDueEvidence(ds: DataSource, settings: DownloadSettings, now: Date, limit = 8): Promise<DownloadRound> {
  const due = (await ds.query(`SELECT id FROM evidence WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ${Number(limit)}`, [sqlInstant(ds, now)])) as { id: number }[]
  const round: DownloadRound = { stored: 0, retried: 0, refused: 0 }
  await Promise.all(
    due.map(async ({ id }) => {
      const row = await claim(ds, Number(id), now)
      if (!row) return
      const outcome = await downloadOne(ds, settings, row, now)
      round[outcome] += 1
    }),
  )
  return round
}

/** Takes a due row for this instance: null when another took it first. */
async function claim(ds: DataSource, id: number, now: Date): Promise<Evidence | null> {
  const result = await ds
    .createQueryBuilder()
    .update(EvidenceSchema)
    .set({ nextAttemptAt: new Date(now.getTime() + LEASE_MS), attempts: () => 'attempts + 1' })
    .where("id = :id AND status = 'pending' AND next_attempt_at <= :now", { id, now: sqlInstant(ds, now) })
    .execute()
  if (!result.affected) return null
  return ds.getRepository(EvidenceSchema).findOneBy({ id })
}

async function downloadOne(ds: DataSource, settings: DownloadSettings, row: Evidence, now: Date): Promise<keyof DownloadRound> {
  const { logger } = settings
  let media: Awaited<ReturnType<MediaFetcher>>
  try {
    media = await settings.fetch(row.mediaId!, settings.maxBytes)
  } catch (error) {
    const refusal = settings.refusal(error) ?? (now.getTime() - row.receivedAt.getTime() >= MEDIA_LIFETIME_MS ? 'expired' : null)
    if (refusal) {
      logger.warn({ evidenceId: row.id, refusal, err: error }, 'evidence not downloaded: told the sender')
      await retryOnDeadlock(() => ds.transaction((manager) => refuse(manager, row, refusal, settings.maxBytes, now)))
      return 'refused'
    }
    const retryAt = new Date(now.getTime() + (RETRY_AFTER_MS[Math.min(row.attempts, RETRY_AFTER_MS.length) - 1] ?? RETRY_AFTER_MS[0]!))
    logger.warn({ evidenceId: row.id, attempts: row.attempts, retryAt, err: error }, 'evidence download failed: tried again later')
    await ds.getRepository(EvidenceSchema).update({ id: row.id, status: 'pending' }, { nextAttemptAt: retryAt, lastError: describeError(error).slice(0, 200) })
    return 'retried'
  }
  if (media.bytes.length < MIN_FILE_BYTES) {
    // Nothing a phone sends is this small: an empty or broken file, final (WeCom would refuse to send it back).
    logger.warn({ evidenceId: row.id, bytes: media.bytes.length }, 'evidence file empty: told the sender')
    await retryOnDeadlock(() => ds.transaction((manager) => refuse(manager, row, 'empty', settings.maxBytes, now)))
    return 'refused'
  }
  try {
    await retryOnDeadlock(() => ds.transaction((manager) => keep(manager, row, media)))
  } catch (error) {
    // The database, not the download, failed: the lease runs out and the row is tried again, while the id lives.
    logger.error({ evidenceId: row.id, err: error }, 'evidence downloaded but not stored: tried again later')
    if (now.getTime() - row.receivedAt.getTime() >= MEDIA_LIFETIME_MS) await retryOnDeadlock(() => ds.transaction((manager) => refuse(manager, row, 'expired', settings.maxBytes, now)))
    return 'retried'
  }
  logger.info({ evidenceId: row.id, bytes: media.bytes.length }, 'evidence stored')
  return 'stored'
}

/**
 * Stores the bytes once per content and marks the row stored, in one transaction. The row is
 * locked first: one cancelled meanwhile (取消) is gone, and nothing is stored for it.
 */
async function keep(manager: EntityManager, row: Evidence, media: Awaited<ReturnType<MediaFetcher>>): Promise<void> {
  const current = await findOneForUpdate(manager, EvidenceSchema, { id: row.id })
  if (!current || current.status !== 'pending') return
  // Named as it is sent back, never by the sender's own file name: one file may serve several people.
  const fileId = await storeFileOnce(manager, { filename: evidenceFilename({ ...row, contentType: media.contentType }).filename, content: media.bytes })
  await manager.update(EvidenceSchema, { id: row.id }, { status: 'stored', storedFileId: fileId, contentType: media.contentType.slice(0, 100), byteSize: media.bytes.length, nextAttemptAt: null, lastError: null })
}

/** A final failure: the row says why, and its sender is told (once: the key is the row's). */
async function refuse(manager: EntityManager, row: Evidence, refusal: 'too_large' | 'expired' | 'empty', maxBytes: number, now: Date): Promise<void> {
  const current = await findOneForUpdate(manager, EvidenceSchema, { id: row.id })
  if (!current || current.status !== 'pending') return
  await manager.update(EvidenceSchema, { id: row.id }, { status: refusal, nextAttemptAt: null })
  const person = (await manager.query('SELECT userid FROM person WHERE id = ?', [row.personId])) as { userid: string }[]
  if (!person[0]) return
  const what = `您${formatWhen(row.receivedAt, now)}发送的${EVIDENCE_NAMES[row.kind].name}`
  const forItem = row.ledgerItemId === null ? '' : `（#${row.ledgerItemId} 的佐证）`
  const why = {
    too_large: `超过 ${Math.floor(maxBytes / 1024 / 1024)} MB 的上限，没有保存${forItem}。请压缩后重新发送。`,
    expired: `没能保存${forItem}：企业微信只保留 3 天，已无法下载。请重新发送。`,
    empty: `是空文件，没有保存${forItem}。请重新发送。`,
  }[refusal]
  await enqueue(manager, { dedupeKey: `evidence-lost:${row.id}`, subject: { kind: 'evidence', id: row.id, person: row.personId }, to: { users: [person[0].userid] }, message: text(`${what}${why}`), urgent: true }, now)
}
