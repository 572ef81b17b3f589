import type { DataSource, EntitySchema, EntityManager, ObjectLiteral } from 'typeorm'
import {
  ExtensionRequestSchema,
  LedgerItemSchema,
  ProgressUpdateSchema,
  type ExtensionRequest,
  type LedgerItem,
  type LedgerStatus,
  type ProgressUpdate,
} from '../../db/entities/index.js'

/** A ledger item as it stood at an instant, with its history up to then. */
export interface ItemAsOf extends LedgerItem {
  /** Its latest history row at or before the instant (null: none yet). */
  lastUpdate: ProgressUpdate | null
}

export interface CampaignHistory {
  items: LedgerItem[]
  updates: ProgressUpdate[]
  extensions: ExtensionRequest[]
}

/** A campaign's items, their history and extension requests, read once (filtered in memory, like unitLedgerStats). */
export async function loadCampaignHistory(ds: DataSource | EntityManager, campaignId: number): Promise<CampaignHistory> {
  const items = await ds.getRepository(LedgerItemSchema).find({ where: { campaignId }, order: { id: 'ASC' } })
  // Rows of a table keyed by ledger_item_id, for the campaign's items, oldest first.
  const ofCampaign = <T extends ObjectLiteral>(schema: EntitySchema<T>) =>
    ds
      .getRepository(schema)
      .createQueryBuilder('h')
      .innerJoin(LedgerItemSchema.options.name, 'i', 'i.id = h.ledger_item_id')
      .where('i.campaign_id = :campaignId', { campaignId })
      .orderBy('h.id', 'ASC')
      .getMany()
  const updates = await ofCampaign(ProgressUpdateSchema)
  const extensions = await ofCampaign(ExtensionRequestSchema)
  return { items, updates, extensions }
}

/**
 * The ledger as it stood at `asOf`, rebuilt from the append-only history: an item registered
 * later is left out; its status is the newStatus of its last history row at or before `asOf`
 * (or, with none, the oldStatus of its first later row, or its status today when it has no
 * history at all); an extension approved later is undone (its oldDueDate); rectifiedAt and
 * closedAt after `asOf` are cleared.
 */
export function ledgerAsOf(history: CampaignHistory, asOf: Date): ItemAsOf[] {
  const at = asOf.getTime()
  const byItem = groupBy(history.updates, (u) => u.ledgerItemId)
  const laterExtensions = groupBy(
    history.extensions.filter((e) => e.status === 'approved' && e.decidedAt !== null && e.decidedAt.getTime() > at),
    (e) => e.ledgerItemId,
  )
  const result: ItemAsOf[] = []
  for (const item of history.items) {
    if (item.createdAt.getTime() > at) continue
    const updates = byItem.get(item.id) ?? []
    const before = updates.filter((u) => u.createdAt.getTime() <= at)
    const lastUpdate = before.at(-1) ?? null
    const firstLater = updates.find((u) => u.createdAt.getTime() > at)
    const status = (lastUpdate?.newStatus ?? firstLater?.oldStatus ?? item.status) as LedgerStatus
    const undone = laterExtensions.get(item.id)?.[0]
    result.push({
      ...item,
      status,
      progress: lastUpdate?.newProgress ?? firstLater?.oldProgress ?? item.progress,
      dueDate: undone ? undone.oldDueDate : item.dueDate,
      rectifiedAt: item.rectifiedAt && item.rectifiedAt.getTime() <= at ? item.rectifiedAt : null,
      closedAt: status === 'closed' && item.closedAt && item.closedAt.getTime() <= at ? item.closedAt : null,
      lastUpdate,
    })
  }
  return result
}

function groupBy<T>(rows: T[], key: (row: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>()
  for (const row of rows) {
    const list = groups.get(key(row))
    if (list) list.push(row)
    else groups.set(key(row), [row])
  }
  return groups
}
