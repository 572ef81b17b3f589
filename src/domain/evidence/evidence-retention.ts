import { In, type DataSource, type EntityManager } from 'typeorm'
import { CampaignSchema, EvidenceSchema, StoredFileSchema } from '../../db/entities/index.js'
import { isMysql, sqlInstant } from '../../db/sql-instant.js'

/** Media sent with no item named and never attached are dropped after this many days (docs/evidence.md, Retention). */
export const WAITING_DAYS = 7

const DAY_MS = 24 * 3600_000

/**
 * Retention (docs/evidence.md): the evidence of items closed more than the campaign's
 * evidence_retention_days ago, and media that waited a week for an item never named, are
 * deleted; a stored file goes with its last evidence row (files of anything else — the monthly
 * workbook — are never touched). Campaigns without the setting keep everything.
 */
export async function pruneEvidence(ds: DataSource, now: Date): Promise<{ evidence: number; files: number }> {
  const doomed: { id: number; stored_file_id: number | null }[] = []
  for (const campaign of await ds.getRepository(CampaignSchema).find({ select: { id: true, evidenceRetentionDays: true } })) {
    if (campaign.evidenceRetentionDays === null) continue
    const cutoff = new Date(now.getTime() - campaign.evidenceRetentionDays * DAY_MS)
    doomed.push(
      ...((await ds.query(
        `SELECT e.id, e.stored_file_id FROM evidence e JOIN ledger_item i ON i.id = e.ledger_item_id
         WHERE i.campaign_id = ? AND i.status = 'closed' AND i.closed_at IS NOT NULL AND i.closed_at < ?`,
        [campaign.id, sqlInstant(ds, cutoff)],
      )) as typeof doomed),
    )
  }
  doomed.push(...((await ds.query('SELECT id, stored_file_id FROM evidence WHERE ledger_item_id IS NULL AND received_at < ?', [sqlInstant(ds, new Date(now.getTime() - WAITING_DAYS * DAY_MS))])) as typeof doomed))
  let files = 0
  for (let i = 0; i < doomed.length; i += 500) {
    const batch = doomed.slice(i, i + 500)
    files += await ds.transaction((manager) => deleteEvidenceRows(manager, batch))
  }
  return { evidence: doomed.length, files }
}

/**
 * Deletes evidence rows, and each stored file no other evidence row uses any more (its chunks
 * go with it, ON DELETE CASCADE); files of anything else (the monthly workbook) are never among
 * them. Returns the files deleted.
 */
export async function deleteEvidenceRows(manager: EntityManager, rows: readonly { id: number; stored_file_id: number | null }[]): Promise<number> {
  if (rows.length === 0) return 0
  await manager.delete(EvidenceSchema, { id: In(rows.map((row) => Number(row.id))) })
  const candidates = [...new Set(rows.map((row) => row.stored_file_id).filter((id): id is number => id !== null).map(Number))]
  if (candidates.length === 0) return 0
  const marks = candidates.map(() => '?').join(', ')
  // Locked before they are looked up: a download pointing a new row at one of them (it holds the
  // file shared, storeFileOnce) finishes first and is seen, or waits and finds the file gone.
  if (isMysql(manager)) await manager.query(`SELECT id FROM stored_file WHERE id IN (${marks}) FOR UPDATE`, candidates)
  const still = (await manager.query(`SELECT DISTINCT stored_file_id AS id FROM evidence WHERE stored_file_id IN (${marks})`, candidates)) as { id: number }[]
  const kept = new Set([...still.map((row) => Number(row.id)), ...(await filesWaitingToBeSent(manager))])
  const orphans = candidates.filter((id) => !kept.has(id))
  if (orphans.length > 0) await manager.delete(StoredFileSchema, { id: In(orphans) })
  return orphans.length
}

/** Stored files that outbox messages not yet sent will send (photos 佐证 N sends back, a workbook). */
async function filesWaitingToBeSent(manager: EntityManager): Promise<number[]> {
  const rows = (await manager.query("SELECT payload FROM outbox_message WHERE status IN ('pending', 'sending') AND msg_type IN ('file', 'image')")) as { payload: string }[]
  return rows.flatMap((row) => {
    const message = JSON.parse(row.payload) as { file?: { stored_file_id?: number }; image?: { stored_file_id?: number } }
    const id = message.file?.stored_file_id ?? message.image?.stored_file_id
    return id === undefined ? [] : [Number(id)]
  })
}
