/**
 * A province-sized campaign for the benches (bench/reminder-sweep.ts, bench/dashboard.ts): UNITS
 * (5,000) units, four people each (20,000), ITEMS (200,000) ledger items with a seeded random
 * spread of due dates (August to December) and states (most past ones closed, about a third still
 * open: overdue) as they stand on PROVINCE_TODAY. The same campaign on every run.
 */
import type { DataSource } from 'typeorm'
import { createCampaign } from '../src/domain/campaign/create-campaign.js'
import { CampaignUnitSchema, LedgerItemSchema, PersonSchema, ProblemCategorySchema, RoleAssignmentSchema, UnitSchema } from '../src/db/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { addDays } from '../src/time/calendar-date.js'

export const UNITS = Number(process.env.UNITS ?? 5000)
export const ITEMS = Number(process.env.ITEMS ?? 200_000)
/** The day the seeded states stand on (past due: mostly closed or overdue). */
export const PROVINCE_TODAY = '2015-10-15'

/** mulberry32: the same "random" campaign on every run. */
export function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function bulk<T extends object>(ds: DataSource, schema: Parameters<DataSource['getRepository']>[0], rows: T[], size = 1000) {
  for (let i = 0; i < rows.length; i += size) {
    await ds.createQueryBuilder().insert().into(schema).values(rows.slice(i, i + size)).updateEntity(false).execute()
  }
}

function itemStatus(pastDue: boolean, r: number): string {
  // Past due: 60% closed, 10% rectified awaiting verification, 30% still open (overdue).
  if (pastDue) return r < 0.6 ? 'closed' : r < 0.7 ? 'rectified' : r < 0.9 ? 'in_progress' : 'open'
  return r < 0.05 ? 'closed' : r < 0.15 ? 'rectified' : r < 0.65 ? 'in_progress' : 'open'
}

/** Seeds the campaign (default plan, from 2015-07-01), its units, people, roles and items into a migrated, empty database. */
export async function seedProvince(ds: DataSource) {
  const rand = random(20150701)
  const { campaign } = await ds.transaction((m) => createCampaign(m, loadPlan(DEFAULT_PLAN), '2015-07-01'))
  const categories = (await ds.getRepository(ProblemCategorySchema).findBy({ campaignId: campaign.id })).map((c) => c.id)
  await bulk(ds, UnitSchema, Array.from({ length: UNITS }, (_, i) => ({ name: `单位${i}`, kind: 'town', parentId: null })))
  const firstUnit = (await ds.getRepository(UnitSchema).findOneByOrFail({ name: '单位0' })).id
  // Per unit: its head, the leader in charge, the liaison, and a member of staff.
  const roles = ['unit_head', 'leader', 'liaison', 'staff'] as const
  await bulk(ds, PersonSchema, Array.from({ length: UNITS * 4 }, (_, i) => ({ userid: `p${i}`, name: `人员${i}`, unitId: firstUnit + Math.floor(i / 4), title: null, mobile: null })))
  const firstPerson = (await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'p0' })).id
  await bulk(ds, RoleAssignmentSchema, Array.from({ length: UNITS * 4 }, (_, i) => ({ personId: firstPerson + i, role: roles[i % 4], unitId: firstUnit + Math.floor(i / 4) })))
  await bulk(ds, CampaignUnitSchema, Array.from({ length: UNITS }, (_, i) => ({ campaignId: campaign.id, unitId: firstUnit + i, role: 'participant' })))
  const items = Array.from({ length: ITEMS }, (_, n) => {
    const unit = n % UNITS
    const due = addDays('2015-08-01', Math.floor(rand() * 150))
    return {
      campaignId: campaign.id,
      unitId: firstUnit + unit,
      categoryId: categories[Math.floor(rand() * categories.length)]!,
      problem: `问题${n}：工作拖延应付，重点工作推进慢`,
      measures: '整改措施',
      target: '整治目标',
      dueDate: due,
      originalDueDate: due,
      responsibleLeaderId: firstPerson + unit * 4 + 1,
      // The leader, the liaison or the member of staff.
      responsiblePersonId: firstPerson + unit * 4 + 1 + Math.floor(rand() * 3),
      status: itemStatus(due < PROVINCE_TODAY, rand()),
      progress: Math.floor(rand() * 100),
    }
  })
  await bulk(ds, LedgerItemSchema, items)
  const overdue = items.filter((i) => i.dueDate < PROVINCE_TODAY && (i.status === 'open' || i.status === 'in_progress')).length
  return { overdue, campaign, firstUnit, firstPerson }
}

/** Rows of raw values into a table, a thousand a multi-row statement (history a benchmark writes by hand). */
export async function insertRows(ds: DataSource, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const tuple = `(${columns.map(() => '?').join(', ')})`
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000)
    await ds.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`, chunk.flat())
  }
}

/**
 * Items' history as raw rows: progress_update (ledger_item_id, person_id, kind, old_status,
 * new_status, old_progress, new_progress, note, created_at) and extension_request
 * (ledger_item_id, requested_by_id, old_due_date, new_due_date, reason, status, decided_by_id,
 * decided_at, decision_note, created_at).
 */
export async function insertHistory(ds: DataSource, updates: unknown[][], extensions: unknown[][]): Promise<void> {
  await insertRows(ds, 'progress_update', ['ledger_item_id', 'person_id', 'kind', 'old_status', 'new_status', 'old_progress', 'new_progress', 'note', 'created_at'], updates)
  await insertRows(
    ds,
    'extension_request',
    ['ledger_item_id', 'requested_by_id', 'old_due_date', 'new_due_date', 'reason', 'status', 'decided_by_id', 'decided_at', 'decision_note', 'created_at'],
    extensions,
  )
}
