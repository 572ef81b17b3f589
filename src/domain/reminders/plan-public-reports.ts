import type { EntityManager } from 'typeorm'
import type { Person } from '../../db/entities/index.js'
import { deadlineLight, overdueText } from '../../read-model/figures.js'
import { reportsAwaitingVerification, verificationCounts } from '../../read-model/public-reports.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { workdaysUntil } from '../../time/work-calendar.js'
import { shorten } from '../ledger/format-item.js'
import type { ReminderRules } from './reminder-rules.js'
import type { Digest } from './sweep-plan.js'

/**
 * Reports from the public not yet verified (docs/inspections.md): their inspector is reminded
 * like a ledger item's responsible person — on the working days itemDaysBefore before the
 * verify-by date, and once when it has passed — each stage once (reminder_sent, subject
 * `public_report:<id>`). The reminder stays the inspector's own even on leave: a report is not
 * handed to a deputy. It reads public_report alone: never who reported. Returns 组织部's
 * summary line, `举报待核查 N 件（逾期 M）`, or null when none waits.
 */
export async function planPublicReports(
  ds: EntityManager,
  input: {
    campaignId: number
    today: CalendarDate
    rules: ReminderRules
    people: ReadonlyMap<number, Person>
    unitNames: ReadonlyMap<number, string>
    digest: (userid: string) => Digest
  },
): Promise<string | null> {
  const { today, rules, people, unitNames, digest } = input
  const waiting = await reportsAwaitingVerification(ds, input.campaignId)
  if (waiting.length === 0) return null
  const sent = await sentStages(ds, waiting.map((r) => `public_report:${r.id}`))
  for (const report of waiting) {
    const inspector = report.assignedToId === null ? undefined : people.get(report.assignedToId)
    if (!inspector) continue
    const left = report.verifyBy >= today ? workdaysUntil(today, report.verifyBy) : null
    const stage = left === null ? 'overdue' : rules.itemDaysBefore.includes(left) ? `due-${left}` : null
    const subject = `public_report:${report.id}`
    if (stage === null || sent.get(subject)?.has(stage)) continue
    const when = left === null ? overdueText(report.verifyBy, today) : left === 0 ? '今天到期' : `还有 ${left} 个工作日`
    const concerned = report.unitId === null ? report.concernedPerson : unitNames.get(report.unitId)
    const d = digest(inspector.userid)
    d.publicReports.push(`${deadlineLight(report.verifyBy, today)} #${report.id} ${concerned ? `${shorten(concerned, 12)} ` : ''}${shorten(report.content, 14)} · ${formatChineseDate(report.verifyBy, today)}前核查（${when}）`)
    d.stages.push({ subject, stage })
  }
  const { waiting: count, overdue } = verificationCounts(waiting, today)
  return `举报待核查 ${count} 件（逾期 ${overdue}）`
}

/** Which stages each subject has had already (reminder_sent). */
async function sentStages(ds: EntityManager, subjects: readonly string[]): Promise<Map<string, Set<string>>> {
  const result = new Map<string, Set<string>>()
  for (let i = 0; i < subjects.length; i += 1000) {
    const chunk = subjects.slice(i, i + 1000)
    const rows = (await ds.query(`SELECT subject, stage FROM reminder_sent WHERE subject IN (${chunk.map(() => '?').join(', ')})`, chunk)) as { subject: string; stage: string }[]
    for (const row of rows) {
      const stages = result.get(row.subject) ?? result.set(row.subject, new Set()).get(row.subject)!
      stages.add(row.stage)
    }
  }
  return result
}
