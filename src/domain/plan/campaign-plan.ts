import { readdirSync } from 'node:fs'
import type { Campaign } from '../../db/entities/index.js'
import { DEFAULT_INSPECTIONS, type PlanTemplate } from './plan-template.js'
import { loadPlan } from './load-plan.js'

/** The deliverables a 全面检查 counts for when the campaign's plan is not a built-in one (docs/inspections.md, Coverage). */
export const DEFAULT_FULL_CHECK_TASKS: readonly string[] = ['subordinate_inspection']

/** What a campaign's plan says about inspections: the default time to rectify a finding, and the deliverables a 全面检查 counts for. */
export interface CampaignInspectionSettings {
  rectifyWorkdays: number
  /** Codes of the phase tasks (phase_task.code) a unit has done once it has a 全面检查 in the task's phase. */
  fullCheckTasks: readonly string[]
}

const builtinPlans = new Map<string, PlanTemplate | null>()

/**
 * The built-in plan a campaign was created from, found by the name and version it stores
 * (campaign.plan_name, plan_version); null when it came from a plan file of its own, which the
 * database does not keep.
 */
export function builtinPlanOf(campaign: Pick<Campaign, 'planName' | 'planVersion'>): PlanTemplate | null {
  const key = `${campaign.planName}@${campaign.planVersion}`
  if (!builtinPlans.has(key)) {
    const dir = new URL('./builtin/', import.meta.url)
    const names = readdirSync(dir).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -'.json'.length))
    const plan = names.map((name) => loadPlan(name)).find((p) => p.name === campaign.planName && p.version === campaign.planVersion) ?? null
    builtinPlans.set(key, plan)
  }
  return builtinPlans.get(key)!
}

/** The campaign's inspection settings: from its built-in plan, else the defaults (docs/inspections.md). */
export function inspectionSettings(campaign: Pick<Campaign, 'planName' | 'planVersion'>): CampaignInspectionSettings {
  const plan = builtinPlanOf(campaign)
  if (!plan) return { rectifyWorkdays: DEFAULT_INSPECTIONS.rectifyWorkdays, fullCheckTasks: DEFAULT_FULL_CHECK_TASKS }
  return {
    rectifyWorkdays: (plan.inspections ?? DEFAULT_INSPECTIONS).rectifyWorkdays,
    fullCheckTasks: plan.phases.flatMap((phase) => phase.tasks.filter((task) => task.doneBy === 'full_check').map((task) => task.code)),
  }
}
