import { inertText } from '../wecom/inert-text.js'
import { In, MoreThanOrEqual, Not, type DataSource, type EntityManager } from 'typeorm'
import { CampaignUnitSchema, CircularLinkSchema, CircularSchema, ExtensionRequestSchema, InspectionSchema, LedgerItemSchema, MonthlyReportSchema, PhaseSchema, UnitSchema, type Campaign } from '../domain/entities/index.js'
import { shorten } from '../domain/ledger/format-item.js'
import { unitLedgerStats } from '../domain/ledger/unit-ledger-stats.js'
import { addDays, monthOf, type CalendarDate } from '../time/calendar-date.js'

/** The ledger's four counts; a meeting keeps them, so the next notice can say what changed. */
export interface LedgerCounts {
  total: number
  closed: number
  /** Open or being rectified, not yet overdue. */
  inProgress: number
  overdue: number
}

/** Where the campaign stands, for a meeting notice: every figure from the data. */
export interface CampaignStatus {
  today: CalendarDate
  phase: { name: string; endDate: CalendarDate } | null
  counts: LedgerCounts
  /** Rectified, waiting for 销号. */
  awaitingVerification: number
  pendingExtensions: number
  /** Units with overdue items, most first (all of them; the notice shows five). */
  overdueUnits: { unit: string; count: number }[]
  /** Last month's reports: how many units reported of how many owe one, and who did not (none owed in the campaign's first month). */
  reports: { month: string; submitted: number; expected: number; missing: string[] } | null
  /** Typical cases flagged since `since` (the previous meeting), items and inspections. */
  typicalCases: string[]
}

export async function campaignStatus(ds: DataSource | EntityManager, campaign: Campaign, today: CalendarDate, since: Date | null): Promise<CampaignStatus> {
  const units = await unitLedgerStats(ds, campaign.id, today)
  const sum = (pick: (u: (typeof units)[number]) => number) => units.reduce((n, u) => n + pick(u), 0)
  const overdue = sum((u) => u.overdue)
  const phases = await ds.getRepository(PhaseSchema).find({ where: { campaignId: campaign.id }, order: { seq: 'ASC' } })
  const phase = phases.find((p) => p.startDate <= today && today <= p.endDate) ?? phases.find((p) => p.startDate > today) ?? null
  const month = monthOf(addDays(`${monthOf(today)}-01`, -1))
  const participants = (await ds.getRepository(CampaignUnitSchema).findBy({ campaignId: campaign.id, role: 'participant' })).map((c) => c.unitId)
  const reported = new Set((await ds.getRepository(MonthlyReportSchema).find({ where: { campaignId: campaign.id, month }, select: { unitId: true } })).map((r) => r.unitId))
  const missingIds = participants.filter((id) => !reported.has(id))
  const names = new Map((await ds.getRepository(UnitSchema).findBy({ id: In([...missingIds]) })).map((u) => [u.id, inertText(u.name)]))
  return {
    today,
    phase: phase && { name: phase.name, endDate: phase.endDate },
    counts: { total: sum((u) => u.total), closed: sum((u) => u.closed), inProgress: sum((u) => u.inProgress) - overdue, overdue },
    awaitingVerification: sum((u) => u.rectified),
    pendingExtensions: await ds
      .getRepository(ExtensionRequestSchema)
      .createQueryBuilder('e')
      .innerJoin(LedgerItemSchema.options.name, 'i', 'i.id = e.ledger_item_id')
      .where("e.status = 'pending' AND i.campaign_id = :campaign", { campaign: campaign.id })
      .getCount(),
    overdueUnits: units.filter((u) => u.overdue > 0).map((u) => ({ unit: inertText(u.unitName), count: u.overdue })),
    reports:
      month < monthOf(campaign.startDate)
        ? null
        : { month, submitted: participants.length - missingIds.length, expected: participants.length, missing: missingIds.map((id) => names.get(id) ?? `#${id}`).sort((a, b) => a.localeCompare(b, 'zh-CN')) },
    typicalCases: await typicalCases(ds, campaign.id, since),
  }
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

/** The counts a meeting keeps (JSON in meeting.status_snapshot). */
export function readCounts(snapshot: string | null): LedgerCounts | null {
  if (!snapshot) return null
  try {
    const value = JSON.parse(snapshot) as Partial<LedgerCounts>
    return typeof value.total === 'number' ? (value as LedgerCounts) : null
  } catch {
    return null
  }
}
