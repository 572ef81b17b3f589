import { In, type DataSource } from 'typeorm'
import {
  CircularReceiptSchema,
  CircularSchema,
  LedgerItemSchema,
  MonthlyReportSchema,
  PersonSchema,
  PhaseSchema,
  PhaseTaskSchema,
  RoleAssignmentSchema,
  UnitSchema,
  type Campaign,
  type Circular,
  type LedgerItem,
  type Phase,
  type PhaseTask,
  type Unit,
} from '../db/entities/index.js'
import { circularStatus, type ReceiptLine } from '../domain/circulars/circular-status.js'
import { defaultMonth, reportPeriod } from '../domain/reports/month-span.js'
import { lastDayOfMonth, type CalendarDate } from '../time/calendar-date.js'
import { deliverablesDone, participantUnits } from './campaign-progress.js'
import { campaignMonths, unitReportMark, type ReportMark } from './report-grid.js'
import { deadlineLight, type StatusLight } from './figures.js'
import { byUrgency } from './ledger-lists.js'
import { unitStatistics, type UnitStatistics } from './ledger-status.js'
import { unitReportText, type UnitReportText } from './monthly-reports.js'
import { responsiveness, type PersonResponsiveness, type Responsiveness, type ScopeFigures } from './responsiveness.js'
import { personNames } from './todo.js'

/** The most circulars a unit's page lists (a campaign sends a few dozen). */
export const UNIT_CIRCULAR_LIMIT = 100

/** One month of the campaign: the unit's report as 查看月报 reads it, and whether it came in time. */
export interface UnitMonthReport {
  month: string
  /** Reports are due by the month's last day (docs/figures.md). */
  dueDate: CalendarDate
  /** False while the month is still running. */
  complete: boolean
  /** The month's mark in 月报's grid (reportMonth: as the monthly workbook counts it); null when the unit owes no report. */
  mark: ReportMark | null
  /** The current version and the ones it replaced (unitReportText). */
  text: UnitReportText
}

/** A deliverable of the plan and whether the unit has done it (deliverablesDone, as 阶段 and 待办). */
export interface UnitDeliverable {
  task: PhaseTask
  done: boolean
  /** Its deadline's light while not done (as 阶段 shows what is owed). */
  light: StatusLight
}

export interface UnitPhase {
  phase: Phase
  running: boolean
  deliverables: UnitDeliverable[]
}

/** A circular that reached the unit's people, with their receipts (circularStatus's, the unit's own). */
export interface UnitCircular {
  circular: Circular
  receipts: ReceiptLine[]
}

/** The unit's 响应时效 this month, as chat's 时效 ‹单位› reads it (docs/responsiveness.md). */
export interface UnitPageResponsiveness {
  period: Responsiveness['period']
  figures: ScopeFigures
  /** The unit's people reminded this month, slowest first. */
  people: PersonResponsiveness[]
}

/** One unit's page (docs/dashboard.md, 单位): every figure from the read model chat reads. */
export interface UnitPageData {
  unit: Unit
  today: CalendarDate
  /** A participating unit owes the deliverables and the monthly reports (docs/figures.md). */
  participant: boolean
  /** Its row of ledgerStatus: the overview's and 统计's figures. */
  statistics: UnitStatistics
  heads: string[]
  liaisons: string[]
  /** Every item of the campaign for the unit, most urgent first (byUrgency). */
  items: LedgerItem[]
  /** person id → name, for the items' responsible people. */
  names: Map<number, string>
  /** Each month of the campaign up to this one, the latest first. */
  reports: UnitMonthReport[]
  phases: UnitPhase[]
  /** Newest first. */
  circulars: UnitCircular[]
  responsiveness: UnitPageResponsiveness
}

export async function findUnit(db: DataSource, unitId: number): Promise<Unit | null> {
  return db.getRepository(UnitSchema).findOneBy({ id: unitId })
}

export async function unitPageData(db: DataSource, campaign: Campaign, unit: Unit, today: CalendarDate, now: Date): Promise<UnitPageData> {
  const participant = (await participantUnits(db, campaign.id)).includes(unit.id)
  const items = (await db.getRepository(LedgerItemSchema).find({ where: { campaignId: campaign.id, unitId: unit.id } })).sort(byUrgency(today))
  // Its row of ledgerStatus, counted from its own items by the same function (a province's whole ledger is not read for one unit).
  const statistics = unitStatistics(items, today, [unit.id], new Map([[unit.id, unit.name]]))[0]!
  statistics.reportsSubmitted = await db.getRepository(MonthlyReportSchema).countBy({ campaignId: campaign.id, unitId: unit.id })
  const names = await personNames(db, items.map((i) => i.responsiblePersonId).filter((id): id is number => id !== null))
  const contacts = await unitContacts(db, unit.id)
  return {
    unit,
    today,
    participant,
    statistics,
    ...contacts,
    items,
    names,
    reports: await monthReports(db, campaign, unit.id, participant, today, now),
    phases: await phaseDeliverables(db, campaign.id, unit.id, participant, today),
    circulars: await unitCirculars(db, campaign.id, unit.id),
    responsiveness: await unitResponsiveness(db, campaign, unit.id, today, now),
  }
}

/** This month's figures of the unit and its people: 时效 ‹单位› (commands/responsiveness.ts) with the month it defaults to. */
async function unitResponsiveness(db: DataSource, campaign: Campaign, unitId: number, today: CalendarDate, now: Date): Promise<UnitPageResponsiveness> {
  const figures = await responsiveness(db, campaign, { month: defaultMonth(campaign, today) }, now, { unitId, people: true })
  return {
    period: figures.period,
    figures: figures.units.find((u) => u.unitId === unitId) ?? figures.county,
    people: figures.people.filter((p) => p.unitId === unitId),
  }
}

/** The unit's heads and liaisons (active people holding the role in it), in the order they were appointed. */
async function unitContacts(db: DataSource, unitId: number): Promise<{ heads: string[]; liaisons: string[] }> {
  const assignments = await db.getRepository(RoleAssignmentSchema).find({ where: { unitId, role: In(['unit_head', 'liaison']) }, order: { id: 'ASC' } })
  const people = assignments.length === 0 ? [] : await db.getRepository(PersonSchema).findBy({ id: In(assignments.map((a) => a.personId)), active: true })
  const named = (role: string) => assignments.filter((a) => a.role === role).flatMap((a) => people.filter((p) => p.id === a.personId).map((p) => p.name))
  return { heads: named('unit_head'), liaisons: named('liaison') }
}

/** Each month from the campaign's first to this one (or its last), the latest first. */
async function monthReports(db: DataSource, campaign: Campaign, unitId: number, participant: boolean, today: CalendarDate, now: Date): Promise<UnitMonthReport[]> {
  const reports: UnitMonthReport[] = []
  for (const month of campaignMonths(campaign, today).reverse()) {
    const text = await unitReportText(db, campaign.id, unitId, month)
    const mark = participant ? await unitReportMark(db, campaign, unitId, month, now) : null
    reports.push({ month, dueDate: lastDayOfMonth(`${month}-01`), complete: reportPeriod(month, now).complete, mark, text })
  }
  return reports
}

/** Every phase of the plan with its deliverables, done or not (deliverablesDone: handed in, or a 全面检查 in the phase). */
async function phaseDeliverables(db: DataSource, campaignId: number, unitId: number, participant: boolean, today: CalendarDate): Promise<UnitPhase[]> {
  const phases = await db.getRepository(PhaseSchema).find({ where: { campaignId }, order: { seq: 'ASC' } })
  const tasks = await db.getRepository(PhaseTaskSchema).find({ where: { campaignId }, order: { dueDate: 'ASC', id: 'ASC' } })
  const done = await deliverablesDone(db, campaignId, tasks, participant ? [unitId] : [])
  return phases.map((phase) => ({
    phase,
    running: phase.startDate <= today && today <= phase.endDate,
    deliverables: tasks.filter((t) => t.phaseId === phase.id).map((task) => ({ task, done: done.has(`${task.id}:${unitId}`), light: deadlineLight(task.dueDate, today) })),
  }))
}

/** The campaign's circulars sent to the unit's people (sent, or recalled after), newest first, each with the unit's receipts. */
async function unitCirculars(db: DataSource, campaignId: number, unitId: number): Promise<UnitCircular[]> {
  const receipts = await db.getRepository(CircularReceiptSchema).find({ where: { unitId }, select: { id: true, circularId: true } })
  if (receipts.length === 0) return []
  const circulars = await db.getRepository(CircularSchema).find({
    where: { id: In([...new Set(receipts.map((r) => r.circularId))]), campaignId, status: In(['sent', 'recalled']) },
    order: { sentAt: 'DESC', id: 'DESC' },
    take: UNIT_CIRCULAR_LIMIT,
  })
  const shown: UnitCircular[] = []
  for (const { id } of circulars) {
    const status = await circularStatus(db, id)
    shown.push({ circular: status.circular, receipts: status.receipts.filter((r) => r.unitId === unitId) })
  }
  return shown
}
