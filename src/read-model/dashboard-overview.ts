import { In, type DataSource, type EntityManager } from 'typeorm'
import { LedgerItemSchema, MonthlyReportSchema, PhaseSchema, ProblemCategorySchema, UnitSchema, type Campaign, type UnitKind } from '../db/entities/index.js'
import { ledgerAsOf, loadCampaignHistory } from '../domain/reports/ledger-as-of.js'
import { addDays, beijingInstant, type CalendarDate } from '../time/calendar-date.js'
import { isOverdue, onTimeRate, sumTallies } from './figures.js'
import { ledgerStatus, type LedgerStatus, type UnitStatistics } from './ledger-status.js'

type Db = DataSource | EntityManager

/**
 * 总览, the dashboard's first page (docs/dashboard.md, 总览): every figure from the read model
 * chat reads — the totals and units are `ledgerStatus`, as in 统计 (docs/figures.md).
 */
export interface Overview {
  today: CalendarDate
  /** The plan's phases, in order, and which of them run today. */
  phases: { name: string; startDate: CalendarDate; endDate: CalendarDate; running: boolean }[]
  totals: LedgerStatus['totals']
  /** Per day since the campaign began, at the end of the day (Beijing): 已销号, 在办 (open, not overdue), 逾期. */
  trend: { date: CalendarDate; closed: number; open: number; overdue: number }[]
  /** Overdue items today by problem category (the plan's eight, in order, none left out). */
  categories: { number: number; name: string; overdue: number }[]
  /** The units, worst first, with their kind (towns and county departments filter apart) and their latest monthly report. */
  units: (UnitStatistics & { kind: UnitKind; lastReport: LastReport | null })[]
}

/** A unit's latest monthly report: the month it reports on (YYYY-MM) and when its current version came. */
export interface LastReport {
  month: string
  submittedAt: Date
}

/** 总览 for `units` (null: the whole county; unit heads and liaisons see their own units only). */
export async function overview(db: Db, campaign: Campaign, today: CalendarDate, units: readonly number[] | null): Promise<Overview> {
  const status = await ledgerStatus(db, campaign.id, today)
  const shown = units === null ? status.units : status.units.filter((u) => units.includes(u.unitId))
  const kinds = await unitKinds(db, shown.map((u) => u.unitId))
  const reports = await lastReports(db, campaign.id)
  const phases = await db.getRepository(PhaseSchema).find({ where: { campaignId: campaign.id }, order: { seq: 'ASC' } })
  return {
    today,
    phases: phases.map((p) => ({ name: p.name, startDate: p.startDate, endDate: p.endDate, running: p.startDate <= today && today <= p.endDate })),
    totals: units === null ? status.totals : totalsOf(shown),
    trend: await trend(db, campaign, today, units),
    categories: await overdueByCategory(db, campaign.id, today, units),
    units: shown.map((u) => ({ ...u, kind: kinds.get(u.unitId) ?? 'county_department', lastReport: reports.get(u.unitId) ?? null })),
  }
}


/** The totals of some units (sumTallies, as the county's own are made). */
function totalsOf(units: readonly UnitStatistics[]): LedgerStatus['totals'] {
  const totals = sumTallies(units)
  return { ...totals, onTimeRate: onTimeRate(totals) }
}

/** Each unit's latest monthly report of the campaign (the latest month it reported on). */
async function lastReports(db: Db, campaignId: number): Promise<Map<number, LastReport>> {
  const rows = await db.getRepository(MonthlyReportSchema).find({ where: { campaignId }, select: { unitId: true, month: true, submittedAt: true } })
  const latest = new Map<number, LastReport>()
  for (const row of rows) {
    const known = latest.get(row.unitId)
    if (!known || row.month > known.month) latest.set(row.unitId, { month: row.month, submittedAt: row.submittedAt })
  }
  return latest
}

async function unitKinds(db: Db, ids: readonly number[]): Promise<Map<number, UnitKind>> {
  if (ids.length === 0) return new Map()
  const rows = await db.getRepository(UnitSchema).find({ where: { id: In([...ids]) }, select: { id: true, kind: true } })
  return new Map(rows.map((u) => [u.id, u.kind]))
}

/** The ledger at the end of each day from the campaign's start to today, rebuilt from its history (ledgerAsOf). */
async function trend(db: Db, campaign: Campaign, today: CalendarDate, units: readonly number[] | null): Promise<Overview['trend']> {
  const history = await loadCampaignHistory(db, campaign.id)
  if (units !== null) history.items = history.items.filter((item) => units.includes(item.unitId))
  const days: Overview['trend'] = []
  for (let date = campaign.startDate; date <= today && days.length < 400; date = addDays(date, 1)) {
    const endOfDay = new Date(beijingInstant(addDays(date, 1)).getTime() - 1)
    let closed = 0
    let open = 0
    let overdue = 0
    for (const item of ledgerAsOf(history, endOfDay)) {
      if (item.status === 'closed') closed += 1
      else if (isOverdue(item, date)) overdue += 1
      else open += 1
    }
    days.push({ date, closed, open, overdue })
  }
  return days
}

/** Today's overdue items by the plan's problem categories (docs/figures.md, Overdue). */
async function overdueByCategory(db: Db, campaignId: number, today: CalendarDate, units: readonly number[] | null): Promise<Overview['categories']> {
  const categories = await db.getRepository(ProblemCategorySchema).find({ where: { campaignId }, order: { number: 'ASC' } })
  const items = await db.getRepository(LedgerItemSchema).find({ where: { campaignId }, select: { id: true, unitId: true, categoryId: true, status: true, dueDate: true } })
  const counts = new Map<number, number>()
  for (const item of items) {
    if ((units === null || units.includes(item.unitId)) && isOverdue(item, today) && item.categoryId !== null) counts.set(item.categoryId, (counts.get(item.categoryId) ?? 0) + 1)
  }
  return categories.map((c) => ({ number: c.number, name: c.name, overdue: counts.get(c.id) ?? 0 }))
}
