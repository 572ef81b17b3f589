import { In, type DataSource } from 'typeorm'
import { StoredFileSchema, type Evidence, type Person } from '../../db/entities/index.js'
import { enqueue } from '../../outbox/enqueue.js'
import { countOf, evidenceFilename, evidenceLine, mediaPhrase } from '../../read-model/evidence.js'
import { beijingDate, formatWhen } from '../../time/calendar-date.js'
import { inertText } from '../../wecom/inert-text.js'
import { storedFile, storedImage } from '../../wecom/messages.js'

/** The most photos sent back at once; and voice notes and videos (as files). The rest are on the dashboard. */
export const SENT_PHOTOS = 9
export const SENT_RECORDINGS = 3

/**
 * 佐证 N for whoever may see the item (docs/evidence.md, Showing): the answer lists what there is
 * and the locations; the photos follow as image messages (a photo over 10 MB as a file), voice
 * notes and videos as files, each stored in the outbox with the answer.
 */
export async function sendEvidenceBack(ds: DataSource, viewer: Person, itemId: number, evidence: readonly Evidence[], now: Date, dashboardLink: string | null): Promise<string> {
  const today = beijingDate(now)
  const count = countOf(evidence)
  if (evidence.length === 0) return `#${itemId} 还没有整改佐证。`
  const stored = evidence.filter((e) => e.status === 'stored' && e.storedFileId !== null)
  const photos = stored.filter((e) => e.kind === 'image').slice(0, SENT_PHOTOS)
  const recordings = stored.filter((e) => e.kind === 'voice' || e.kind === 'video').slice(0, SENT_RECORDINGS)
  // Each goes under its stored file's name, the one WeCom shows for the upload (docs/evidence.md, Keeping).
  const ids = [...photos, ...recordings].map((e) => e.storedFileId!)
  const files = ids.length === 0 ? [] : await ds.getRepository(StoredFileSchema).find({ where: { id: In(ids) }, select: { id: true, filename: true } })
  const names = new Map(files.map((f) => [f.id, f.filename]))
  for (const e of [...photos, ...recordings]) {
    const name = names.get(e.storedFileId!) ?? evidenceFilename(e).filename
    const message = e.kind === 'image' ? storedImage(e.storedFileId!, name) : storedFile(e.storedFileId!, name)
    await enqueue(ds.manager, { dedupeKey: `evidence-show:${viewer.id}:${e.id}:${now.getTime()}`, subject: { kind: 'evidence', id: e.id, person: viewer.id }, to: { users: [viewer.userid] }, message, urgent: true }, now)
  }
  const lines = [`#${itemId} ${evidenceLine(count, today)}`]
  for (const place of evidence.filter((e) => e.kind === 'location').slice(0, 5)) lines.push(`位置：${place.label ? inertText(place.label) : '（无地名）'}（${place.latitude}, ${place.longitude}），${formatWhen(place.receivedAt, now)}`)
  const sent = countOf([...photos, ...recordings])
  if (photos.length + recordings.length > 0) lines.push(`随后发送${mediaPhrase(sent)}${photos.length + recordings.length < stored.filter((e) => e.kind !== 'location').length ? '（最近的几个）' : ''}。`)
  const fetching = evidence.filter((e) => e.status === 'pending').length
  if (fetching > 0) lines.push(`另有 ${fetching} 个正在保存，稍后再发「佐证 ${itemId} 查看」。`)
  if (dashboardLink) lines.push(`全部佐证：${dashboardLink}`)
  return lines.join('\n')
}
