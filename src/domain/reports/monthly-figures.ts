import { responsiveness, type Responsiveness } from '../../read-model/responsiveness.js'
import { In, type DataSource } from 'typeorm'
import {
  PersonSchema,
  ProblemCategorySchema,
  type Campaign,
  type LedgerStatus,
  type ProgressKind,
} from '../../db/entities/index.js'
import { evidenceCounts, evidenceTotal } from '../../read-model/evidence.js'
import { isOverdue, onTimeRate, sumTallies, workdaysOverdue, type LedgerTally } from '../../read-model/figures.js'
import { monthlyReportStatus } from '../../read-model/campaign-progress.js'
import { monthlyReportTexts, type UnitReportText } from '../../read-model/monthly-reports.js'
import { unitNames, unitStatistics, type UnitStatistics } from '../../read-model/ledger-status.js'
import { ledgerAsOf, loadCampaignHistory, type ItemAsOf } from './ledger-as-of.js'
import { reportPeriod, type ReportPeriod } from './month-span.js'
import { monthlyInspections, type UnitInspections } from './monthly-inspections.js'

export interface UnitFigures extends UnitStatistics {
  /** 进展反馈 and 报告整改完成 rows the unit's people wrote in the month. */
  updatesThisMonth: number
  /** A participating unit owes a monthly report (docs/figures.md); others are listed for their items only. */
  owesReport: boolean
  reportSubmittedAt: Date | null
}

export interface OverdueRow {
  itemId: number
  unitName: string
  category: string
  problem: string
  dueDate: string
  workdaysOverdue: number
  leader: string
  person: string
  lastUpdateAt: Date | null
  lastUpdateNote: string
  /** The item's evidence (docs/evidence.md, What counts), as kept when the workbook is made. */
  evidence: number
}

export type EventKind = Exclude<ProgressKind, 'extended'> | 'extension_approved' | 'extension_denied'

export interface MonthEvent {
  at: Date
  unitName: string
  itemId: number
  problem: string
  kind: EventKind
  progress: number | null
  note: string
  by: string
  /** The item's evidence (docs/evidence.md, What counts), as kept when the workbook is made. */
  evidence: number
}

export interface CategoryRow {
  label: string
  name: string
  byStatus: Record<LedgerStatus, number>
  overdue: number
  total: number
}

export interface MonthlyFigures {
  campaign: Campaign
  period: ReportPeriod
  units: UnitFigures[]
  overdue: OverdueRow[]
  events: MonthEvent[]
  categories: CategoryRow[]
  /** What each unit wrote in its report, as of the period's instant. */
  reports: UnitReportText[]
  /** The 督查情况 sheet: the month's checks, findings and reports from the public, by unit. */
  inspections: UnitInspections[]
  /** The 响应时效 sheet: the month's responsiveness figures, units ranked (docs/responsiveness.md). */
  responsiveness: Responsiveness
}

/** The campaign-wide totals of the 汇总 sheet. */
export function monthlyTotals(f: MonthlyFigures) {
  const tally: LedgerTally = sumTallies(f.units)
  return {
    ...tally,
    units: f.units.length,
    onTimeRate: onTimeRate(tally),
    updatesThisMonth: f.units.reduce((total, u) => total + u.updatesThisMonth, 0),
    reportsOwed: f.units.filter((u) => u.owesReport).length,
    reported: f.units.filter((u) => u.owesReport && u.reportSubmittedAt).length,
  }
}

/** Everything the monthly workbook shows, as of the period's instant (see reportPeriod). */
export async function monthlyFigures(ds: DataSource, campaign: Campaign, month: string, now: Date): Promise<MonthlyFigures> {
  const period = reportPeriod(month, now)
  const history = await loadCampaignHistory(ds, campaign.id)
  const items = ledgerAsOf(history, period.asOf)
  // The month's reports as every surface counts them: participating units, submitted by the period's instant.
  const reportStatus = new Map((await monthlyReportStatus(ds, campaign, month, period.asOf)).map((r) => [r.unitId, r]))
  const unitIds = [...new Set([...reportStatus.keys(), ...history.items.map((i) => i.unitId)])]
  const names = await unitNames(ds, unitIds)
  const unitName = (id: number) => names.get(id) ?? `#${id}`
  const personIds = [...new Set([...history.items.flatMap((i) => [i.responsibleLeaderId, i.responsiblePersonId]), ...history.updates.map((u) => u.personId), ...history.extensions.map((e) => e.decidedById)].filter((id): id is number => id !== null))]
  const personNames = new Map((await ds.getRepository(PersonSchema).findBy({ id: In(personIds) })).map((p) => [p.id, p.name]))
  const personName = (id: number | null) => (id === null ? '' : (personNames.get(id) ?? `#${id}`))
  const categories = await ds.getRepository(ProblemCategorySchema).find({ where: { campaignId: campaign.id }, order: { number: 'ASC' } })
  const inMonth = (at: Date) => at.getTime() >= period.start.getTime() && at.getTime() <= period.asOf.getTime()
  const itemById = new Map(history.items.map((i) => [i.id, i]))

  const updatesByUnit = new Map<number, number>()
  for (const u of history.updates) {
    if ((u.kind !== 'progress' && u.kind !== 'rectified') || !inMonth(u.createdAt)) continue
    const unitId = itemById.get(u.ledgerItemId)!.unitId
    updatesByUnit.set(unitId, (updatesByUnit.get(unitId) ?? 0) + 1)
  }
  // The same per-unit figures as every surface (docs/figures.md), of the ledger as of the period's instant.
  const units = unitStatistics(items, period.asOfDate, unitIds, names).map((u): UnitFigures => {
    const report = reportStatus.get(u.unitId)
    return {
      ...u,
      reportsSubmitted: report?.submittedAt ? 1 : 0,
      updatesThisMonth: updatesByUnit.get(u.unitId) ?? 0,
      owesReport: report !== undefined,
      reportSubmittedAt: report?.submittedAt ?? null,
    }
  })

  const categoryOf = new Map(categories.map((c) => [c.id, c]))
  const overdueAsOf = (i: ItemAsOf) => isOverdue(i, period.asOfDate)
  const overdueItems = items.filter(overdueAsOf)
  // An approved extension also writes an 'extended' history row: listed once, from the request.
  const monthUpdates = history.updates.filter((u) => u.kind !== 'extended' && inMonth(u.createdAt))
  const monthDecisions = history.extensions.filter((e) => e.status !== 'pending' && e.decidedAt !== null && inMonth(e.decidedAt))
  // The 佐证 column of 逾期明细 and 本月进展: every listed item's evidence in one grouped query, never one per item.
  const evidence = await evidenceCounts(ds, [...new Set([...overdueItems.map((i) => i.id), ...monthUpdates.map((u) => u.ledgerItemId), ...monthDecisions.map((e) => e.ledgerItemId)])])
  const evidenceOf = (itemId: number) => {
    const count = evidence.get(itemId)
    return count ? evidenceTotal(count) : 0
  }
  const overdue = overdueItems
    .map((i): OverdueRow => ({
      itemId: i.id,
      unitName: unitName(i.unitId),
      category: categoryOf.has(i.categoryId) ? `${categoryOf.get(i.categoryId)!.label}${categoryOf.get(i.categoryId)!.name}` : '',
      problem: i.problem,
      dueDate: i.dueDate,
      workdaysOverdue: workdaysOverdue(i.dueDate, period.asOfDate),
      leader: personName(i.responsibleLeaderId),
      person: personName(i.responsiblePersonId),
      lastUpdateAt: i.lastUpdate?.createdAt ?? null,
      lastUpdateNote: i.lastUpdate?.note ?? '',
      evidence: evidenceOf(i.id),
    }))
    .sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : 0) || a.unitName.localeCompare(b.unitName, 'zh-CN') || a.itemId - b.itemId)

  const event = (itemId: number, at: Date, kind: EventKind, progress: number | null, note: string, by: number | null): MonthEvent => {
    const item = itemById.get(itemId)!
    return { at, unitName: unitName(item.unitId), itemId, problem: item.problem, kind, progress, note, by: personName(by), evidence: evidenceOf(itemId) }
  }
  const events = [
    ...monthUpdates.map((u) => event(u.ledgerItemId, u.createdAt, u.kind as EventKind, u.newProgress, u.note, u.personId)),
    ...monthDecisions.map((e) => event(e.ledgerItemId, e.decidedAt!, e.status === 'approved' ? 'extension_approved' : 'extension_denied', null, `${e.oldDueDate} → ${e.newDueDate}；理由：${e.reason}${e.decisionNote ? `；意见：${e.decisionNote}` : ''}`, e.decidedById)),
  ].sort((a, b) => a.at.getTime() - b.at.getTime() || a.itemId - b.itemId)

  const categoryRows = categories.map((c): CategoryRow => {
    const own = items.filter((i) => i.categoryId === c.id)
    const byStatus: Record<LedgerStatus, number> = { open: 0, in_progress: 0, rectified: 0, closed: 0 }
    for (const i of own) byStatus[i.status] += 1
    return { label: c.label, name: c.name, byStatus, overdue: own.filter(overdueAsOf).length, total: own.length }
  })
  const reports = await monthlyReportTexts(ds, campaign.id, month, period.asOf)
  const inspections = await monthlyInspections(ds, campaign.id, period, units, items)
  return { campaign, period, units, overdue, events, categories: categoryRows, reports, inspections, responsiveness: await responsiveness(ds, campaign, { month }, now) }
}
