import { Brackets, In, Not, type DataSource, type EntityManager } from 'typeorm'
import { LedgerItemSchema, PersonSchema, ProblemCategorySchema, ProgressUpdateSchema, UnitSchema, type LedgerItem, type ProblemCategory, type ProgressUpdate } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { LIGHT_RANK, statusLight, workdaysOverdue } from './figures.js'
import { unitNames } from './ledger-status.js'

type Db = DataSource | EntityManager

/** An overdue item with its unit's name and how many working days it is late. */
export interface OverdueItem {
  item: LedgerItem
  unitName: string
  workdaysOverdue: number
}

/** A unit's overdue items. */
export interface OverdueGroup {
  unitId: number
  unitName: string
  items: OverdueItem[]
}

/**
 * The campaign's overdue items (docs/figures.md), grouped by unit: the unit with the most first,
 * the longest overdue first within it. `unitIds` limits the units (null: all).
 */
export async function overdueByUnit(db: Db, campaignId: number, today: CalendarDate, unitIds: readonly number[] | null): Promise<OverdueGroup[]> {
  if (unitIds?.length === 0) return []
  const query = db
    .getRepository(LedgerItemSchema)
    .createQueryBuilder('i')
    .where("i.campaign_id = :campaignId AND i.status IN ('open', 'in_progress') AND i.due_date < :today", { campaignId, today })
  if (unitIds) query.andWhere('i.unit_id IN (:...unitIds)', { unitIds })
  const items = await query.orderBy('i.due_date', 'ASC').addOrderBy('i.id', 'ASC').getMany()
  const names = await unitNames(db, [...new Set(items.map((i) => i.unitId))])
  const groups = new Map<number, OverdueGroup>()
  for (const item of items) {
    let group = groups.get(item.unitId)
    if (!group) groups.set(item.unitId, (group = { unitId: item.unitId, unitName: names.get(item.unitId) ?? `#${item.unitId}`, items: [] }))
    group.items.push({ item, unitName: group.unitName, workdaysOverdue: workdaysOverdue(item.dueDate, today) })
  }
  return [...groups.values()].sort((a, b) => b.items.length - a.items.length || a.unitName.localeCompare(b.unitName, 'zh-CN'))
}

/** Overdue first, then due soon, then the rest; earliest due date first within each. */
export function byUrgency(today: CalendarDate) {
  const rank = (item: LedgerItem) => LIGHT_RANK[statusLight(item, today)]
  return (a: LedgerItem, b: LedgerItem) => rank(a) - rank(b) || (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : 0) || a.id - b.id
}

/** The campaign's items not yet closed that a person answers for (as responsible person or leader) or whose units they act for, most urgent first. */
export async function personOpenItems(db: Db, campaignId: number, personId: number, unitIds: readonly number[], today: CalendarDate): Promise<LedgerItem[]> {
  const items = await db
    .getRepository(LedgerItemSchema)
    .createQueryBuilder('i')
    .where("i.campaign_id = :campaignId AND i.status <> 'closed'", { campaignId })
    .andWhere(
      new Brackets((where) => {
        where.where('i.responsible_person_id = :me OR i.responsible_leader_id = :me', { me: personId })
        if (unitIds.length > 0) where.orWhere('i.unit_id IN (:...units)', { units: unitIds })
      }),
    )
    .getMany()
  return items.sort(byUrgency(today))
}

/** A unit's items of the campaign not yet closed, most urgent first. */
export async function unitOpenItems(db: Db, campaignId: number, unitId: number, today: CalendarDate): Promise<LedgerItem[]> {
  const items = await db.getRepository(LedgerItemSchema).find({ where: { campaignId, unitId, status: Not('closed') } })
  return items.sort(byUrgency(today))
}

/** The campaign's items rectified and waiting to be verified (已整改待销号), the longest waiting first. */
export async function itemsAwaitingVerification(db: Db, campaignId: number): Promise<LedgerItem[]> {
  return db.getRepository(LedgerItemSchema).find({ where: { campaignId, status: 'rectified' }, order: { rectifiedAt: 'ASC', id: 'ASC' } })
}

/** An item with what its detail shows: unit, category, the names of its people, its latest history. */
export interface ItemDetail {
  item: LedgerItem
  unitName: string
  category: ProblemCategory | null
  updates: ProgressUpdate[]
  /** person id → name, for the item's people and the updates' authors. */
  names: Map<number, string>
}

export async function itemDetail(db: Db, item: LedgerItem, historyLimit = 5): Promise<ItemDetail> {
  const [unit, category, updates] = await Promise.all([
    db.getRepository(UnitSchema).findOneBy({ id: item.unitId }),
    db.getRepository(ProblemCategorySchema).findOneBy({ id: item.categoryId }),
    db.getRepository(ProgressUpdateSchema).find({ where: { ledgerItemId: item.id }, order: { id: 'DESC' }, take: historyLimit }),
  ])
  const personIds = [item.responsibleLeaderId, item.responsiblePersonId, ...updates.map((u) => u.personId)].filter((p): p is number => p !== null)
  const names = personIds.length === 0 ? new Map<number, string>() : new Map((await db.getRepository(PersonSchema).findBy({ id: In(personIds) })).map((p) => [p.id, p.name]))
  return { item, unitName: unit?.name ?? '', category, updates, names }
}
