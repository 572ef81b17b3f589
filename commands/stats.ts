import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { replyList } from '../src/bot/reply-list.js'
import { runningCampaignOrSay } from '../src/bot/running-campaign.js'
import { countsLine, percent } from '../src/read-model/chat-format.js'
import { ledgerStatus } from '../src/read-model/ledger-status.js'
import { beijingDate } from '../src/time/calendar-date.js'

/** 统计: per-unit counts for the organization department, the inspection group and the joint meeting. */
export const stats = defineCommand<Record<string, never>>({
  name: '统计',
  aliases: ['stats'],
  summary: '各单位台账统计',
  usage: '统计',
  example: '统计',
  roles: ['org_admin', 'inspector', 'meeting_member'],
  parse: () => ({}),
  async run(context) {
    const today = beijingDate(context.now())
    const campaign = await runningCampaignOrSay(context, today)
    if (!campaign) return
    const { totals, units } = await ledgerStatus(context.dataSource, campaign.id, today)
    if (totals.total === 0) {
      context.reply('台账中还没有事项。')
      return
    }
    const lines = units.map((u) => `${u.light} ${inertText(u.unitName)}：共${u.total} 未开始${u.notStarted} 整改中${u.inProgress} 待销号${u.awaitingVerification} 销号${u.closed} 逾期${u.overdue} 按期${percent(u.onTimeRate)} 月报${u.reportsSubmitted}`)
    await replyList(context, '统计', { title: `**台账统计（${units.length} 个单位）**\n${countsLine(totals)}；按期销号率 ${percent(totals.onTimeRate)}`, lines })
  },
})
