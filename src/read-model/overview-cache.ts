import type { DataSource, EntityManager } from 'typeorm'
import type { Campaign } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { overview, overviewPhases, type Overview } from './dashboard-overview.js'

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

/** The marks of what 总览 reads, in one round trip. */
async function dataMark(db: Db, campaignId: number): Promise<string> {
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
      (SELECT MAX(id) FROM problem_category) AS categories`,
    Array(4).fill(campaignId),
  )) as Record<string, unknown>[]
  return JSON.stringify(rows[0])
}
