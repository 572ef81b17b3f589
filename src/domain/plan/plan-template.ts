import type { CalendarDate } from '../../time/calendar-date.js'
import type { PhaseCode } from '../../db/entities/phase.js'

/**
 * A campaign plan as data (src/domain/plan/builtin/*.json): the phases with their windows and deliverables,
 * the problem categories and the joint meeting, all dated as in the original document.
 * `campaign create --start` shifts every date by the distance from referenceStart.
 */
export interface PlanTemplate {
  name: string
  version: string
  title: string
  source: string
  referenceStart: CalendarDate
  referenceEnd: CalendarDate
  phases: PlanPhase[]
  monthlyReport: { name: string; due: 'month_end'; recipient: string }
  categories: PlanCategory[]
  jointMeeting: { convener: string; members: string[] }
  /** The inspection group's settings (docs/inspections.md); absent: DEFAULT_INSPECTIONS. */
  inspections?: PlanInspections
}

/** How findings become ledger items (docs/inspections.md, Findings). */
export interface PlanInspections {
  /** A finding that must be rectified is due this many working days after it is recorded, unless a date is given. */
  rectifyWorkdays: number
}

/** The settings of a plan without `inspections`, and of a campaign whose plan is not a built-in one. */
export const DEFAULT_INSPECTIONS: PlanInspections = { rectifyWorkdays: 15 }

export interface PlanPhase {
  code: PhaseCode
  name: string
  start: CalendarDate
  end: CalendarDate
  description: string
  tasks: PlanTask[]
}

export interface PlanTask {
  code: string
  name: string
  due: CalendarDate
  description: string
  /**
   * "full_check": a unit has done this deliverable once the inspection group recorded a
   * 全面检查 of it in the task's phase (docs/inspections.md, Coverage); absent: handed in.
   */
  doneBy?: 'full_check'
}

export interface PlanCategory {
  number: number
  label: string
  name: string
  description: string
}
