import { In, LessThanOrEqual, MoreThanOrEqual, type DataSource, type EntityManager } from 'typeorm'
import { CampaignSchema, CampaignUnitSchema, InspectionSchema, MonthlyReportSchema, PersonSchema, PhaseSchema, PhaseTaskSchema, TaskSubmissionSchema, type Campaign, type Phase, type PhaseTask } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { inspectionSettings } from '../domain/plan/campaign-plan.js'
import { deadlineLight, type StatusLight } from './figures.js'
import { unitNames } from './ledger-status.js'

type Db = DataSource | EntityManager

/** The campaign's participating units: they owe deliverables and monthly reports (组织部 and the member units do not). */
export async function participantUnits(db: Db, campaignId: number): Promise<number[]> {
  return (await db.getRepository(CampaignUnitSchema).findBy({ campaignId, role: 'participant' })).map((c) => c.unitId)
}

/** The phases running on `today` (usually one), and the phase to show: the running one, else the next. */
export async function currentPhases(db: Db, campaignId: number, today: CalendarDate): Promise<{ running: Phase[]; shown: Phase | null }> {
  const phases = await db.getRepository(PhaseSchema).find({ where: { campaignId }, order: { seq: 'ASC' } })
  const running = phases.filter((p) => p.startDate <= today && today <= p.endDate)
  return { running, shown: running[0] ?? phases.find((p) => p.startDate > today) ?? null }
}

/** A deliverable some of the units still owe, with its deadline's light (docs/figures.md). */
export interface OwedTask {
  task: PhaseTask
  light: StatusLight
}

export interface PhaseStatus {
  running: Phase[]
  /** The running phases' deliverables. */
  tasks: PhaseTask[]
  /** Those at least one of the units has not handed in. */
  owed: OwedTask[]
}

/** The running phases and what `unitIds` (participants only) still owe of their deliverables. */
export async function phaseStatus(db: Db, campaignId: number, today: CalendarDate, unitIds: readonly number[]): Promise<PhaseStatus> {
  const running = await db.getRepository(PhaseSchema).find({
    where: { campaignId, startDate: LessThanOrEqual(today), endDate: MoreThanOrEqual(today) },
    order: { seq: 'ASC' },
  })
  const participants = new Set(await participantUnits(db, campaignId))
  const units = unitIds.filter((id) => participants.has(id))
  const tasks = running.length === 0 ? [] : await db.getRepository(PhaseTaskSchema).find({ where: { campaignId, phaseId: In(running.map((p) => p.id)) }, order: { dueDate: 'ASC', id: 'ASC' } })
  const done = await deliverablesDone(db, campaignId, tasks, units)
  const owed = units.length === 0 ? [] : tasks.filter((task) => units.some((unitId) => !done.has(`${task.id}:${unitId}`)))
  return { running, tasks: units.length === 0 ? [] : tasks, owed: owed.map((task) => ({ task, light: deadlineLight(task.dueDate, today) })) }
}

/**
 * Which units have done which deliverables, as "taskId:unitId": handed in (task_submission), or,
 * for a task the campaign's plan marks done by a full check, a 全面检查 of the unit recorded within
 * the task's phase (docs/inspections.md, Coverage). The one definition 阶段, 待办 and the reminder
 * sweep use.
 */
export async function deliverablesDone(db: Db, campaignId: number, tasks: readonly PhaseTask[], unitIds: readonly number[]): Promise<Set<string>> {
  const done = new Set<string>()
  if (tasks.length === 0 || unitIds.length === 0) return done
  const submitted = await db.getRepository(TaskSubmissionSchema).find({ where: { taskId: In(tasks.map((t) => t.id)), unitId: In([...unitIds]) }, select: { taskId: true, unitId: true } })
  for (const s of submitted) done.add(`${s.taskId}:${s.unitId}`)
  const campaign = await db.getRepository(CampaignSchema).findOneBy({ id: campaignId })
  const byCheck = campaign ? tasks.filter((t) => inspectionSettings(campaign).fullCheckTasks.includes(t.code)) : []
  if (byCheck.length === 0) return done
  const phases = await db.getRepository(PhaseSchema).findBy({ id: In([...new Set(byCheck.map((t) => t.phaseId))]) })
  const checks = await db.getRepository(InspectionSchema).find({ where: { campaignId, method: 'full_check', unitId: In([...unitIds]) }, select: { unitId: true, inspectedOn: true } })
  for (const task of byCheck) {
    const phase = phases.find((p) => p.id === task.phaseId)
    if (!phase) continue
    for (const check of checks) if (phase.startDate <= check.inspectedOn && check.inspectedOn <= phase.endDate) done.add(`${task.id}:${check.unitId}`)
  }
  return done
}

/** One participating unit's report for a month. */
export interface UnitReport {
  unitId: number
  unitName: string
  /** null: not submitted (or submitted after `asOf`). */
  submittedAt: Date | null
  submittedBy: string | null
  revision: number | null
}

/**
 * Monthly report status of every participating unit for `month`, as of `asOf` (a report
 * submitted later counts as missing then), sorted by unit name.
 */
export async function monthlyReportStatus(db: Db, campaign: Pick<Campaign, 'id'>, month: string, asOf: Date | null = null): Promise<UnitReport[]> {
  const participants = await participantUnits(db, campaign.id)
  const reports = await db.getRepository(MonthlyReportSchema).find({ where: { campaignId: campaign.id, month } })
  const names = await unitNames(db, participants)
  const people = reports.length === 0 ? new Map<number, string>() : new Map((await db.getRepository(PersonSchema).findBy({ id: In(reports.map((r) => r.submittedById).filter((id): id is number => id !== null)) })).map((p) => [p.id, p.name]))
  // One report per unit and month (uq_monthly_report_unit_month): looked up by unit, not searched for each.
  const byUnit = new Map(reports.map((r) => [r.unitId, r]))
  const collator = new Intl.Collator('zh-CN')
  return participants
    .map((unitId): UnitReport => {
      const found = byUnit.get(unitId)
      const report = found && (asOf === null || found.submittedAt.getTime() <= asOf.getTime()) ? found : undefined
      return {
        unitId,
        unitName: names.get(unitId) ?? `#${unitId}`,
        submittedAt: report?.submittedAt ?? null,
        submittedBy: report?.submittedById ? (people.get(report.submittedById) ?? null) : null,
        revision: report?.revision ?? null,
      }
    })
    .sort((a, b) => collator.compare(a.unitName, b.unitName))
}

/** One unit's report for a month (whether or not the unit takes part). */
export async function unitMonthlyReport(db: Db, campaignId: number, unitId: number, month: string): Promise<UnitReport> {
  const report = await db.getRepository(MonthlyReportSchema).findOneBy({ campaignId, unitId, month })
  const names = await unitNames(db, [unitId])
  const by = report?.submittedById ? await db.getRepository(PersonSchema).findOneBy({ id: report.submittedById }) : null
  return { unitId, unitName: names.get(unitId) ?? `#${unitId}`, submittedAt: report?.submittedAt ?? null, submittedBy: by?.name ?? null, revision: report?.revision ?? null }
}
