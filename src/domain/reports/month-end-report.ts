import type { DataSource } from 'typeorm'
import { currentCampaign } from '../campaign/current-campaign.js'
import { OutboxMessageSchema } from '../../db/entities/index.js'
import { orgAdmins } from '../roster/org-admins.js'
import { enqueue } from '../../outbox/enqueue.js'
import { beijingMinuteOfDay } from '../../time/quiet-hours.js'
import { storeFile } from '../../outbox/stored-files.js'
import { beijingDate, firstDayOfMonth, monthOf, type CalendarDate } from '../../time/calendar-date.js'
import { lastWorkdayOfMonth, workdayOnOrBefore } from '../../time/work-calendar.js'
import { markdown, storedFile } from '../../wecom/messages.js'
import { monthlyReportFile } from './monthly-summary.js'

export type MonthEndOutcome =
  | { sent: false; reason: 'not_yet' | 'no_campaign' | 'no_admins' | 'already_sent' }
  | { sent: true; campaignId: number; month: string; admins: number; bytes: number }

/**
 * The monthly report workbook to the organization department: from `time` (Beijing)
 * on the month's report day (see monthReportDay) while the campaign runs, the current campaign's workbook is
 * built, stored and queued for every org_admin — the short summary first, then the file —
 * once per campaign and month (the summary's key reserves it, in the same transaction as the
 * file). Runs repeatedly: a service that was down at `time` catches up when it is back.
 */
export async function sendMonthEndReport(dataSource: DataSource, now: Date, time: readonly [number, number], options: { maxBytes?: number } = {}): Promise<MonthEndOutcome> {
  const today = beijingDate(now)
  const campaign = await currentCampaign(dataSource, today)
  if (!campaign) return { sent: false, reason: 'no_campaign' }
  const reportDay = monthReportDay(today, campaign.endDate)
  if (today < reportDay || (today === reportDay && beijingMinuteOfDay(now) < time[0] * 60 + time[1])) return { sent: false, reason: 'not_yet' }
  const month = monthOf(today)
  const key = `monthly-workbook:${campaign.id}:${month}`
  // Cheap check first: building the workbook reads the whole ledger.
  if (await dataSource.getRepository(OutboxMessageSchema).existsBy({ dedupeKey: key })) return { sent: false, reason: 'already_sent' }
  const admins = (await orgAdmins(dataSource)).map((a) => a.userid)
  if (admins.length === 0) return { sent: false, reason: 'no_admins' }
  const { attachment, summary } = await monthlyReportFile(dataSource, campaign, month, now, options)
  return dataSource.transaction(async (manager): Promise<MonthEndOutcome> => {
    // Another replica may have got here first: its summary holds the key, and nothing is added.
    if ((await enqueue(manager, { dedupeKey: key, subject: { kind: 'monthly_report', id: campaign.id }, to: { users: admins }, message: markdown(summary) }, now)) === 0) return { sent: false, reason: 'already_sent' }
    // Over WeCom's file limit: the summary alone, which says where to get the workbook.
    if (!attachment) return { sent: true, campaignId: campaign.id, month, admins: admins.length, bytes: 0 }
    const fileId = await storeFile(manager, attachment)
    await enqueue(manager, { dedupeKey: `${key}:file`, subject: { kind: 'monthly_report', id: campaign.id }, to: { users: admins }, message: storedFile(fileId, attachment.filename) }, now)
    return { sent: true, campaignId: campaign.id, month, admins: admins.length, bytes: attachment.content.length }
  })
}

/**
 * The day the month's workbook goes out: the month's last working day, or, in the month a
 * campaign ends before that, the campaign's last working day (its final report would otherwise
 * never be sent: at the month's end no campaign is running).
 */
export function monthReportDay(today: CalendarDate, campaignEnd: CalendarDate): CalendarDate {
  const monthEnd = lastWorkdayOfMonth(today)
  const lastDay = workdayOnOrBefore(campaignEnd)
  return lastDay < monthEnd && lastDay >= firstDayOfMonth(today) ? lastDay : monthEnd
}
