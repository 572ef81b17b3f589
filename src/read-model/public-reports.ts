import { In, type DataSource, type EntityManager } from 'typeorm'
import {
  InspectionSchema,
  PersonSchema,
  PublicReportReporterSchema,
  PublicReportSchema,
  type PublicReport,
  type PublicReportReporter,
  type PublicReportSource,
  type PublicReportVerdict,
} from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { unitNames } from './ledger-status.js'

type Db = DataSource | EntityManager

/** How a report came, as 组织部 writes it (docs/inspections.md). */
export const SOURCE_NAMES: Record<PublicReportSource, string> = { telephone: '电话', mailbox: '信箱', letter: '来信', visit: '来访' }
/** 属实 / 部分属实 / 不属实. */
export const VERDICT_NAMES: Record<PublicReportVerdict, string> = { true: '属实', partly_true: '部分属实', untrue: '不属实' }

/** A report as lists and details show it: never who reported it (docs/inspections.md, Confidentiality). */
export interface PublicReportView {
  report: PublicReport
  unitName: string | null
  inspectorName: string | null
  registeredByName: string | null
  /** The finding a report found (partly) true became, with its ledger item if one was made. */
  finding: { id: number; ledgerItemId: number | null; inspectorName: string | null } | null
}

/**
 * The campaign's reports, those waiting first (earliest verify-by first), then the verified
 * (latest first); only those assigned to `assignedTo` when given (an inspector's own). Reads
 * public_report alone.
 */
export async function publicReportList(db: Db, campaignId: number, assignedTo?: number): Promise<PublicReportView[]> {
  const reports = await db.getRepository(PublicReportSchema).find({ where: { campaignId, ...(assignedTo === undefined ? {} : { assignedToId: assignedTo }) } })
  reports.sort((a, b) => {
    if (a.status !== b.status) return a.status === 'assigned' ? -1 : 1
    if (a.status === 'assigned') return a.verifyBy < b.verifyBy ? -1 : a.verifyBy > b.verifyBy ? 1 : a.id - b.id
    return b.id - a.id
  })
  return views(db, reports)
}

/** One report as 详情 shows it (without the reporter), or null. */
export async function publicReportView(db: Db, id: number): Promise<PublicReportView | null> {
  const report = await db.getRepository(PublicReportSchema).findOneBy({ id })
  return report ? (await views(db, [report]))[0]! : null
}

async function views(db: Db, reports: readonly PublicReport[]): Promise<PublicReportView[]> {
  if (reports.length === 0) return []
  const findingIds = reports.map((r) => r.inspectionId).filter((id): id is number => id !== null)
  const findings = findingIds.length === 0 ? [] : await db.getRepository(InspectionSchema).find({ where: { id: In(findingIds) }, select: { id: true, ledgerItemId: true, inspectorId: true } })
  const personIds = [...reports.flatMap((r) => [r.assignedToId, r.registeredById]), ...findings.map((f) => f.inspectorId)].filter((id): id is number => id !== null)
  const people = personIds.length === 0 ? new Map<number, string>() : new Map((await db.getRepository(PersonSchema).find({ where: { id: In([...new Set(personIds)]) }, select: { id: true, name: true } })).map((p) => [p.id, p.name]))
  const units = await unitNames(db, [...new Set(reports.map((r) => r.unitId).filter((id): id is number => id !== null))])
  const name = (id: number | null) => (id === null ? null : (people.get(id) ?? null))
  return reports.map((report) => {
    const finding = findings.find((f) => f.id === report.inspectionId)
    return {
      report,
      unitName: report.unitId === null ? null : (units.get(report.unitId) ?? null),
      inspectorName: name(report.assignedToId),
      registeredByName: name(report.registeredById),
      finding: finding ? { id: finding.id, ledgerItemId: finding.ledgerItemId, inspectorName: name(finding.inspectorId) } : null,
    }
  })
}

/** The campaign's reports not yet verified (for the reminders to the inspectors), earliest verify-by first. */
export async function reportsAwaitingVerification(db: Db, campaignId: number): Promise<PublicReport[]> {
  return db.getRepository(PublicReportSchema).find({ where: { campaignId, status: 'assigned' }, order: { verifyBy: 'ASC', id: 'ASC' } })
}

/** 举报待核查 N 件（逾期 M）: reports not yet verified, and those past their verify-by date (docs/inspections.md). */
export function verificationCounts(waiting: readonly Pick<PublicReport, 'verifyBy'>[], today: CalendarDate): { waiting: number; overdue: number } {
  return { waiting: waiting.length, overdue: waiting.filter((r) => r.verifyBy < today).length }
}

/**
 * Who made a report: the ONLY reader of public_report_reporter (docs/inspections.md,
 * Confidentiality; test/public-reports.test.ts checks no other file names it). Call it only
 * for an answer to 组织部 (org_admin).
 */
export async function reporterFor(db: Db, reportId: number): Promise<PublicReportReporter | null> {
  return db.getRepository(PublicReportReporterSchema).findOneBy({ publicReportId: reportId })
}

/** "举报人：匿名" or "举报人：张三 13800000000", for 组织部's own answers only. */
export function reporterText(reporter: Pick<PublicReportReporter, 'anonymous' | 'name' | 'contact'> | null): string {
  if (!reporter || reporter.anonymous) return '举报人：匿名'
  return `举报人：${[reporter.name, reporter.contact].filter(Boolean).join(' ')}`
}
