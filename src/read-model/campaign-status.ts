import { responsiveness } from './responsiveness.js'
import { slowestLine } from './responsiveness-text.js'
import { inertText } from '../wecom/inert-text.js'
import { Between, In, MoreThanOrEqual, Not, type DataSource, type EntityManager } from 'typeorm'
import { CircularLinkSchema, CircularSchema, InspectionSchema, LedgerItemSchema, UnitSchema, type Campaign, type Inspection } from '../db/entities/index.js'
import { shorten } from '../domain/ledger/format-item.js'
import { currentPhases, monthlyReportStatus } from './campaign-progress.js'
import { ledgerCounts, type LedgerCounts } from './figures.js'
import { ledgerStatus, overdueRanking, pendingExtensionCount } from './ledger-status.js'
import { reportsAwaitingVerification, verificationCounts } from './public-reports.js'
import { addDays, beijingDate, beijingInstant, monthOf, type CalendarDate } from '../time/calendar-date.js'
import { workdayOnOrBefore } from '../time/work-calendar.js'

/** Where the campaign stands, for a meeting notice: every figure from the read model (docs/figures.md). */
export interface CampaignStatus {
  today: CalendarDate
  /** The phases running (several overlap), or else the next one. */
  phases: { name: string; endDate: CalendarDate }[]
  counts: LedgerCounts
  pendingExtensions: number
  /** Units with overdue items, most first (all of them; the notice shows five). */
  overdueUnits: { unit: string; count: number }[]
  /** Last month's reports: how many units reported of how many owe one, and who did not (none owed in the campaign's first month). */
  reports: { month: string; submitted: number; expected: number; missing: string[] } | null
  /** Typical cases flagged since `since` (the previous meeting), items and inspections. */
  typicalCases: string[]
  /**
   * Inspection findings recorded since `since` (for the first meeting, all so far), and of those
   * the ones that must be rectified (docs/figures.md, Inspections). Absent: not counted.
   */
  findings?: { sinceLastMeeting: boolean; count: number; mustRectify: number }
  /** Reports from the public not yet verified, and those past their verify-by date. Absent: not counted. */
  publicReports?: { waiting: number; overdue: number }
  /** "响应最慢：…" over the campaign so far (docs/responsiveness.md), or null with no unit slow. Absent: not counted. */
  slowest?: string | null
}

export async function campaignStatus(ds: DataSource | EntityManager, campaign: Campaign, now: Date, since: Date | null): Promise<CampaignStatus> {
  const today = beijingDate(now)
  const { totals, units } = await ledgerStatus(ds, campaign.id, today)
  const { running, shown } = await currentPhases(ds, campaign.id, today)
  const month = monthOf(addDays(`${monthOf(today)}-01`, -1))
  const reports = month < monthOf(campaign.startDate) ? null : await monthlyReportStatus(ds, campaign, month)
  const missing = reports?.filter((r) => r.submittedAt === null).map((r) => inertText(r.unitName)) ?? []
  return {
    today,
    phases: (running.length > 0 ? running : shown ? [shown] : []).map((p) => ({ name: p.name, endDate: p.endDate })),
    counts: ledgerCounts(totals),
    pendingExtensions: await pendingExtensionCount(ds, campaign.id),
    overdueUnits: overdueRanking(units).map((u) => ({ unit: inertText(u.unitName), count: u.overdue })),
    reports: reports && { month, submitted: reports.length - missing.length, expected: reports.length, missing },
    typicalCases: await typicalCases(ds, campaign.id, since),
    findings: await findingsSince(ds, campaign.id, since),
    publicReports: verificationCounts(await reportsAwaitingVerification(ds, campaign.id), today),
    slowest: slowestLine(await responsiveness(ds, campaign, { campaign: true }, now)),
  }
}

async function findingsSince(ds: DataSource | EntityManager, campaignId: number, since: Date | null): Promise<NonNullable<CampaignStatus['findings']>> {
  const rows = await ds.getRepository(InspectionSchema).find({ where: { campaignId, ...(since ? { createdAt: MoreThanOrEqual(since) } : {}) }, select: { id: true, mustRectify: true } })
  return { sinceLastMeeting: since !== null, count: rows.length, mustRectify: rows.filter((r) => r.mustRectify).length }
}

/**
 * 新增督查发现 on `today` (docs/figures.md, Inspections): findings recorded on the previous
 * working day or the rest days after it, Beijing time — so each is new in one daily summary, the
 * first working day after the day it was recorded. Lowest number first.
 */
export async function newFindings(ds: DataSource | EntityManager, campaignId: number, today: CalendarDate): Promise<Pick<Inspection, 'id' | 'unitId' | 'mustRectify'>[]> {
  const from = beijingInstant(workdayOnOrBefore(addDays(today, -1)))
  return ds.getRepository(InspectionSchema).find({
    where: { campaignId, createdAt: Between(from, new Date(beijingInstant(today).getTime() - 1)) },
    select: { id: true, unitId: true, mustRectify: true },
    order: { id: 'ASC' },
  })
}

/**
 * Typical cases flagged since `since` (the previous meeting): those a typical-case circular
 * (通报 典型) exposed since, and inspections recorded as typical since. For the first meeting,
 * every case flagged so far.
 */
async function typicalCases(ds: DataSource | EntityManager, campaignId: number, since: Date | null): Promise<string[]> {
  const circulars = await ds.getRepository(CircularSchema).find({ where: { campaignId, kind: 'typical_case', status: 'sent', ...(since ? { sentAt: MoreThanOrEqual(since) } : {}) } })
  const links = circulars.length === 0 ? [] : await ds.getRepository(CircularLinkSchema).findBy({ circularId: In(circulars.map((c) => c.id)) })
  const itemIds = new Set(links.map((l) => l.ledgerItemId).filter((id): id is number => id !== null))
  const inspectionIds = new Set(links.map((l) => l.inspectionId).filter((id): id is number => id !== null))
  const notIn = (ids: Set<number>) => (ids.size > 0 ? { id: Not(In([...ids])) } : {})
  const items = [
    ...(itemIds.size > 0 ? await ds.getRepository(LedgerItemSchema).findBy({ id: In([...itemIds]) }) : []),
    ...(since ? [] : await ds.getRepository(LedgerItemSchema).findBy({ campaignId, isTypicalCase: true, ...notIn(itemIds) })),
  ].sort((a, b) => a.id - b.id)
  const inspections = [
    ...(inspectionIds.size > 0 ? await ds.getRepository(InspectionSchema).findBy({ id: In([...inspectionIds]) }) : []),
    ...(await ds.getRepository(InspectionSchema).findBy({ campaignId, isTypicalCase: true, ...notIn(inspectionIds), ...(since ? { createdAt: MoreThanOrEqual(since) } : {}) })),
  ].sort((a, b) => a.id - b.id)
  const unitIds = [...new Set([...items.map((i) => i.unitId), ...inspections.map((i) => i.unitId)])]
  const names = new Map((await ds.getRepository(UnitSchema).findBy({ id: In(unitIds) })).map((u) => [u.id, inertText(u.name)]))
  return [
    ...items.map((i) => `#${i.id} ${names.get(i.unitId) ?? ''} ${shorten(i.problem, 20)}`),
    ...inspections.filter((i) => !items.some((item) => item.id === i.ledgerItemId)).map((i) => `督查#${i.id} ${names.get(i.unitId) ?? ''} ${shorten(i.findings, 20)}`),
  ]
}

/**
 * The counts a meeting keeps (JSON in meeting.status_snapshot). Snapshots written before the four
 * states (docs/figures.md) counted 整改中 differently: only their total, 已销号 and 逾期 are compared.
 */
export function readCounts(snapshot: string | null): Partial<LedgerCounts> | null {
  if (!snapshot) return null
  try {
    const value = JSON.parse(snapshot) as Partial<LedgerCounts>
    if (typeof value.total !== 'number') return null
    return typeof value.notStarted === 'number' ? value : { total: value.total, closed: value.closed, overdue: value.overdue }
  } catch {
    return null
  }
}
