import { In, type DataSource, type EntityManager } from 'typeorm'
import { beijingDate, type CalendarDate } from '../../time/calendar-date.js'
import { LedgerItemSchema, MonthlyReportSchema, UnitSchema, type LedgerItem } from '../entities/index.js'

export interface UnitLedgerStats {
  unitId: number
  unitName: string
  total: number
  closed: number
  rectified: number
  inProgress: number
  overdue: number
  /** Closed by the due date (Beijing calendar), among the items already due or closed; null: none yet. */
  onTimeRate: number | null
  reportsSubmitted: number
}

/**
 * Per-unit counts of a campaign's ledger on `today`. Counted here rather than in SQL: "closed on
 * time" compares an instant with a Beijing calendar date, which each database would spell
 * differently; a county's ledger is thousands of rows, read once per request.
 */
export async function unitLedgerStats(ds: DataSource | EntityManager, campaignId: number, today: CalendarDate): Promise<UnitLedgerStats[]> {
  const items = await ds.getRepository(LedgerItemSchema).find({
    where: { campaignId },
    select: { id: true, unitId: true, status: true, dueDate: true, closedAt: true },
  })
  const unitIds = [...new Set(items.map((i) => i.unitId))]
  const units = new Map((await ds.getRepository(UnitSchema).findBy({ id: In(unitIds) })).map((u) => [u.id, u.name]))
  const reports = await ds.getRepository(MonthlyReportSchema).find({ where: { campaignId }, select: { unitId: true } })
  const stats = new Map<number, UnitLedgerStats & { due: number; onTime: number }>()
  for (const unitId of unitIds) {
    stats.set(unitId, {
      unitId,
      unitName: units.get(unitId) ?? `#${unitId}`,
      total: 0,
      closed: 0,
      rectified: 0,
      inProgress: 0,
      overdue: 0,
      onTimeRate: null,
      reportsSubmitted: reports.filter((r) => r.unitId === unitId).length,
      due: 0,
      onTime: 0,
    })
  }
  for (const item of items) countItem(stats.get(item.unitId)!, item, today)
  return [...stats.values()]
    .map(({ due, onTime, ...s }) => ({ ...s, onTimeRate: due === 0 ? null : onTime / due }))
    .sort((a, b) => b.overdue - a.overdue || a.unitName.localeCompare(b.unitName, 'zh-CN'))
}

/** The counters a tally keeps besides the figures: items already due or closed, and those closed in time. */
export interface LedgerTally {
  total: number
  closed: number
  rectified: number
  inProgress: number
  overdue: number
  due: number
  onTime: number
}

export function emptyTally(): LedgerTally {
  return { total: 0, closed: 0, rectified: 0, inProgress: 0, overdue: 0, due: 0, onTime: 0 }
}

/** Adds one item, as it stands on `today`, to a tally: the rules every per-unit figure follows. */
export function countItem(tally: LedgerTally, item: Pick<LedgerItem, 'status' | 'dueDate' | 'closedAt'>, today: CalendarDate): void {
  tally.total += 1
  if (item.status === 'closed') tally.closed += 1
  if (item.status === 'rectified') tally.rectified += 1
  const open = item.status === 'open' || item.status === 'in_progress'
  if (open) tally.inProgress += 1
  if (open && item.dueDate < today) tally.overdue += 1
  if (item.dueDate < today || item.status === 'closed') tally.due += 1
  if (item.status === 'closed' && item.closedAt && beijingDate(item.closedAt) <= item.dueDate) tally.onTime += 1
}
