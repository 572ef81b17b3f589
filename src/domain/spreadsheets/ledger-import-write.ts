import type { DataSource } from 'typeorm'
import { addCampaignUnit } from '../campaign/create-campaign.js'
import { LedgerItemSchema, ProgressUpdateSchema, type LedgerItem } from '../../db/entities/index.js'
import { problemKey } from '../../db/problem-key.js'
import { isUniqueViolation } from '../../db/database-error.js'
import { isMysql } from '../../db/sql-instant.js'
import { UserFacingError } from '../../errors.js'
import type { ImportResult } from './import-report.js'
import type { PlannedItem } from './ledger-import-plan.js'

type Manager = DataSource['manager']

/** The checked rows to write (or, in a dry run, to count), and the counts so far. */
export interface LedgerWrite {
  campaignId: number
  planned: readonly PlannedItem[]
  /** The campaign's items as first read: a dry run compares with these. */
  byId: ReadonlyMap<number, LedgerItem>
  /** False in a dry run: only counted. */
  write: boolean
  result: ImportResult
  onProgress?: (done: number, total: number) => void
}

/**
 * Creates and updates the items, each change with its history row, and adds their units to the
 * campaign. Called inside the import's one transaction (or, in a dry run, only counting).
 */
export async function writeLedger(manager: Manager, plan: LedgerWrite): Promise<void> {
  const { planned, write } = plan
  const created: number[] = []
  const edited: LedgerItem[] = []
  // The items this import updates, read again and locked: a 完成 or 进度 committed since the
  // first read is what the history rows start from, and none lands while the import writes.
  const current = write ? await lockItems(manager, planned.flatMap((p) => (p.id !== null && plan.byId.has(p.id) ? [p.id] : []))) : plan.byId
  for (const [index, item] of planned.entries()) {
    plan.onProgress?.(index + 1, planned.length)
    const known = item.id === null ? undefined : current.get(item.id)
    if (!known) {
      plan.result.created += 1
      if (write) created.push(await insertItem(manager, plan.campaignId, item))
      continue
    }
    if (await updateItem(manager, plan, known, item)) edited.push(known)
  }
  plan.result.updatedIds?.push(...edited.map((item) => item.id))
  if (!write) return
  plan.result.createdIds?.push(...created)
  await insertHistory(manager, created, edited)
  for (const unitId of new Set(planned.map((p) => p.unitId))) await addCampaignUnit(manager, plan.campaignId, unitId, 'participant')
}

function fields(p: PlannedItem) {
  return {
    unitId: p.unitId,
    categoryId: p.categoryId,
    problem: p.problem,
    measures: p.measures,
    target: p.target,
    dueDate: p.dueDate,
    responsibleDepartment: p.department,
    responsibleLeaderId: p.leaderId,
    responsiblePersonId: p.personId,
    isPublic: p.isPublic,
  }
}

/** A new item; its id. */
async function insertItem(manager: Manager, campaignId: number, item: PlannedItem): Promise<number> {
  const inserted = await manager
    .insert(LedgerItemSchema, { ...fields(item), problemKey: problemKey(item.problem), campaignId, originalDueDate: item.dueDate, status: 'open', progress: 0, isTypicalCase: false } as LedgerItem)
    .catch((error: unknown) => {
      // Someone registered the same problem while the import ran: nothing is written.
      if (isUniqueViolation(error)) throw new UserFacingError('import_conflict', `导入未完成：导入期间有人登记了表中的同一问题（${item.problem.slice(0, 30)}），未导入任何内容。请重新导入，已登记的问题会按问题描述匹配更新。`)
      throw error
    })
  return Number(inserted.identifiers[0]!.id)
}

/** An existing item, updated when a field differs; whether it did. */
async function updateItem(manager: Manager, plan: LedgerWrite, known: LedgerItem, item: PlannedItem): Promise<boolean> {
  const next = fields(item)
  const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) => known[k] !== next[k])
  if (!changed) {
    plan.result.unchanged += 1
    return false
  }
  plan.result.updated += 1
  // A new problem text takes its key (checked above to be no other item's).
  if (plan.write) await manager.update(LedgerItemSchema, { id: known.id }, known.problem === next.problem ? next : { ...next, problemKey: problemKey(next.problem) })
  return true
}

/** Every change of an item has its history row (500 at a time). */
async function insertHistory(manager: Manager, created: readonly number[], edited: readonly LedgerItem[]): Promise<void> {
  for (let i = 0; i < created.length; i += 500) {
    await manager.insert(
      ProgressUpdateSchema,
      created.slice(i, i + 500).map((ledgerItemId) => ({ ledgerItemId, personId: null, kind: 'created' as const, oldStatus: null, newStatus: 'open', oldProgress: null, newProgress: 0, note: '表格导入' })),
    )
  }
  for (let i = 0; i < edited.length; i += 500) {
    await manager.insert(
      ProgressUpdateSchema,
      edited.slice(i, i + 500).map((item) => ({ ledgerItemId: item.id, personId: null, kind: 'edited' as const, oldStatus: item.status, newStatus: item.status, oldProgress: item.progress, newProgress: item.progress, note: '表格导入更新' })),
    )
  }
}

/** The items, locked until the import's transaction ends, read as they are now (500 at a time). */
async function lockItems(manager: Manager, ids: readonly number[]): Promise<Map<number, LedgerItem>> {
  const items = new Map<number, LedgerItem>()
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500)
    const query = manager.createQueryBuilder(LedgerItemSchema, 'i').where('i.id IN (:...chunk)', { chunk })
    if (isMysql(manager)) query.setLock('pessimistic_write')
    for (const item of await query.getMany()) items.set(item.id, item)
  }
  return items
}
