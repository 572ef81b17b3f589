import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { currentCampaign } from '../src/domain/campaign/current-campaign.js'
import { unitLedgerStats } from '../src/domain/ledger/unit-ledger-stats.js'
import { beijingDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'

/** 统计: per-unit counts for the organization department, the inspection group and the joint meeting. */
export const stats = defineCommand<Record<string, never>>({
  name: '统计',
  aliases: ['stats'],
  summary: '各单位台账统计：总数、销号、整改中、逾期、按期率、月报',
  usage: '统计',
  example: '统计',
  roles: ['org_admin', 'inspector', 'meeting_member'],
  parse: () => ({}),
  async run(context) {
    const today = beijingDate(context.now())
    const campaign = await currentCampaign(context.dataSource, today)
    if (!campaign) {
      context.reply('当前没有进行中的专项治理。')
      return
    }
    const rows = await unitLedgerStats(context.dataSource, campaign.id, today)
    if (rows.length === 0) {
      context.reply('台账中还没有事项。')
      return
    }
    const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`)
    const lines = rows
      .slice(0, 20)
      .map((r) => `${r.overdue > 0 ? '🔴' : r.rectified > 0 ? '🟡' : '🟢'} ${inertText(r.unitName)}：共${r.total} 销号${r.closed} 整改中${r.inProgress} 逾期${r.overdue} 按期${percent(r.onTimeRate)} 月报${r.reportsSubmitted}`)
    if (rows.length > 20) lines.push(`另有 ${rows.length - 20} 个单位`)
    const total = rows.reduce((sum, r) => ({ t: sum.t + r.total, c: sum.c + r.closed, o: sum.o + r.overdue }), { t: 0, c: 0, o: 0 })
    context.reply(markdown(`**台账统计（${rows.length} 个单位）**\n合计：${total.t} 项，销号 ${total.c}，逾期 ${total.o}\n${lines.join('\n')}`))
  },
})
