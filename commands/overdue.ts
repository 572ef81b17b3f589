import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { runningCampaignOrSay } from '../src/bot/running-campaign.js'
import { shorten } from '../src/domain/ledger/format-item.js'
import { isVerifier, unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { findUnitByName } from '../src/domain/roster/find-unit.js'
import { UserFacingError } from '../src/errors.js'
import { overdueText } from '../src/read-model/figures.js'
import { overdueByUnit } from '../src/read-model/ledger-lists.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'
import { quoteTyped } from '../src/domain/text/text-limits.js'

/** 逾期: overdue items grouped by unit, the unit with the most first, the longest overdue first. */
export const overdue = defineCommand<{ unit: string }>({
  name: '逾期',
  aliases: ['overdue'],
  summary: '查看逾期未整改的事项（按单位）',
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
      const found = await findUnitByName(dataSource, unit)
      if (!found) throw new UserFacingError('no_unit', `没有名为「${quoteTyped(unit)}」的单位。`)
      if (allowed && !allowed.includes(found.id)) throw new UserFacingError('denied', '第一责任人只能查看本单位的逾期事项。')
      units = [found.id]
    } else if (allowed?.length === 0) {
      throw new UserFacingError('denied', '您没有可查看的单位。')
    }
    const campaign = await runningCampaignOrSay(context, today)
    if (!campaign) return
    const groups = await overdueByUnit(dataSource, campaign.id, today, units)
    const count = groups.reduce((n, g) => n + g.items.length, 0)
    if (count === 0) {
      context.reply('没有逾期未整改的事项。')
      return
    }
    const lines = [`**逾期未整改 ${count} 项**`]
    for (const group of groups.slice(0, 10)) {
      lines.push(`${inertText(group.unitName)}（${group.items.length} 项）`)
      for (const { item } of group.items.slice(0, 5)) {
        lines.push(`🔴 #${item.id} ${shorten(item.problem, 18)} · ${overdueText(item.dueDate, today)}（${formatChineseDate(item.dueDate, today)}到期）`)
      }
      if (group.items.length > 5) lines.push(`另有 ${group.items.length - 5} 项`)
    }
    if (groups.length > 10) lines.push(`另有 ${groups.length - 10} 个单位`)
    context.reply(markdown(lines.join('\n')))
  },
})
