import { In, type DataSource, type EntityManager } from 'typeorm'
import { MonthlyReportRevisionSchema, MonthlyReportSchema, PersonSchema, type MonthlyReport, type MonthlyReportRevision } from '../db/entities/index.js'
import { participantUnits } from './campaign-progress.js'
import { unitNames } from './ledger-status.js'

type Db = DataSource | EntityManager

/** One submitted version of a unit's monthly report. */
export interface ReportVersion {
  revision: number
  content: string
  submittedAt: Date
  /** null: the person has left the roster. */
  submittedBy: string | null
}

/** What a unit wrote in its report for a month, every version kept. */
export interface UnitReportText {
  unitId: number
  unitName: string
  month: string
  /** A participating unit owes the report (docs/figures.md). */
  owes: boolean
  /** The version that counts: the last one (submitted by `asOf`); null: none. */
  current: ReportVersion | null
  /** The versions it replaced, newest first. */
  earlier: ReportVersion[]
}

/** One unit's report for a month with its earlier versions (whether or not the unit takes part). */
export async function unitReportText(db: Db, campaignId: number, unitId: number, month: string): Promise<UnitReportText> {
  const [text] = await reportTexts(db, campaignId, month, [unitId], null)
  return text!
}

/**
 * The month's report of every participating unit (and of any other unit that sent one), as of
 * `asOf` (a version submitted later is left out, as monthlyReportStatus counts it), sorted by
 * unit name: what the workbook's 月报内容 sheet shows.
 */
export async function monthlyReportTexts(db: Db, campaignId: number, month: string, asOf: Date | null = null): Promise<UnitReportText[]> {
  const participants = await participantUnits(db, campaignId)
  const reported = (await db.getRepository(MonthlyReportSchema).find({ where: { campaignId, month }, select: { unitId: true } })).map((r) => r.unitId)
  const texts = await reportTexts(db, campaignId, month, [...new Set([...participants, ...reported])], asOf, participants)
  return texts.sort((a, b) => a.unitName.localeCompare(b.unitName, 'zh-CN'))
}

async function reportTexts(db: Db, campaignId: number, month: string, unitIds: readonly number[], asOf: Date | null, known?: readonly number[]): Promise<UnitReportText[]> {
  if (unitIds.length === 0) return []
  const participants = new Set(known ?? (await participantUnits(db, campaignId)))
  const reports = await db.getRepository(MonthlyReportSchema).find({ where: { campaignId, month, unitId: In([...unitIds]) } })
  const revisions =
    reports.length === 0 ? [] : await db.getRepository(MonthlyReportRevisionSchema).find({ where: { reportId: In(reports.map((r) => r.id)) }, order: { revision: 'ASC' } })
  const names = await unitNames(db, unitIds)
  const personIds = [...new Set([...reports, ...revisions].map((r) => r.submittedById).filter((id): id is number => id !== null))]
  const people = personIds.length === 0 ? new Map<number, string>() : new Map((await db.getRepository(PersonSchema).findBy({ id: In(personIds) })).map((p) => [p.id, p.name]))
  const version = (row: MonthlyReport | MonthlyReportRevision): ReportVersion => ({
    revision: row.revision,
    content: row.content,
    submittedAt: row.submittedAt,
    submittedBy: row.submittedById === null ? null : (people.get(row.submittedById) ?? null),
  })
  const by = (at: Date) => asOf === null || at.getTime() <= asOf.getTime()
  return unitIds.map((unitId): UnitReportText => {
    const report = reports.find((r) => r.unitId === unitId)
    // A report stored before versions were kept has no revision rows: it is its own only version.
    const rows = report ? revisions.filter((r) => r.reportId === report.id) : []
    const versions = (rows.length > 0 ? rows.map(version) : report ? [version(report)] : []).filter((v) => by(v.submittedAt))
    return {
      unitId,
      unitName: names.get(unitId) ?? `#${unitId}`,
      month,
      owes: participants.has(unitId),
      current: versions.at(-1) ?? null,
      earlier: versions.slice(0, -1).reverse(),
    }
  })
}
