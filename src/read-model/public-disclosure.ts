import type { DataSource, EntityManager } from 'typeorm'
import { LedgerItemSchema, UnitSchema, type LedgerStatus } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { STATE_NAMES } from './figures.js'

type Db = DataSource | EntityManager

/**
 * One item of 整改公示 (docs/disclosure.md): what the public may read, and nothing more — no
 * person (responsible leader or person, whoever updated it), no history, no 编号 to look up.
 */
export interface DisclosedItem {
  problem: string
  measures: string
  target: string
  dueDate: CalendarDate
  /** The due date first registered, when an approved extension moved it; null otherwise. */
  originalDueDate: CalendarDate | null
  /** The 责任部门 text as registered (null: not given). */
  department: string | null
  status: LedgerStatus
  /** The state as chat names it (STATE_NAMES, docs/figures.md). */
  statusName: string
  progress: number
}

/** A unit's public items, earliest due first. */
export interface DisclosedUnit {
  unitName: string
  items: DisclosedItem[]
}

/**
 * The campaign's items marked 是否公开 (the ledger import's column, docs/disclosure.md), grouped by
 * unit in name order (zh-CN), each unit's earliest due first. One query: the items' public
 * columns with their unit's name; the people's columns are never read.
 */
export async function publicDisclosure(db: Db, campaignId: number): Promise<DisclosedUnit[]> {
  const { entities, raw } = await db
    .getRepository(LedgerItemSchema)
    .createQueryBuilder('i')
    .innerJoin(UnitSchema.options.name, 'u', 'u.id = i.unit_id')
    .select(['i.id', 'i.unitId', 'i.problem', 'i.measures', 'i.target', 'i.dueDate', 'i.originalDueDate', 'i.responsibleDepartment', 'i.status', 'i.progress'])
    .addSelect('u.name', 'unit_name')
    .where('i.campaign_id = :campaignId', { campaignId })
    .andWhere({ isPublic: true })
    .orderBy('i.due_date', 'ASC')
    .addOrderBy('i.id', 'ASC')
    .getRawAndEntities<{ i_id: number | string; unit_name: string }>()
  const unitName = new Map(raw.map((row) => [Number(row.i_id), row.unit_name]))
  const units = new Map<number, DisclosedUnit>()
  for (const item of entities) {
    let unit = units.get(item.unitId)
    if (!unit) units.set(item.unitId, (unit = { unitName: unitName.get(item.id) ?? '', items: [] }))
    unit.items.push({
      problem: item.problem,
      measures: item.measures,
      target: item.target,
      dueDate: item.dueDate,
      originalDueDate: item.originalDueDate !== item.dueDate ? item.originalDueDate : null,
      department: item.responsibleDepartment?.trim() || null,
      status: item.status,
      statusName: STATE_NAMES[item.status],
      progress: item.progress,
    })
  }
  return [...units.values()].sort((a, b) => a.unitName.localeCompare(b.unitName, 'zh-CN'))
}
