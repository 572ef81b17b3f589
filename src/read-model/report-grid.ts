import type { DataSource, EntityManager } from 'typeorm'
import type { Campaign } from '../db/entities/index.js'
import { reportPeriod, type ReportPeriod } from '../domain/reports/month-span.js'
import { addMonths, beijingDate, monthOf, type CalendarDate } from '../time/calendar-date.js'
import { monthlyReportStatus, unitMonthlyReport } from './campaign-progress.js'

type Db = DataSource | EntityManager

/**
 * A participating unit's monthly report for a month (docs/figures.md, Scope): 按时 — submitted by
 * the month's end (for the current month: by now); 逾期报 — there, but submitted after the month
 * ended; 未报 — the month has ended without it; 未到期 — the current month, not yet submitted.
 */
export type ReportMark = 'on_time' | 'late' | 'missing' | 'not_due'

export interface ReportCell {
  month: string
  mark: ReportMark
  /** The version that counts (null: none). */
  submittedAt: Date | null
  submittedBy: string | null
  revision: number | null
}

export interface ReportGridRow {
  unitId: number
  unitName: string
  /** One per month of the grid, in its order. */
  cells: ReportCell[]
}

export interface ReportGrid {
  /** 'YYYY-MM', the campaign's first month first. */
  months: string[]
  /** Participating units, by name. */
  rows: ReportGridRow[]
}

/**
 * The mark of a month's report whose version that counts came at `submittedAt` (null: none), as
 * of the period (reportPeriod): the one definition the grid and a unit's page share.
 */
export function reportMark(submittedAt: Date | null, period: Pick<ReportPeriod, 'asOf' | 'complete'>): ReportMark {
  if (submittedAt !== null && submittedAt.getTime() <= period.asOf.getTime()) return 'on_time'
  if (submittedAt !== null && period.complete) return 'late'
  return period.complete ? 'missing' : 'not_due'
}

/** One unit's mark for a month (a participating unit's; the grid's for it, without reading every unit's). */
export async function unitReportMark(db: Db, campaign: Pick<Campaign, 'id'>, unitId: number, month: string, now: Date): Promise<ReportMark> {
  const report = await unitMonthlyReport(db, campaign.id, unitId, month)
  return reportMark(report.submittedAt, reportPeriod(month, now))
}

/** The campaign's months from its first up to `today`'s (its last once it has ended); none before it begins. */
export function campaignMonths(campaign: Pick<Campaign, 'startDate' | 'endDate'>, today: CalendarDate): string[] {
  const last = [monthOf(today), monthOf(campaign.endDate)].sort()[0]!
  const months: string[] = []
  for (let month = monthOf(campaign.startDate); month <= last; month = monthOf(addMonths(`${month}-01`, 1))) months.push(month)
  return months
}

/**
 * Every participating unit's report for one month, as of `now`. The month's figures are those of
 * the monthly workbook (monthlyReportStatus as of reportPeriod's instant: submitted by the month's
 * end, or by now in the current month); a report that exists now but was not there at the month's
 * end is late. The month must have begun (reportPeriod refuses one still to come).
 */
export async function reportMonth(db: Db, campaign: Pick<Campaign, 'id'>, month: string, now: Date): Promise<Map<number, { unitName: string; cell: ReportCell }>> {
  const period = reportPeriod(month, now)
  const byDeadline = await monthlyReportStatus(db, campaign, month, period.asOf)
  const atAll = period.complete ? new Map((await monthlyReportStatus(db, campaign, month)).map((r) => [r.unitId, r])) : new Map<number, never>()
  const cells = new Map<number, { unitName: string; cell: ReportCell }>()
  for (const inTime of byDeadline) {
    const later = atAll.get(inTime.unitId)
    const report = inTime.submittedAt ? inTime : later?.submittedAt ? later : null
    const mark = reportMark(report?.submittedAt ?? null, period)
    cells.set(inTime.unitId, { unitName: inTime.unitName, cell: { month, mark, submittedAt: report?.submittedAt ?? null, submittedBy: report?.submittedBy ?? null, revision: report?.revision ?? null } })
  }
  return cells
}

/** The units × months grid of monthly reports (the dashboard's 月报): `unitIds` limits the units (null: all participants). */
export async function reportGrid(db: Db, campaign: Pick<Campaign, 'id' | 'startDate' | 'endDate'>, now: Date, unitIds: readonly number[] | null): Promise<ReportGrid> {
  const months = campaignMonths(campaign, beijingDate(now))
  const byMonth: Awaited<ReturnType<typeof reportMonth>>[] = []
  for (const month of months) byMonth.push(await reportMonth(db, campaign, month, now))
  const units = [...(byMonth[0]?.entries() ?? [])].filter(([unitId]) => unitIds === null || unitIds.includes(unitId))
  return {
    months,
    rows: units.map(([unitId, first]) => ({ unitId, unitName: first.unitName, cells: byMonth.map((cells) => cells.get(unitId)!.cell) })),
  }
}
