import { setTimeout as sleep } from 'node:timers/promises'
import { performance } from 'node:perf_hooks'
import type { DataSource } from 'typeorm'
import { CampaignUnitSchema, LedgerItemSchema, type LedgerItem } from '../../db/entities/index.js'
import { describeError } from '../../describe-error.js'
import { isUniqueViolation } from '../../db/database-error.js'
import { insertMany } from '../../db/insert-ignoring-duplicate.js'
import { retryOnDeadlock } from '../../db/retry-on-deadlock.js'
import { isMysql } from '../../db/sql-instant.js'
import { UserFacingError } from '../../errors.js'
import type { ImportResult } from './import-report.js'
import { keyOf, type KnownItem, type PlannedItem } from './ledger-import-plan.js'

type Manager = DataSource['manager']

/** Rows written per transaction (docs/imports.md, Writing in batches). */
export const IMPORT_BATCH_ROWS = 1000

/** Ids per read: SQLite refuses a longer IN list from TypeORM ("Expression tree is too large"). */
const LOCK_IDS = 500

/** The checked rows to write (or, in a dry run, to count), and the counts so far. */
export interface LedgerWrite {
  campaignId: number
  planned: readonly PlannedItem[]
  /** The campaign's items as first read: a dry run compares with these. */
  byId: ReadonlyMap<number, KnownItem>
  /** The highest item id (of any campaign) before they were read: items above it were added since. */
  checkedUpTo: number
  /** False in a dry run: only counted. */
  write: boolean
  result: ImportResult
  onProgress?: (done: number, total: number) => void
  /** Rows per transaction; IMPORT_BATCH_ROWS unless a test says otherwise. */
  batchRows?: number
}

/** What one batch did, added to the result once its transaction has committed. */
interface BatchCounts {
  created: number[]
  updated: number[]
  unchanged: number
  /** The units now in the campaign. */
  units: number[]
  /** The highest item id once the batch wrote, and the items others added that it saw. */
  seenUpTo: number
  seenItems?: LedgerItem[]
}

/**
 * Creates and updates the items, each change with its history row, and adds their units to the
 * campaign: IMPORT_BATCH_ROWS rows a transaction, so that the service's own writes get in between
 * (docs/imports.md, Writing in batches). Every row was checked before the first batch. A batch that
 * fails stops the import with a Chinese answer saying how far it got; running the same import again
 * completes it, since the items already written are found by unit and problem text. In a dry run
 * only counts.
 */
export async function writeLedger(ds: DataSource, plan: LedgerWrite): Promise<void> {
  const { planned } = plan
  if (!plan.write) return countLedger(plan)
  const size = plan.batchRows ?? IMPORT_BATCH_ROWS
  const seen: AddedSince = { upTo: plan.checkedUpTo, items: new Map(), units: new Set() }
  for (let start = 0; start < planned.length; start += size) {
    const batch = planned.slice(start, start + size)
    const began = performance.now()
    let counts: BatchCounts | undefined
    for (let attempt = 1; !counts; attempt += 1) {
      try {
        counts = await retryOnDeadlock(() => ds.transaction((manager) => writeBatch(manager, plan, batch, start, seen)))
      } catch (error) {
        // Someone registered one of the batch's problems while it wrote (MariaDB runs at READ
        // COMMITTED: no lock kept their row out). It is committed now: found, and the batch again.
        if (!isUniqueViolation(error) || attempt === 3) throw interrupted(error, plan, start)
        for (const item of await itemsWithProblems(ds, plan.campaignId, batch)) seen.items.set(keyOf(item.unitId, item.problemKey), item)
      }
    }
    plan.result.created += counts.created.length
    plan.result.updated += counts.updated.length
    plan.result.unchanged += counts.unchanged
    plan.result.createdIds?.push(...counts.created)
    plan.result.updatedIds?.push(...counts.updated)
    for (const id of counts.units) seen.units.add(id)
    for (const item of counts.seenItems ?? []) seen.items.set(keyOf(item.unitId, item.problemKey), item)
    seen.upTo = counts.seenUpTo
    // A batch that found nothing to write held the lock for a moment only.
    const wrote = counts.created.length + counts.updated.length > 0
    if (!isMysql(ds) && wrote) await sleep(sqliteTurn(performance.now() - began))
  }
}

/**
 * How long the import lets go of SQLite's write lock after a batch that held it `heldMs`. A writer
 * of another process (the service) waiting on the lock looks again after 1, 2, 5, 10, 15, 20, 25,
 * 25, 25, 50, 50, then every 100 ms (SQLite's busy handler), so a pause as long as its gap at that
 * point of its wait lets it in before the next batch (docs/imports.md, Writing in batches).
 */
export function sqliteTurn(heldMs: number): number {
  if (heldMs < 75) return 25
  if (heldMs < 225) return 50
  return 100
}

/** A dry run: what each row would do, against the items as first read. */
function countLedger(plan: LedgerWrite): void {
  for (const [index, item] of plan.planned.entries()) {
    plan.onProgress?.(index + 1, plan.planned.length)
    const known = item.id === null ? undefined : plan.byId.get(item.id)
    if (!known) plan.result.created += 1
    else if (differs(known, item)) {
      plan.result.updated += 1
      plan.result.updatedIds?.push(known.id)
    } else plan.result.unchanged += 1
  }
}

/**
 * One batch in its transaction: the items it updates locked and read again, the items added since
 * the rows were checked looked at, then the rows written.
 */
async function writeBatch(manager: Manager, plan: LedgerWrite, batch: readonly PlannedItem[], start: number, seen: AddedSince): Promise<BatchCounts> {
  const counts: BatchCounts = { created: [], updated: [], unchanged: 0, units: [], seenUpTo: seen.upTo }
  // The items a row changes, locked and read again: a 完成 or 进度 committed since the first read is
  // what the history rows start from, and none lands while the batch writes. A row that matched its
  // item at the first read is left alone (an edit made in chat since stays).
  const changing = batch.flatMap((p) => {
    const known = p.id === null ? undefined : plan.byId.get(p.id)
    return known && differs(known, p) ? [known.id] : []
  })
  const changed = new Set(changing)
  // A new row someone registered meanwhile is that item, updated.
  const added = await itemsAddedSince(manager, plan.campaignId, seen.upTo)
  const registered = new Map(seen.items)
  for (const item of added.items) registered.set(keyOf(item.unitId, item.problemKey), item)
  const theirs = batch.flatMap((p) => (p.id === null ? (registered.get(keyOf(p.unitId, p.problemKey))?.id ?? []) : []))
  const current = await lockItems(manager, [...changing, ...theirs])
  const inserts: PlannedItem[] = []
  const edited: LedgerItem[] = []
  for (const [index, item] of batch.entries()) {
    plan.onProgress?.(start + index + 1, plan.planned.length)
    if (item.id !== null && plan.byId.has(item.id) && !changed.has(item.id)) {
      counts.unchanged += 1
      continue
    }
    const registeredId = item.id === null ? registered.get(keyOf(item.unitId, item.problemKey))?.id : undefined
    const known = current.get(item.id ?? registeredId ?? 0)
    if (!known) inserts.push(item)
    else if (!differs(known, item)) counts.unchanged += 1
    else {
      const next = fields(item)
      // A new problem text takes its key (checked before to be no other item's).
      await manager.update(LedgerItemSchema, { id: known.id }, known.problem === next.problem ? next : { ...next, problemKey: item.problemKey })
      edited.push(known)
      counts.updated.push(known.id)
    }
  }
  const created = await insertItems(manager, plan.campaignId, inserts, added.upTo)
  counts.created = created.ids
  counts.seenUpTo = created.upTo
  counts.seenItems = [...added.items, ...created.others]
  await insertHistory(manager, counts.created, edited)
  counts.units = await addCampaignUnits(manager, plan.campaignId, batch, seen.units)
  return counts
}

/** What the batches have seen of the items added since the rows were checked. */
interface AddedSince {
  /** Every item up to this id was known when its batch ran. */
  upTo: number
  /** The campaign's items others added meanwhile, by unit and problem key. */
  items: Map<string, LedgerItem>
  /** The units already in the campaign. */
  units: Set<number>
}

/**
 * Every item added after `upTo` (others' 登记, in any campaign): this campaign's, locked on
 * MariaDB, with the highest id seen. Ids only grow, so an item registered after the rows were
 * checked is among these, or commits while the batch writes: MariaDB reads at READ COMMITTED and
 * locks no gap, so its row then makes the batch's INSERT fail on the unique key, and writeLedger
 * finds it and writes the batch again. SQLite's write lock, taken when the batch began, keeps
 * every other writer out.
 */
async function itemsAddedSince(manager: Manager, campaignId: number, upTo: number): Promise<{ items: LedgerItem[]; upTo: number }> {
  const query = manager.createQueryBuilder(LedgerItemSchema, 'i').where('i.id > :upTo', { upTo }).orderBy('i.id', 'ASC')
  if (isMysql(manager)) query.setLock('pessimistic_write')
  const rows = await query.getMany()
  return { items: rows.filter((item) => item.campaignId === campaignId), upTo: rows.at(-1)?.id ?? upTo }
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

function differs(known: KnownItem, item: PlannedItem): boolean {
  const next = fields(item)
  return (Object.keys(next) as (keyof typeof next)[]).some((k) => known[k] !== next[k])
}


/**
 * New items, several to a statement; their ids in the batch's order, the highest id now, and the
 * items others added that the read-back saw (committed meanwhile: MariaDB reads at READ COMMITTED).
 */
async function insertItems(manager: Manager, campaignId: number, items: readonly PlannedItem[], upTo: number): Promise<{ ids: number[]; upTo: number; others: LedgerItem[] }> {
  if (items.length === 0) return { ids: [], upTo, others: [] }
  const columns = ['campaign_id', 'unit_id', 'category_id', 'problem', 'problem_key', 'measures', 'target', 'due_date', 'original_due_date', 'responsible_department', 'responsible_leader_id', 'responsible_person_id', 'status', 'progress', 'is_public', 'is_typical_case']
  const values = items.map((p) => [campaignId, p.unitId, p.categoryId, p.problem, p.problemKey, p.measures, p.target, p.dueDate, p.dueDate, p.department, p.leaderId, p.personId, 'open', 0, p.isPublic, false])
  // A unique violation (someone registered one of these meanwhile) goes to writeLedger, which looks again.
  await insertMany(manager, 'ledger_item', columns, values)
  // By id alone, so that SQLite reads the new rows and no others.
  const rows = (await manager.createQueryBuilder(LedgerItemSchema, 'i').where('i.id > :upTo', { upTo }).getMany()).filter((row) => row.campaignId === campaignId)
  const ours = new Set(items.map((item) => keyOf(item.unitId, item.problemKey)))
  const ids = new Map(rows.map((row) => [keyOf(row.unitId, row.problemKey), row.id]))
  return {
    ids: items.map((item) => ids.get(keyOf(item.unitId, item.problemKey))!),
    upTo: rows.reduce((max, row) => Math.max(max, row.id), upTo),
    others: rows.filter((row) => !ours.has(keyOf(row.unitId, row.problemKey))),
  }
}

/** The campaign's items with the problems of the batch's new rows (after a unique violation: rare, so a plain scan of the campaign's keys). */
async function itemsWithProblems(ds: DataSource, campaignId: number, batch: readonly PlannedItem[]): Promise<LedgerItem[]> {
  const wanted = new Set(batch.filter((p) => p.id === null).map((p) => keyOf(p.unitId, p.problemKey)))
  const keys = [...new Set(batch.filter((p) => p.id === null).map((p) => p.problemKey))]
  const found: LedgerItem[] = []
  for (let i = 0; i < keys.length; i += LOCK_IDS) {
    const chunk = keys.slice(i, i + LOCK_IDS)
    const items = await ds.getRepository(LedgerItemSchema).createQueryBuilder('i').where('i.campaignId = :campaignId AND i.problemKey IN (:...chunk)', { campaignId, chunk }).getMany()
    found.push(...items.filter((item) => wanted.has(keyOf(item.unitId, item.problemKey))))
  }
  return found
}

/** Every change of an item has its history row. */
async function insertHistory(manager: Manager, created: readonly number[], edited: readonly LedgerItem[]): Promise<void> {
  const rows = [
    ...created.map((id) => [id, null, 'created', null, 'open', null, 0, '表格导入']),
    ...edited.map((item) => [item.id, null, 'edited', item.status, item.status, item.progress, item.progress, '表格导入更新']),
  ]
  await insertMany(manager, 'progress_update', ['ledger_item_id', 'person_id', 'kind', 'old_status', 'new_status', 'old_progress', 'new_progress', 'note'], rows)
}

/** The batch's units take part in the campaign (each looked at once per import, after an earlier batch committed it): the ones looked at. */
async function addCampaignUnits(manager: Manager, campaignId: number, batch: readonly PlannedItem[], unitsAdded: ReadonlySet<number>): Promise<number[]> {
  const unitIds = [...new Set(batch.map((p) => p.unitId))].filter((id) => !unitsAdded.has(id))
  if (unitIds.length === 0) return unitIds
  const have = new Set<number>()
  for (let i = 0; i < unitIds.length; i += LOCK_IDS) {
    const chunk = unitIds.slice(i, i + LOCK_IDS)
    const existing = await manager
      .createQueryBuilder(CampaignUnitSchema, 'cu')
      .select('cu.unitId', 'unitId')
      .where('cu.campaignId = :campaignId AND cu.role = :role AND cu.unitId IN (:...chunk)', { campaignId, role: 'participant', chunk })
      .getRawMany<{ unitId: number }>()
    for (const row of existing) have.add(Number(row.unitId))
  }
  const missing = unitIds.filter((id) => !have.has(id))
  await insertMany(manager, 'campaign_unit', ['campaign_id', 'unit_id', 'role'], missing.map((unitId) => [campaignId, unitId, 'participant']))
  return unitIds
}

/** The items, locked until the batch's transaction ends, read as they are now (500 at a time). */
async function lockItems(manager: Manager, ids: readonly number[]): Promise<Map<number, LedgerItem>> {
  const items = new Map<number, LedgerItem>()
  for (let i = 0; i < ids.length; i += LOCK_IDS) {
    const chunk = ids.slice(i, i + LOCK_IDS)
    const query = manager.createQueryBuilder(LedgerItemSchema, 'i').where('i.id IN (:...chunk)', { chunk })
    if (isMysql(manager)) query.setLock('pessimistic_write')
    for (const item of await query.getMany()) items.set(item.id, item)
  }
  return items
}

/** A batch failed: what was written before it stays, and the answer says so and how to finish. */
function interrupted(error: unknown, plan: LedgerWrite, start: number): UserFacingError {
  const reason = error instanceof UserFacingError ? error.message : `数据库出错（${describeError(error)}）`
  const { created, updated } = plan.result
  if (start === 0) {
    return new UserFacingError('import_interrupted', `导入未完成：${reason}。未导入任何内容，请重新导入。`)
  }
  return new UserFacingError(
    'import_interrupted',
    `导入中断：${reason}。表中前 ${start} 条已写入（新增 ${created} 项，更新 ${updated} 项），其余 ${plan.planned.length - start} 条未写入。` +
      '重新运行同一导入即可补全：已写入的条目按单位和问题描述找到，不会重复登记。',
  )
}
