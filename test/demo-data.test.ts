import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { demoCampaignStart, isDatabaseEmpty, seedDemo } from '../src/domain/demo/seed-demo.js'
import { CampaignSchema, CampaignUnitSchema, LedgerItemSchema, PersonSchema, RoleAssignmentSchema } from '../src/db/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

describe(`demo data on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
  })
  afterAll(async () => {
    await db?.close()
  })

  it('seeds a campaign starting this month with overdue and due-soon items', async () => {
    expect(await isDatabaseEmpty(ds)).toBe(true)
    const today = '2026-11-26'
    const summary = await seedDemo(ds, loadPlan(DEFAULT_PLAN), today)
    expect(await isDatabaseEmpty(ds)).toBe(false)
    const campaign = await ds.getRepository(CampaignSchema).findOneByOrFail({ id: summary.campaignId })
    expect(campaign.startDate).toBe('2026-11-01')
    const items = await ds.getRepository(LedgerItemSchema).find()
    expect(items).toHaveLength(summary.ledgerItems)
    const open = items.filter((i) => i.status === 'open' || i.status === 'in_progress')
    expect(open.filter((i) => i.dueDate < today).length).toBeGreaterThanOrEqual(2)
    expect(open.filter((i) => i.dueDate >= today && i.dueDate <= '2026-11-29').length).toBeGreaterThanOrEqual(2)
    expect(items.every((i) => i.dueDate >= campaign.startDate)).toBe(true)
    expect(await ds.getRepository(PersonSchema).count()).toBe(summary.people)
    expect(await ds.getRepository(RoleAssignmentSchema).countBy({ role: 'org_admin' })).toBe(1)
    // Every unit with ledger items takes part in the campaign.
    const participants = await ds.getRepository(CampaignUnitSchema).findBy({ campaignId: campaign.id, role: 'participant' })
    expect(new Set(items.map((i) => i.unitId))).toEqual(new Set(participants.map((p) => p.unitId)))
  })

  it('still shows overdue items on the first day of a month, never dated before the campaign', async () => {
    const other = await createMigratedDatabase()
    try {
      const summary = await seedDemo(other.dataSource, loadPlan(DEFAULT_PLAN), '2026-12-01')
      const campaign = await other.dataSource.getRepository(CampaignSchema).findOneByOrFail({ id: summary.campaignId })
      expect(campaign.startDate).toBe('2026-11-01')
      const items = await other.dataSource.getRepository(LedgerItemSchema).find()
      expect(items.every((i) => i.dueDate >= campaign.startDate)).toBe(true)
      const overdue = items.filter((i) => (i.status === 'open' || i.status === 'in_progress') && i.dueDate < '2026-12-01')
      expect(overdue.length).toBeGreaterThanOrEqual(2)
    } finally {
      await other.close()
    }
  })

  it('starts the demo campaign this month from the 4th on', () => {
    expect(demoCampaignStart('2026-11-26')).toBe('2026-11-01')
    expect(demoCampaignStart('2026-11-04')).toBe('2026-11-01')
    expect(demoCampaignStart('2026-11-03')).toBe('2026-10-01')
    expect(demoCampaignStart('2027-01-01')).toBe('2026-12-01')
  })
})
