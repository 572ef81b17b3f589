import type { DataSource } from 'typeorm'
import { CampaignSchema, type Campaign } from '../db/entities/index.js'
import { currentOrLatestCampaign } from '../domain/campaign/current-campaign.js'
import { UserFacingError } from '../errors.js'
import { beijingDate } from '../time/calendar-date.js'

/** The campaign asked for, or else the running one (else the latest). */
export async function chooseCampaign(ds: DataSource, id: number | null, now: Date): Promise<Campaign> {
  const repository = ds.getRepository(CampaignSchema)
  if (id !== null) {
    const campaign = await repository.findOneBy({ id })
    if (!campaign) throw new UserFacingError('no_campaign', `没有编号为 #${id} 的专项治理。查看已有的：npm run cli -- campaign list`)
    return campaign
  }
  const campaign = await currentOrLatestCampaign(ds, beijingDate(now))
  if (!campaign) throw new UserFacingError('no_campaign', '还没有专项治理。先创建：npm run cli -- campaign create --start YYYY-MM-DD')
  return campaign
}
