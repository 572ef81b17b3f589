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
}

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
}

export interface PlanCategory {
  number: number
  label: string
  name: string
  description: string
}
