import { Between, In, type DataSource } from 'typeorm'
import { UserFacingError } from '../../errors.js'
import { beijingMonthSpan, monthOf, type CalendarDate } from '../../time/calendar-date.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { personName } from '../roster/person-name.js'
import { countItem, emptyTally } from '../../read-model/figures.js'
import { LedgerItemSchema, MonthlyReportRevisionSchema, MonthlyReportSchema, ProgressUpdateSchema, UnitSchema, type MonthlyReport } from '../../db/entities/index.js'



/** A draft of the month's report from the unit's ledger: what was registered, reported, rectified, closed; what is open or overdue. */
export async function draftMonthlyReport(ds: DataSource, campaignId: number, unitId: number, today: CalendarDate): Promise<string> {
  const month = monthOf(today)
  const items = await ds.getRepository(LedgerItemSchema).find({ where: { campaignId, unitId }, select: { id: true, status: true, dueDate: true, closedAt: true } })
  const updates =
    items.length === 0
      ? []
      : await ds.getRepository(ProgressUpdateSchema).find({
          where: { ledgerItemId: In(items.map((i) => i.id)), createdAt: Between(...beijingMonthSpan(month)) },
          select: { kind: true },
        })
  const count = (kind: string) => updates.filter((u) => u.kind === kind).length
  const tally = emptyTally()
  for (const item of items) countItem(tally, item, today)
  return (
    `本月新登记问题 ${count('created')} 个，反馈整改进展 ${count('progress')} 次，报告整改完成 ${count('rectified')} 个，经核实销号 ${count('closed')} 个；` +
    `目前未开始 ${tally.notStarted} 个、整改中 ${tally.inProgress} 个${tally.overdue > 0 ? `，其中逾期 ${tally.overdue} 个` : ''}，已整改待销号 ${tally.awaitingVerification} 个。`
  )
}

export async function currentReport(ds: DataSource, campaignId: number, unitId: number, today: CalendarDate): Promise<MonthlyReport | null> {
  return ds.getRepository(MonthlyReportSchema).findOneBy({ campaignId, unitId, month: monthOf(today) })
}

/** The version a resubmission replaced: who submitted it, when, which. */
export interface ReplacedReport {
  by: string
  at: Date
  revision: number
}

/**
 * Submits this month's report for a unit. A resubmission (the deadline is the month's end, so
 * any submission in the month is in time) replaces the content and counts the revision up;
 * every version is kept in monthly_report_revision. One transaction, which locks the unit's row
 * first: the unit head and the liaison submitting at the same moment make versions n and n+1,
 * and the second is told whose version it replaced.
 */
export async function submitMonthlyReport(
  ds: DataSource,
  input: { campaignId: number; unitId: number; personId: number; content: string; today: CalendarDate; now: Date },
): Promise<MonthlyReport & { replaced: ReplacedReport | null }> {
  if (input.content.trim().length < 10) throw new UserFacingError('too_short', '月报内容太短，请写明本月开展的工作、整改进展和下步打算。')
  return ds.transaction(async (manager) => {
    const month = monthOf(input.today)
    await findOneForUpdate(manager, UnitSchema, { id: input.unitId })
    const existing = await manager.findOneBy(MonthlyReportSchema, { campaignId: input.campaignId, unitId: input.unitId, month })
    const revision = (existing?.revision ?? 0) + 1
    const values = { content: input.content, submittedById: input.personId, submittedAt: input.now, revision }
    let report: MonthlyReport
    if (existing) {
      await manager.update(MonthlyReportSchema, { id: existing.id }, values)
      report = { ...existing, ...values }
    } else {
      report = await manager.save(MonthlyReportSchema, { campaignId: input.campaignId, unitId: input.unitId, month, ...values })
    }
    await manager.insert(MonthlyReportRevisionSchema, { reportId: report.id, ...values })
    const replaced = existing ? { by: await personName(manager, existing.submittedById), at: existing.submittedAt, revision: existing.revision } : null
    return { ...report, replaced }
  })
}
