import { defineCommand } from '../src/bot/define-command.js'
import { runningCampaignOrSay } from '../src/bot/running-campaign.js'
import { unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { phaseStatus } from '../src/read-model/campaign-progress.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'
import { workdaysUntil } from '../src/time/work-calendar.js'
import { markdown } from '../src/wecom/messages.js'

/** 阶段: the current phase, its deadline, and what this person's unit still owes. */
export const phase = defineCommand<Record<string, never>>({
  name: '阶段',
  aliases: ['phase'],
  summary: '当前阶段和待交任务',
  usage: '阶段',
  example: '阶段',
  roles: 'everyone',
  parse: () => ({}),
  async run(context) {
    const { dataSource, actor } = context
    const today = beijingDate(context.now())
    const campaign = await runningCampaignOrSay(context, today)
    if (!campaign) return
    const ownUnits = [...unitsActedFor(actor), ...(actor.person.unitId === null ? [] : [actor.person.unitId])]
    const status = await phaseStatus(dataSource, campaign.id, today, ownUnits)
    const lines = [`**${campaign.name}**`]
    for (const p of status.running) {
      const left = p.endDate === today ? '今天截止' : `还有 ${workdaysUntil(today, p.endDate)} 个工作日`
      lines.push(`当前阶段：${p.name}（${formatChineseDate(p.startDate, today)}—${formatChineseDate(p.endDate, today)}，${left}）`)
    }
    if (status.owed.length > 0) {
      lines.push('本单位待交：')
      for (const { task, light } of status.owed) lines.push(`${light} ${task.name}（${formatChineseDate(task.dueDate, today)}截止）`)
    } else if (status.tasks.length > 0) {
      lines.push('本阶段任务本单位均已提交。')
    }
    context.reply(markdown(lines.join('\n')))
  },
})
