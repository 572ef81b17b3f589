import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { replyList } from '../src/bot/reply-list.js'
import { runningCampaignOrSay } from '../src/bot/running-campaign.js'
import { shorten } from '../src/domain/ledger/format-item.js'
import { isVerifier, unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { unitByNameOrRefuse } from '../src/domain/roster/find-unit.js'
import { RefusalError } from '../src/errors.js'
import { overdueText } from '../src/read-model/figures.js'
import { overdueByUnit } from '../src/read-model/ledger-lists.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'

/** 逾期: overdue items grouped by unit, the unit with the most first, the longest overdue first. */
export const overdue = defineCommand<{ unit: string }>({
  name: '逾期',
  aliases: ['overdue'],
  summary: '逾期事项（按单位）',
  usage: '逾期 [单位]',
  example: '逾期 城关镇',
  roles: ['unit_head', 'org_admin', 'inspector'],
  parse: (args) => ({ unit: args.rest(0) }),
  async run(context, { unit }) {
    const { dataSource, actor } = context
    const today = beijingDate(context.now())
    const allowed = isVerifier(actor) ? null : unitsActedFor(actor)
    let units = allowed
    if (unit) {
      const found = await unitByNameOrRefuse(dataSource, unit)
      if (allowed && !allowed.includes(found.id)) throw new RefusalError('denied', '第一责任人只能查看本单位的逾期事项。')
      units = [found.id]
    } else if (allowed?.length === 0) {
      throw new RefusalError('denied', '您没有可查看的单位。')
    }
    const campaign = await runningCampaignOrSay(context, today)
    if (!campaign) return
    const groups = await overdueByUnit(dataSource, campaign.id, today, units)
    const count = groups.reduce((n, g) => n + g.items.length, 0)
    const lines: string[] = []
    for (const group of groups) {
      lines.push(`${inertText(group.unitName)}（${group.items.length} 项）`)
      for (const { item } of group.items) {
        lines.push(`🔴 #${item.id} ${shorten(item.problem, 18)} · ${overdueText(item.dueDate, today)}（${formatChineseDate(item.dueDate, today)}到期）`)
      }
    }
    await replyList(context, '逾期', { title: `**逾期未整改 ${count} 项**`, lines, empty: '没有逾期未整改的事项。' })
  },
})
