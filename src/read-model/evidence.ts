import { In, type DataSource, type EntityManager } from 'typeorm'
import { EvidenceSchema, type Evidence, type EvidenceKind } from '../db/entities/index.js'
import { fromSqlInstant } from '../db/sql-instant.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate, type CalendarDate } from '../time/calendar-date.js'

type Db = DataSource | EntityManager

/** What people call each kind, and how they count it (照片 3 张). */
export const EVIDENCE_NAMES: Readonly<Record<EvidenceKind, { name: string; measure: string }>> = {
  image: { name: '照片', measure: '张' },
  voice: { name: '语音', measure: '条' },
  video: { name: '视频', measure: '段' },
  location: { name: '位置', measure: '个' },
}

const KIND_ORDER: readonly EvidenceKind[] = ['image', 'voice', 'video', 'location']

/**
 * An item's evidence as everything shows it (docs/evidence.md, What counts): what was attached and
 * is kept or still being fetched; media refused as too large or lost after 3 days do not count.
 */
export interface EvidenceCount {
  image: number
  voice: number
  video: number
  location: number
  /** When the latest one was received. */
  latest: Date | null
}

/** Statuses that count as evidence. */
export const COUNTED_STATUSES = ['pending', 'stored'] as const

export const noEvidence = (): EvidenceCount => ({ image: 0, voice: 0, video: 0, location: 0, latest: null })

/** The count of a list of evidence rows. */
export function countOf(evidence: readonly Pick<Evidence, 'kind' | 'receivedAt'>[]): EvidenceCount {
  const count = noEvidence()
  for (const e of evidence) {
    count[e.kind] += 1
    if (!count.latest || e.receivedAt.getTime() > count.latest.getTime()) count.latest = e.receivedAt
  }
  return count
}

export const evidenceTotal = (count: EvidenceCount): number => count.image + count.voice + count.video + count.location

/** Each item's evidence count, for these items (items without any are absent). */
export async function evidenceCounts(db: Db, itemIds: readonly number[]): Promise<Map<number, EvidenceCount>> {
  const counts = new Map<number, EvidenceCount>()
  for (let i = 0; i < itemIds.length; i += 1000) {
    const chunk = itemIds.slice(i, i + 1000)
    const rows = (await db
      .getRepository(EvidenceSchema)
      .createQueryBuilder('e')
      .select('e.ledger_item_id', 'item')
      .addSelect('e.kind', 'kind')
      .addSelect('COUNT(*)', 'n')
      .addSelect('MAX(e.received_at)', 'latest')
      .where('e.ledger_item_id IN (:...chunk)', { chunk })
      .andWhere('e.status IN (:...counted)', { counted: COUNTED_STATUSES })
      .groupBy('e.ledger_item_id')
      .addGroupBy('e.kind')
      .getRawMany()) as { item: number; kind: EvidenceKind; n: number | string; latest: Date | string }[]
    for (const row of rows) {
      const item = Number(row.item)
      const count = counts.get(item) ?? noEvidence()
      if (!(row.kind in EVIDENCE_NAMES)) continue
      count[row.kind] += Number(row.n)
      const latest = fromSqlInstant(row.latest)!
      if (!count.latest || latest.getTime() > count.latest.getTime()) count.latest = latest
      counts.set(item, count)
    }
  }
  return counts
}

/** One item's evidence count. */
export async function evidenceCount(db: Db, itemId: number): Promise<EvidenceCount> {
  return (await evidenceCounts(db, [itemId])).get(itemId) ?? noEvidence()
}

/** "照片 3 张、语音 1 条": what a set of media is, in the order people read it; '' for none. */
export function mediaPhrase(count: Omit<EvidenceCount, 'latest'>, measures = true): string {
  return KIND_ORDER.filter((kind) => count[kind] > 0)
    .map((kind) => `${EVIDENCE_NAMES[kind].name} ${count[kind]}${measures ? ` ${EVIDENCE_NAMES[kind].measure}` : ''}`)
    .join('、')
}

/** "佐证：照片 3、语音 1、位置 1，最近 12月5日" (详情, the verify card), or "佐证：无". */
export function evidenceLine(count: EvidenceCount, today: CalendarDate): string {
  if (evidenceTotal(count) === 0 || !count.latest) return '佐证：无'
  return `佐证：${mediaPhrase(count, false)}，最近 ${formatChineseDate(beijingDate(count.latest), today)}`
}

/** An item's evidence, newest first, as the dashboard and 佐证 N show it (counted statuses only). */
export async function itemEvidence(db: Db, itemId: number): Promise<Evidence[]> {
  return db.getRepository(EvidenceSchema).find({ where: { ledgerItemId: itemId, status: In([...COUNTED_STATUSES]) }, order: { receivedAt: 'DESC', id: 'DESC' } })
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'audio/amr': 'amr',
  'voice/amr': 'amr',
  'audio/mpeg': 'mp3',
  'video/mp4': 'mp4',
}

/** The type an evidence file was given, as one word (image/jpg is what some senders call JPEG); '' when none. */
export function evidenceType(e: Pick<Evidence, 'contentType'>): string {
  const declared = e.contentType?.split(';')[0]?.trim().toLowerCase() ?? ''
  return declared === 'image/jpg' ? 'image/jpeg' : declared
}

/**
 * What an evidence file is called when it is sent back (佐证 N) or downloaded from the dashboard:
 * 佐证-照片-20151205-1032.jpg (Beijing time), with its extension.
 */
export function evidenceFilename(e: Pick<Evidence, 'kind' | 'contentType' | 'format' | 'receivedAt'>): { filename: string; extension: string } {
  const format = e.format && /^[a-z0-9]{1,8}$/i.test(e.format) ? e.format.toLowerCase() : 'amr'
  const extension = EXTENSIONS[evidenceType(e)] ?? (e.kind === 'voice' ? format : e.kind === 'video' ? 'mp4' : e.kind === 'image' ? 'jpg' : 'bin')
  const when = formatBeijingDateTime(e.receivedAt).replace(/\//g, '').replace(' ', '-').replace(':', '')
  return { filename: `佐证-${EVIDENCE_NAMES[e.kind].name}-${when}.${extension}`, extension }
}
