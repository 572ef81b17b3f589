import { RefusalError } from '../../errors.js'
import { addMonths, formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import type { Campaign } from '../../db/entities/index.js'

/** The latest date anyone may set in a campaign: its end plus one year (docs/limits.md). */
export function latestDate(campaign: Pick<Campaign, 'endDate'>): CalendarDate {
  return addMonths(campaign.endDate, 12)
}

/** Refuses a date past the campaign's end plus one year, saying the latest allowed. */
export function checkDateBound(date: CalendarDate, campaign: Pick<Campaign, 'endDate'>, today: CalendarDate, what: string): void {
  const latest = latestDate(campaign)
  if (date > latest) {
    throw new RefusalError(
      'date_too_far',
      `${what} ${formatChineseDate(date, today)} 太远：最晚可写 ${formatChineseDate(latest, today)}（专项治理结束后一年）。`,
    )
  }
}
