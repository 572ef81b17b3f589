import { In, type DataSource, type EntityManager } from 'typeorm'
import { AccountabilitySchema, InspectionSchema, PersonSchema, UnitSchema, type AccountabilityMeasure, type Inspection } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'

type Db = DataSource | EntityManager

/**
 * A decision of 组织部 as its readers see it. Only answers to 组织部 (问责) and the annual
 * assessment export read these (docs/inspections.md, Accountability): no other surface does.
 */
export interface AccountabilityEntry {
  id: number
  campaignId: number
  measure: AccountabilityMeasure
  decidedOn: CalendarDate
  unitId: number | null
  unitName: string
  personId: number | null
  personName: string | null
  inspectionId: number | null
  note: string
  recordedBy: string | null
  notifiedAt: Date | null
  createdAt: Date
}

/** The campaign's decisions (of one unit, if given), the latest decided first. */
export async function accountabilityEntries(db: Db, campaignId: number, unitId?: number): Promise<AccountabilityEntry[]> {
  const rows = await db.getRepository(AccountabilitySchema).find({ where: { campaignId, ...(unitId === undefined ? {} : { unitId }) }, order: { decidedOn: 'DESC', id: 'DESC' } })
  const units = await namesOf(db, UnitSchema, rows.map((r) => r.unitId))
  const people = await namesOf(db, PersonSchema, rows.flatMap((r) => [r.personId, r.recordedById]))
  return rows.map((r) => ({
    id: r.id,
    campaignId: r.campaignId,
    measure: r.measure,
    decidedOn: r.decidedOn,
    unitId: r.unitId,
    unitName: r.unitId === null ? '' : (units.get(r.unitId) ?? `#${r.unitId}`),
    personId: r.personId,
    personName: r.personId === null ? null : (people.get(r.personId) ?? `#${r.personId}`),
    inspectionId: r.inspectionId,
    note: r.note,
    recordedBy: r.recordedById === null ? null : (people.get(r.recordedById) ?? null),
    notifiedAt: r.notifiedAt,
    createdAt: r.createdAt,
  }))
}

/** One decision with the finding it is for; null when there is none of that number. */
export async function accountabilityEntry(db: Db, id: number): Promise<(AccountabilityEntry & { inspection: Inspection | null }) | null> {
  const row = await db.getRepository(AccountabilitySchema).findOneBy({ id })
  if (!row) return null
  const entry = (await accountabilityEntries(db, row.campaignId, row.unitId ?? undefined)).find((e) => e.id === id)!
  const inspection = row.inspectionId === null ? null : await db.getRepository(InspectionSchema).findOneBy({ id: row.inspectionId })
  return { ...entry, inspection }
}

async function namesOf(db: Db, schema: typeof UnitSchema | typeof PersonSchema, ids: readonly (number | null)[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))]
  if (wanted.length === 0) return new Map()
  const rows = (await db.getRepository(schema).find({ where: { id: In(wanted) }, select: { id: true, name: true } })) as { id: number; name: string }[]
  return new Map(rows.map((r) => [r.id, r.name]))
}
