import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createCampaign } from '../src/domain/campaign/create-campaign.js'
import {
  CampaignSchema,
  CampaignUnitSchema,
  PhaseSchema,
  PhaseTaskSchema,
  ProblemCategorySchema,
  UnitSchema,
} from '../src/db/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { UserFacingError } from '../src/errors.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const plan = loadPlan(DEFAULT_PLAN)

describe(`campaign creation from the plan on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  const create = (start: string) => ds.transaction((manager) => createCampaign(manager, plan, start))
  const counts = async () => ({
    campaigns: await ds.getRepository(CampaignSchema).count(),
    phases: await ds.getRepository(PhaseSchema).count(),
    tasks: await ds.getRepository(PhaseTaskSchema).count(),
    categories: await ds.getRepository(ProblemCategorySchema).count(),
    units: await ds.getRepository(UnitSchema).count(),
    campaignUnits: await ds.getRepository(CampaignUnitSchema).count(),
  })

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
  })
  afterAll(async () => {
    await db?.close()
  })

  it('instantiates the 2015 plan with its own dates', async () => {
    const { campaign, created } = await create('2015-07-01')
    expect(created).toBe(true)
    expect(campaign).toMatchObject({ startDate: '2015-07-01', endDate: '2015-12-31', planName: 'weiguan-buwei' })
    const phases = await ds.getRepository(PhaseSchema).find({ where: { campaignId: campaign.id }, order: { seq: 'ASC' } })
    expect(phases.map((p) => [p.code, p.startDate, p.endDate])).toEqual([
      ['mobilize', '2015-07-01', '2015-07-31'],
      ['self_check', '2015-08-01', '2015-08-31'],
      ['inspect', '2015-08-01', '2015-12-31'],
      ['institutionalize', '2015-12-01', '2015-12-31'],
    ])
    expect(await counts()).toEqual({ campaigns: 1, phases: 4, tasks: 6, categories: 8, units: 7, campaignUnits: 7 })
    const convener = await ds.getRepository(UnitSchema).findOneByOrFail({ id: campaign.convenerUnitId! })
    expect(convener.name).toBe('县委组织部')
    const roles = await ds.getRepository(CampaignUnitSchema).findBy({ campaignId: campaign.id })
    expect(roles.filter((r) => r.role === 'convener').map((r) => r.unitId)).toEqual([convener.id])
    const memberIds = roles.filter((r) => r.role === 'joint_member').map((r) => r.unitId)
    const members = await ds.getRepository(UnitSchema).findBy(memberIds.map((id) => ({ id })))
    expect(members.map((u) => u.name).sort()).toEqual([...plan.jointMeeting.members].sort())
    // Member units are county departments; their membership belongs to the campaign.
    expect(new Set(members.map((u) => u.kind))).toEqual(new Set(['county_department']))
  })

  it('does not duplicate anything when run again', async () => {
    const before = await counts()
    const again = await create('2015-07-01')
    expect(again.created).toBe(false)
    expect(await counts()).toEqual(before)
  })

  it('shifts every date from another start, keeping month ends', async () => {
    const { campaign, created } = await create('2026-11-01')
    expect(created).toBe(true)
    expect(campaign.endDate).toBe('2027-04-30')
    const tasks = await ds.getRepository(PhaseTaskSchema).find({ where: { campaignId: campaign.id }, order: { id: 'ASC' } })
    expect(tasks.map((t) => [t.code, t.dueDate])).toEqual([
      ['work_plan', '2026-11-30'],
      ['ledger', '2026-12-31'],
      ['rectification_disclosure', '2026-12-31'],
      ['subordinate_inspection', '2027-04-30'],
      ['summary', '2027-04-30'],
      ['mechanisms', '2027-04-30'],
    ])
    // The member units are shared between campaigns, not created twice; each campaign has its own roles.
    expect((await counts()).units).toBe(7)
    expect(await ds.getRepository(CampaignUnitSchema).countBy({ campaignId: campaign.id })).toBe(7)
  })

  it('refuses an invalid start date with the correct form', async () => {
    await expect(create('2026-02-30')).rejects.toThrow(UserFacingError)
    await expect(create('2026-02-30')).rejects.toThrow(/应为 YYYY-MM-DD，例：2015-07-01/)
  })
})
