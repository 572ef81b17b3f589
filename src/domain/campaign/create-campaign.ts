import type { EntityManager } from 'typeorm'
import { isCalendarDate, type CalendarDate } from '../../time/calendar-date.js'
import {
  CampaignSchema,
  CampaignUnitSchema,
  PhaseSchema,
  PhaseTaskSchema,
  ProblemCategorySchema,
  UnitSchema,
  type Campaign,
  type CampaignUnitRole,
  type UnitKind,
} from '../../db/entities/index.js'
import type { PlanTemplate } from '../plan/plan-template.js'
import { shiftPlanDate } from '../plan/shift-plan-date.js'
import { UserFacingError } from '../../errors.js'

export interface CreateCampaignResult {
  campaign: Campaign
  /** false when a campaign of this plan with this start date already existed. */
  created: boolean
}

/**
 * Instantiates a campaign from a plan: phases, phase tasks and problem categories, all dates
 * shifted from the plan's reference start, plus the convener and joint-meeting member units.
 * Call it inside a transaction (all or nothing); running it again with the same plan and
 * start date changes nothing.
 */
export async function createCampaign(
  manager: EntityManager,
  plan: PlanTemplate,
  start: CalendarDate,
): Promise<CreateCampaignResult> {
  if (!isCalendarDate(start)) throw new UserFacingError('invalid_date', `开始日期「${start}」无效，应为 YYYY-MM-DD，例：2015-07-01`)
  const existing = await manager.findOneBy(CampaignSchema, { planName: plan.name, startDate: start })
  if (existing) return { campaign: existing, created: false }

  const shift = (date: CalendarDate) => shiftPlanDate(date, plan.referenceStart, start)
  // The member units are county bodies themselves (纪委, 宣传部…); their membership is the campaign's.
  const convener = await ensureUnit(manager, plan.jointMeeting.convener, 'county_department')
  const members = []
  for (const member of plan.jointMeeting.members) members.push(await ensureUnit(manager, member, 'county_department'))

  const campaign = await manager.save(CampaignSchema, {
    name: `${plan.title}（${start.slice(0, 4)}年${Number(start.slice(5, 7))}月起）`,
    planName: plan.name,
    planVersion: plan.version,
    startDate: start,
    endDate: shift(plan.referenceEnd),
    convenerUnitId: convener.id,
    status: 'active',
  })
  for (const [index, planPhase] of plan.phases.entries()) {
    const phase = await manager.save(PhaseSchema, {
      campaignId: campaign.id,
      code: planPhase.code,
      name: planPhase.name,
      seq: index + 1,
      startDate: shift(planPhase.start),
      endDate: shift(planPhase.end),
      description: planPhase.description,
    })
    if (planPhase.tasks.length > 0) {
      await manager.insert(
        PhaseTaskSchema,
        planPhase.tasks.map((task) => ({
          campaignId: campaign.id,
          phaseId: phase.id,
          code: task.code,
          name: task.name,
          description: task.description,
          dueDate: shift(task.due),
        })),
      )
    }
  }
  await manager.insert(
    ProblemCategorySchema,
    plan.categories.map((category) => ({ campaignId: campaign.id, ...category })),
  )
  await manager.insert(CampaignUnitSchema, [
    { campaignId: campaign.id, unitId: convener.id, role: 'convener' as const },
    ...members.map((unit) => ({ campaignId: campaign.id, unitId: unit.id, role: 'joint_member' as const })),
  ])
  return { campaign, created: true }
}

/** Makes a unit take part in a campaign with a role (a no-op when it already does). */
export async function addCampaignUnit(manager: EntityManager, campaignId: number, unitId: number, role: CampaignUnitRole): Promise<void> {
  const existing = await manager.findOneBy(CampaignUnitSchema, { campaignId, unitId, role })
  if (!existing) await manager.insert(CampaignUnitSchema, { campaignId, unitId, role })
}

/** Finds a unit by name or creates it; units outlive campaigns, so they are shared. */
export async function ensureUnit(manager: EntityManager, name: string, kind: UnitKind, parentId: number | null = null) {
  const existing = await manager.findOneBy(UnitSchema, { name })
  if (existing) return existing
  return manager.save(UnitSchema, { name, kind, parentId })
}
