import { LessThanOrEqual, MoreThanOrEqual, type DataSource, type EntityManager } from 'typeorm'
import type { CalendarDate } from '../../time/calendar-date.js'
import { CampaignSchema, type Campaign } from '../../db/entities/index.js'

/** The active campaign running on `today` (the latest started, if several overlap). */
export async function currentCampaign(ds: DataSource | EntityManager, today: CalendarDate): Promise<Campaign | null> {
  return ds.getRepository(CampaignSchema).findOne({
    where: { status: 'active', startDate: LessThanOrEqual(today), endDate: MoreThanOrEqual(today) },
    order: { startDate: 'DESC', id: 'DESC' },
  })
}

/** The campaign running on `today`, otherwise the one started last (by `today`); null when there is none. */
export async function currentOrLatestCampaign(ds: DataSource | EntityManager, today: CalendarDate): Promise<Campaign | null> {
  return (await currentCampaign(ds, today)) ?? (await ds.getRepository(CampaignSchema).findOne({ where: { startDate: LessThanOrEqual(today) }, order: { startDate: 'DESC', id: 'DESC' } }))
}
