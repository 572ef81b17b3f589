import { Between, type DataSource } from 'typeorm'
import { InspectionSchema, PublicReportSchema } from '../../db/entities/index.js'
import { inspectionCoverage } from '../../read-model/inspections.js'
import { unitNames } from '../../read-model/ledger-status.js'
import { firstDayOfMonth } from '../../time/calendar-date.js'
import type { ItemAsOf } from './ledger-as-of.js'
import type { ReportPeriod } from './month-span.js'

/** One row of the workbook's 督查情况 sheet (docs/figures.md, Inspections). */
export interface UnitInspections {
  /** null: the reports from the public that name no unit of ours. */
  unitId: number | null
  unitName: string
  /** Checks of the unit with an inspection date in the month (up to the period's day). */
  checks: number
  /** Of those, findings that must be rectified. */
  findings: number
  /** Ledger items made of those findings, and how many of them were closed as of the period's instant. */
  itemsCreated: number
  itemsClosed: number
  /** Reports from the public received in the month, and verified in it: counts of public_report alone, never who reported. */
  reportsReceived: number
  reportsVerified: number
  /** Checks in the running phase(s) up to the period's day, and whether one was a 全面检查; null for a unit not taking part. */
  phaseChecks: number | null
  fullCheck: boolean | null
}

/**
 * The 督查情况 sheet's rows: the units of the other sheets (in their order), then any other unit
 * checked or reported on in the month, then — when there are any — the reports naming no unit.
 */
export async function monthlyInspections(ds: DataSource, campaignId: number, period: ReportPeriod, units: readonly { unitId: number; unitName: string }[], items: readonly ItemAsOf[]): Promise<UnitInspections[]> {
  const from = firstDayOfMonth(period.asOfDate)
  const checks = await ds.getRepository(InspectionSchema).find({ where: { campaignId, inspectedOn: Between(from, period.asOfDate) }, select: { id: true, unitId: true, mustRectify: true, ledgerItemId: true } })
  const received = await ds.getRepository(PublicReportSchema).find({ where: { campaignId, receivedOn: Between(from, period.asOfDate) }, select: { id: true, unitId: true } })
  const verified = await ds.getRepository(PublicReportSchema).find({ where: { campaignId, verifiedAt: Between(period.start, period.asOf) }, select: { id: true, unitId: true } })
  const coverage = new Map((await inspectionCoverage(ds, campaignId, period.asOfDate)).units.map((u) => [u.unitId, u]))
  const closed = new Set(items.filter((i) => i.status === 'closed').map((i) => i.id))
  const known = new Set(units.map((u) => u.unitId))
  const others = [...new Set([...checks, ...received, ...verified].map((r) => r.unitId).filter((id): id is number => id !== null && !known.has(id)))]
  const names = await unitNames(ds, others)
  const rows = [...units, ...others.map((unitId) => ({ unitId, unitName: names.get(unitId) ?? `#${unitId}` })).sort((a, b) => a.unitName.localeCompare(b.unitName, 'zh-CN'))].map(
    ({ unitId, unitName }): UnitInspections => {
      const own = checks.filter((c) => c.unitId === unitId)
      const made = own.map((c) => c.ledgerItemId).filter((id): id is number => id !== null)
      const covered = coverage.get(unitId)
      return {
        unitId,
        unitName,
        checks: own.length,
        findings: own.filter((c) => c.mustRectify).length,
        itemsCreated: made.length,
        itemsClosed: made.filter((id) => closed.has(id)).length,
        reportsReceived: received.filter((r) => r.unitId === unitId).length,
        reportsVerified: verified.filter((r) => r.unitId === unitId).length,
        phaseChecks: covered ? covered.checks : null,
        fullCheck: covered ? covered.fullCheck : null,
      }
    },
  )
  const unnamed = { received: received.filter((r) => r.unitId === null).length, verified: verified.filter((r) => r.unitId === null).length }
  if (unnamed.received + unnamed.verified > 0) {
    rows.push({ unitId: null, unitName: '（未涉及具体单位）', checks: 0, findings: 0, itemsCreated: 0, itemsClosed: 0, reportsReceived: unnamed.received, reportsVerified: unnamed.verified, phaseChecks: null, fullCheck: null })
  }
  return rows
}
