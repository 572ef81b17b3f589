import { Between, In, type DataSource, type EntityManager } from 'typeorm'
import {
  CircularLinkSchema,
  CircularSchema,
  InspectionSchema,
  LedgerItemSchema,
  PersonSchema,
  ProblemCategorySchema,
  PublicReportSchema,
  type Circular,
  type Inspection,
  type LedgerItem,
  type Phase,
  type ProblemCategory,
} from '../db/entities/index.js'
import type { InspectionMethod } from '../db/entities/inspection.js'
import { METHODS } from '../domain/inspections/inspection-methods.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { currentPhases, participantUnits } from './campaign-progress.js'
import { unitNames } from './ledger-status.js'

type Db = DataSource | EntityManager

/** A finding as lists show it: the row and its unit's name. */
export interface InspectionRow {
  inspection: Inspection
  unitName: string
}

/** The campaign's findings, of one unit or all, newest check first. */
export async function listInspections(db: Db, campaignId: number, unitId?: number): Promise<InspectionRow[]> {
  const rows = await db.getRepository(InspectionSchema).find({
    where: { campaignId, ...(unitId === undefined ? {} : { unitId }) },
    order: { inspectedOn: 'DESC', id: 'DESC' },
  })
  const names = await unitNames(db, [...new Set(rows.map((r) => r.unitId))])
  return rows.map((inspection) => ({ inspection, unitName: names.get(inspection.unitId) ?? `#${inspection.unitId}` }))
}

/** A finding in full, as 督查 详情 shows it. */
export interface InspectionDetail {
  inspection: Inspection
  unitName: string
  category: ProblemCategory | null
  inspectorName: string | null
  /** The ledger item made of it (must rectify), as it stands. */
  item: LedgerItem | null
  /** The typical-case circulars sent that name it, oldest first (recalled ones too). */
  circulars: Circular[]
  /**
   * The report from the public this finding came from (public_report.inspection_id), by number
   * only: never who reported it (docs/inspections.md, Confidentiality). Callers show it to
   * 组织部 alone.
   */
  publicReportId: number | null
}

/** One finding of the campaign, or null when the number names none. */
export async function inspectionDetail(db: Db, campaignId: number, id: number): Promise<InspectionDetail | null> {
  const inspection = await db.getRepository(InspectionSchema).findOneBy({ id, campaignId })
  if (!inspection) return null
  const names = await unitNames(db, [inspection.unitId])
  const category = inspection.categoryId === null ? null : await db.getRepository(ProblemCategorySchema).findOneBy({ id: inspection.categoryId })
  const inspector = inspection.inspectorId === null ? null : await db.getRepository(PersonSchema).findOneBy({ id: inspection.inspectorId })
  const item = inspection.ledgerItemId === null ? null : await db.getRepository(LedgerItemSchema).findOneBy({ id: inspection.ledgerItemId })
  const links = await db.getRepository(CircularLinkSchema).findBy({ inspectionId: id })
  const circulars =
    links.length === 0
      ? []
      : await db.getRepository(CircularSchema).find({
          where: { id: In([...new Set(links.map((l) => l.circularId))]), kind: 'typical_case', status: In(['sent', 'recalled']) },
          order: { sentAt: 'ASC', id: 'ASC' },
        })
  const report = await db.getRepository(PublicReportSchema).findOne({ where: { inspectionId: id }, select: { id: true }, order: { id: 'ASC' } })
  return {
    inspection,
    unitName: names.get(inspection.unitId) ?? `#${inspection.unitId}`,
    category,
    inspectorName: inspector?.name ?? null,
    item,
    circulars,
    publicReportId: report?.id ?? null,
  }
}

/** The finding a ledger item was made of (the link back from the item), or null. */
export async function findingOfItem(db: Db, itemId: number): Promise<Pick<Inspection, 'id'> | null> {
  return db.getRepository(InspectionSchema).findOne({ where: { ledgerItemId: itemId }, select: { id: true }, order: { id: 'ASC' } })
}

/** One participating unit's checks in the window. */
export interface UnitCoverage {
  unitId: number
  unitName: string
  checks: number
  lastCheckedOn: CalendarDate | null
  /** Checks by method (methods never used are absent). */
  methods: Partial<Record<InspectionMethod, number>>
  /** It has a 全面检查 in the window. */
  fullCheck: boolean
}

/** 督查 进度 and the workbook's 督查情况 (definitions: docs/inspections.md, Coverage). */
export interface InspectionCoverage {
  /** The running phases; the window is from the earliest start to `today`. */
  phases: Phase[]
  from: CalendarDate | null
  to: CalendarDate
  /** Every participating unit, by name; checked or not. */
  units: UnitCoverage[]
  /** All checks in the window (of any unit), by method, every method present. */
  byMethod: Record<InspectionMethod, number>
  /** Checks (inspection rows) in the window. */
  checks: number
  /** Of those, the findings that must be rectified. */
  mustRectify: number
  /** Ledger items made of those findings, and how many of them are closed (已销号) now. */
  itemsCreated: number
  itemsClosed: number
  /** Of those checks, the findings marked typical cases. */
  typicalCases: number
}

/**
 * Which participating units the inspection group has checked during the running phase(s) and
 * which not yet: the checks recorded with an inspection date from the earliest running phase's
 * start to `today`. No running phase: every count is 0 and `from` is null.
 */
export async function inspectionCoverage(db: Db, campaignId: number, today: CalendarDate): Promise<InspectionCoverage> {
  const { running } = await currentPhases(db, campaignId, today)
  const from = running.length === 0 ? null : running.map((p) => p.startDate).sort()[0]!
  const checks = from === null ? [] : await db.getRepository(InspectionSchema).find({ where: { campaignId, inspectedOn: Between(from, today) }, order: { inspectedOn: 'ASC', id: 'ASC' } })
  const inWindow = checks
  const participants = await participantUnits(db, campaignId)
  const names = await unitNames(db, participants)
  const units = participants
    .map((unitId): UnitCoverage => {
      const own = inWindow.filter((c) => c.unitId === unitId)
      const methods: Partial<Record<InspectionMethod, number>> = {}
      for (const c of own) methods[c.method] = (methods[c.method] ?? 0) + 1
      return { unitId, unitName: names.get(unitId) ?? `#${unitId}`, checks: own.length, lastCheckedOn: own.at(-1)?.inspectedOn ?? null, methods, fullCheck: own.some((c) => c.method === 'full_check') }
    })
    .sort((a, b) => a.unitName.localeCompare(b.unitName, 'zh-CN'))
  const byMethod = Object.fromEntries(METHODS.map((m) => [m, inWindow.filter((c) => c.method === m).length])) as Record<InspectionMethod, number>
  const itemIds = inWindow.map((c) => c.ledgerItemId).filter((id): id is number => id !== null)
  const items = itemIds.length === 0 ? [] : await db.getRepository(LedgerItemSchema).find({ where: { id: In(itemIds) }, select: { id: true, status: true } })
  return {
    phases: running,
    from,
    to: today,
    units,
    byMethod,
    checks: inWindow.length,
    mustRectify: inWindow.filter((c) => c.mustRectify).length,
    itemsCreated: items.length,
    itemsClosed: items.filter((i) => i.status === 'closed').length,
    typicalCases: inWindow.filter((c) => c.isTypicalCase).length,
  }
}
