import { currentCampaign } from '../domain/campaign/current-campaign.js'
import type { Campaign } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import type { CommandContext } from './define-command.js'

/** The campaign running on `today`, or null once the person has been told that none is: 统计, 逾期, 阶段 and 我的 answer alike. */
export async function runningCampaignOrSay(context: CommandContext, today: CalendarDate): Promise<Campaign | null> {
  const campaign = await currentCampaign(context.dataSource, today)
  if (!campaign) context.reply('当前没有进行中的专项治理。')
  return campaign
}
