import type { DataSource, EntityManager } from 'typeorm'
import type { Campaign } from '../db/entities/index.js'
import { sqlInstant } from '../db/sql-instant.js'
import { beijingDate, beijingInstant, type CalendarDate } from '../time/calendar-date.js'
import { officeClock } from '../time/office-hours.js'
import { overview, overviewPhases, overviewResponsiveness, type Overview, type OverviewResponsiveness } from './dashboard-overview.js'

type Db = DataSource | EntityManager

/**
 * 总览 kept while nothing it reads has changed (docs/dashboard.md, Performance): at province size
 * it takes a second to count, and it is the page everyone opens. Before a kept 总览 is shown,
 * one query reads the marks of every table it comes from — ledger items (last id, last change:
 * items are never deleted but with their campaign), their history (last row: every change of an item writes one), extension requests
 * (last one, last decision), monthly reports (count, last version: every submission writes one), the campaign's units, the
 * units and categories (both only ever added); the phases are read each time. Any change moves a
 * mark, and 总览 is counted again: it never shows what chat would not. Kept per instance, for a few views
 * (county, and each unit head's).
 */
export function overviewCache(size = 32) {
  const kept = new Map<string, { mark: string; value: Overview }>()
  return async function cachedOverview(db: Db, campaign: Campaign, today: CalendarDate, units: readonly number[] | null): Promise<Overview> {
    const key = `${campaign.id}|${today}|${units === null ? '*' : [...units].sort((a, b) => a - b).join(',')}`
    // Read before counting: a change made while counting moves the mark past the one kept.
    const mark = await dataMark(db, campaign.id)
    const hit = kept.get(key)
    // The phases are a few rows, read every time (a plan's dates may move).
    if (hit && hit.mark === mark) return { ...hit.value, phases: await overviewPhases(db, campaign.id, today) }
    const value = await overview(db, campaign, today, units)
    kept.delete(key)
    kept.set(key, { mark, value })
    if (kept.size > size) kept.delete(kept.keys().next().value!)
    return value
  }
}

export type CachedOverview = ReturnType<typeof overviewCache>

/**
 * 总览's 响应时效 panel, kept as 总览 is (docs/dashboard.md, Performance) while none of its marks
 * moved: 总览's own (the items; their history, which every action writes; the extension requests
 * and decisions; the units), the reminder records' (the last one written, the latest delivery,
 * and today's deliveries counted: a delivery's time is its send's, and one recorded after a later
 * send still adds to today's count), and the quarter hour of office time: a reminder turns from
 * 待响应 to 未响应 as office time passes (shown at most 15 minutes late: a province's count takes
 * seconds, not to be paid every minute), and nothing else in it moves with the clock on one day. A kept panel is shown as of now, which it equals; outside office hours it is
 * kept until something changes.
 */
export function responsivenessCache(size = 32) {
  const kept = new Map<string, { mark: string; value: OverviewResponsiveness | null }>()
  return async function cachedResponsiveness(db: Db, campaign: Campaign, now: Date, units: readonly number[] | null): Promise<OverviewResponsiveness | null> {
    const today = beijingDate(now)
    const key = `${campaign.id}|${today}|${units === null ? '*' : [...units].sort((a, b) => a - b).join(',')}`
    // Read before counting, as 总览's: a change made while counting moves the mark past the one kept.
    const mark = `${Math.floor(officeClock().minutesAt(now) / PENDING_STEP_MINUTES)}|${await dataMark(db, campaign.id, today)}`
    const hit = kept.get(key)
    if (hit && hit.mark === mark) return hit.value && !hit.value.period.complete ? { ...hit.value, period: { ...hit.value.period, asOf: now } } : hit.value
    const value = await overviewResponsiveness(db, campaign, now, units)
    kept.delete(key)
    kept.set(key, { mark, value })
    if (kept.size > size) kept.delete(kept.keys().next().value!)
    return value
  }
}

/** Office minutes a kept panel may lag a reminder turning 未响应 by. */
const PENDING_STEP_MINUTES = 15

export type CachedResponsiveness = ReturnType<typeof responsivenessCache>

/** The marks of what 总览 reads, in one round trip; with `remindersOn`, also the reminder records' (deliveries counted from that day). */
async function dataMark(db: Db, campaignId: number, remindersOn?: CalendarDate): Promise<string> {
  const reminders =
    remindersOn === undefined
      ? ''
      : `,
      (SELECT MAX(id) FROM reminder_record) AS reminders,
      (SELECT MAX(delivered_at) FROM reminder_record WHERE campaign_id = ?) AS last_delivery,
      (SELECT COUNT(*) FROM reminder_record WHERE campaign_id = ? AND delivered_at >= ?) AS deliveries_today`
  const rows = (await db.query(
    `SELECT
      (SELECT MAX(id) FROM ledger_item WHERE campaign_id = ?) AS last_item,
      (SELECT MAX(updated_at) FROM ledger_item WHERE campaign_id = ?) AS item_change,
      (SELECT MAX(id) FROM progress_update) AS history,
      (SELECT MAX(id) FROM extension_request) AS extensions,
      (SELECT MAX(decided_at) FROM extension_request) AS decisions,
      (SELECT COUNT(*) FROM monthly_report WHERE campaign_id = ?) AS reports,
      (SELECT MAX(id) FROM monthly_report_revision) AS report_versions,
      (SELECT COUNT(*) FROM campaign_unit WHERE campaign_id = ?) AS participants,
      (SELECT MAX(id) FROM unit) AS units,
      (SELECT MAX(id) FROM problem_category) AS categories${reminders}`,
    [...Array(4).fill(campaignId), ...(remindersOn === undefined ? [] : [campaignId, campaignId, sqlInstant(db, beijingInstant(remindersOn))])],
  )) as Record<string, unknown>[]
  return JSON.stringify(rows[0])
}
