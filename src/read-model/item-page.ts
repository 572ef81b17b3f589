import { In, type DataSource, type EntityManager } from 'typeorm'
import { ExtensionRequestSchema, PersonSchema, type Circular, type Evidence, type ExtensionRequest, type LedgerItem } from '../db/entities/index.js'
import { typicalCaseCircularsOf } from './circulars.js'
import { countOf, itemEvidence, type EvidenceCount } from './evidence.js'
import { findingOfItem } from './inspections.js'
import { itemDetail, type ItemDetail } from './ledger-lists.js'

type Db = DataSource | EntityManager

/** The most history rows an item's page shows (an item has a few dozen at most). */
export const ITEM_HISTORY_LIMIT = 500

/** An extension request with the names of who asked and who decided. */
export interface ExtensionRow extends ExtensionRequest {
  requestedBy: string
  decidedBy: string | null
}

/**
 * One item as its dashboard page shows it (docs/dashboard.md, 事项): 详情's detail (itemDetail)
 * with the whole history, newest first, its extension requests, the finding it came from, the
 * typical-case circulars naming it, and its evidence (docs/evidence.md, What counts) with the
 * names of who sent it.
 */
export interface ItemPageData extends ItemDetail {
  extensions: ExtensionRow[]
  findingId: number | null
  circulars: Circular[]
  /** The counted evidence (pending or stored), newest first. */
  evidence: Evidence[]
  /** Its count, as evidenceCounts gives it (the same rows). */
  evidenceCount: EvidenceCount
}

export async function itemPageData(db: Db, item: LedgerItem): Promise<ItemPageData> {
  const [detail, requests, finding, circulars, evidence] = await Promise.all([
    itemDetail(db, item, ITEM_HISTORY_LIMIT),
    db.getRepository(ExtensionRequestSchema).find({ where: { ledgerItemId: item.id }, order: { id: 'DESC' } }),
    findingOfItem(db, item.id),
    typicalCaseCircularsOf(db, item.id),
    itemEvidence(db, item.id),
  ])
  const missing = [...new Set([...requests.flatMap((r) => [r.requestedById, r.decidedById]), ...evidence.map((e) => e.personId)].filter((id): id is number => id !== null && !detail.names.has(id)))]
  const names = new Map(detail.names)
  if (missing.length > 0) for (const p of await db.getRepository(PersonSchema).findBy({ id: In(missing) })) names.set(p.id, p.name)
  const name = (id: number | null) => (id === null ? null : (names.get(id) ?? '—'))
  return {
    ...detail,
    names,
    extensions: requests.map((r) => ({ ...r, requestedBy: name(r.requestedById) ?? '—', decidedBy: name(r.decidedById) })),
    findingId: finding?.id ?? null,
    circulars,
    evidence,
    evidenceCount: countOf(evidence),
  }
}
