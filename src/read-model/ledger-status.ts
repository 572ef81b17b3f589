import { In, type DataSource, type EntityManager } from 'typeorm'
import { CampaignUnitSchema, ExtensionRequestSchema, LedgerItemSchema, MonthlyReportSchema, UnitSchema, type LedgerItem } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { fromSqlInstant } from '../db/sql-instant.js'
import { countItem, emptyTally, LIGHT_RANK, onTimeRate, statusLight, sumTallies, worstLight, type LedgerTally, type StatusLight } from './figures.js'

type Db = DataSource | EntityManager

/** One unit's ledger on a day (docs/figures.md). */
export interface UnitStatistics extends LedgerTally {
  unitId: number
  unitName: string
  onTimeRate: number | null
  /** Its worst item's light. */
  light: StatusLight
  /** Monthly reports submitted over the campaign. */
  reportsSubmitted: number
}

/** A campaign's ledger on a day: the totals and every unit that takes part or has items, worst first. */
export interface LedgerStatus {
  today: CalendarDate
  totals: LedgerTally & { onTimeRate: number | null }
  units: UnitStatistics[]
}

/** The fields the figures need, read once for the campaign. */
export type ItemState = Pick<LedgerItem, 'id' | 'unitId' | 'status' | 'dueDate' | 'closedAt'>

/**
 * The campaign's ledger on `today`. Counted here rather than in SQL: "closed on time" compares an
 * instant with a Beijing calendar date, which each database would spell differently; a county's
 * ledger is thousands of rows, read once per request.
 */
export async function ledgerStatus(db: Db, campaignId: number, today: CalendarDate): Promise<LedgerStatus> {
  return ledgerStatusOf(db, campaignId, today, await itemStates(db, campaignId))
}

/** ledgerStatus from the campaign's items already read (itemStates, or more columns of the same rows: 总览 reads them once). */
export async function ledgerStatusOf(db: Db, campaignId: number, today: CalendarDate, items: readonly ItemState[]): Promise<LedgerStatus> {
  const participants = (await db.getRepository(CampaignUnitSchema).findBy({ campaignId, role: 'participant' })).map((c) => c.unitId)
  const reports = (await db
    .getRepository(MonthlyReportSchema)
    .createQueryBuilder('r')
    .select('r.unit_id', 'unitId')
    .addSelect('COUNT(*)', 'count')
    .where('r.campaign_id = :campaignId', { campaignId })
    .groupBy('r.unit_id')
    .getRawMany()) as { unitId: number; count: number | string }[]
  const unitIds = [...new Set([...participants, ...items.map((i) => i.unitId)])]
  const names = await unitNames(db, unitIds)
  const units = unitStatistics(items, today, unitIds, names)
  const submitted = new Map(reports.map((r) => [Number(r.unitId), Number(r.count)]))
  for (const unit of units) unit.reportsSubmitted = submitted.get(unit.unitId) ?? 0
  const totals = sumTallies(units)
  return { today, totals: { ...totals, onTimeRate: onTimeRate(totals) }, units }
}

/**
 * The campaign's items as the figures need them, in one plain query: at a province's 200,000
 * items TypeORM's mapping of the rows to entities costs as much again as reading them.
 */
export async function itemStates(db: Db, campaignId: number): Promise<ItemState[]> {
  const rows = (await db.query('SELECT id, unit_id AS unitId, status, due_date AS dueDate, closed_at AS closedAt FROM ledger_item WHERE campaign_id = ?', [campaignId])) as ItemState[]
  for (const row of rows) if (row.closedAt !== null) row.closedAt = fromSqlInstant(row.closedAt)
  return rows
}

/** Per-unit figures of some items as they stand on `today` (the workbook passes the ledger as of a past instant). */
export function unitStatistics(items: readonly ItemState[], today: CalendarDate, unitIds: readonly number[], names: ReadonlyMap<number, string>): UnitStatistics[] {
  // Each unit's light is its worst item's (worstLight), kept as the items are counted.
  const byUnit = new Map<number, { tally: LedgerTally; light: StatusLight }>(unitIds.map((id) => [id, { tally: emptyTally(), light: worstLight([]) }]))
  for (const item of items) {
    let unit = byUnit.get(item.unitId)
    if (!unit) byUnit.set(item.unitId, (unit = { tally: emptyTally(), light: worstLight([]) }))
    countItem(unit.tally, item, today)
    const light = statusLight(item, today)
    if (LIGHT_RANK[light] < LIGHT_RANK[unit.light]) unit.light = light
  }
  return [...byUnit.entries()]
    .map(([unitId, { tally, light }]) => ({
      ...tally,
      unitId,
      unitName: names.get(unitId) ?? `#${unitId}`,
      onTimeRate: onTimeRate(tally),
      light,
      reportsSubmitted: 0,
    }))
    .sort(worstFirst)
}

/** Worst first: light, then overdue items, then the lower on-time rate, then the name. */
export function worstFirst(a: UnitStatistics, b: UnitStatistics): number {
  return LIGHT_RANK[a.light] - LIGHT_RANK[b.light] || b.overdue - a.overdue || (a.onTimeRate ?? 1) - (b.onTimeRate ?? 1) || byName.compare(a.unitName, b.unitName)
}

/** localeCompare(…, 'zh-CN')'s order, its collator made once (thousands of units sort by name). */
const byName = new Intl.Collator('zh-CN')

/** Units with overdue items, most first, then by name: the one ranking the notice, the daily summary and the workbook's summary show. */
export function overdueRanking(units: readonly Pick<UnitStatistics, 'unitName' | 'overdue'>[]): { unitName: string; overdue: number }[] {
  return units
    .filter((u) => u.overdue > 0)
    .map(({ unitName, overdue }) => ({ unitName, overdue }))
    .sort((a, b) => b.overdue - a.overdue || a.unitName.localeCompare(b.unitName, 'zh-CN'))
}

/** Extension requests of the campaign waiting for a decision, oldest first. */
export function pendingExtensions(db: Db, campaignId: number) {
  return db
    .getRepository(ExtensionRequestSchema)
    .createQueryBuilder('e')
    .innerJoin(LedgerItemSchema.options.name, 'i', 'i.id = e.ledger_item_id')
    .where("e.status = 'pending' AND i.campaign_id = :campaign", { campaign: campaignId })
    .orderBy('e.id', 'ASC')
}

/** How many extension requests of the campaign wait for a decision. */
export async function pendingExtensionCount(db: Db, campaignId: number): Promise<number> {
  return pendingExtensions(db, campaignId).getCount()
}

/** Unit names by id. */
export async function unitNames(db: Db, unitIds: readonly number[]): Promise<Map<number, string>> {
  if (unitIds.length === 0) return new Map()
  return new Map((await db.getRepository(UnitSchema).findBy({ id: In([...unitIds]) })).map((u) => [u.id, u.name]))
}
