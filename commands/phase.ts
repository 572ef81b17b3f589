import { In, LessThanOrEqual, MoreThanOrEqual } from 'typeorm'
import { defineCommand } from '../src/bot/define-command.js'
import { currentCampaign } from '../src/domain/campaign/current-campaign.js'
import { CampaignUnitSchema, PhaseSchema, PhaseTaskSchema, TaskSubmissionSchema } from '../src/domain/entities/index.js'
import { unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { beijingDate, daysBetween, formatChineseDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'

/** 阶段: the current phase, its deadline, and what this person's unit still owes. */
export const phase = defineCommand<Record<string, never>>({
  name: '阶段',
  aliases: ['phase'],
  summary: '查看当前阶段、截止时间和本单位待交任务',
  usage: '阶段',
  example: '阶段',
  roles: 'everyone',
  parse: () => ({}),
  async run(context) {
    const { dataSource, actor } = context
    const today = beijingDate(context.now())
    const campaign = await currentCampaign(dataSource, today)
    if (!campaign) {
      context.reply('当前没有进行中的专项治理。')
      return
    }
    const phases = await dataSource.getRepository(PhaseSchema).find({
      where: { campaignId: campaign.id, startDate: LessThanOrEqual(today), endDate: MoreThanOrEqual(today) },
      order: { seq: 'ASC' },
    })
    const lines = [`**${campaign.name}**`]
    for (const p of phases) {
      const left = daysBetween(today, p.endDate)
      lines.push(`当前阶段：${p.name}（${formatChineseDate(p.startDate, today)}—${formatChineseDate(p.endDate, today)}，${left === 0 ? '今天截止' : `还剩 ${left} 天`}）`)
    }
    // Only units that take part in the campaign owe deliverables (not 组织部 or the member units).
    const participants = (await dataSource.getRepository(CampaignUnitSchema).findBy({ campaignId: campaign.id, role: 'participant' })).map((c) => c.unitId)
    const unitIds = [...new Set([...unitsActedFor(actor), ...(actor.person.unitId === null ? [] : [actor.person.unitId])])].filter((id) => participants.includes(id))
    const tasks = await dataSource.getRepository(PhaseTaskSchema).find({
      where: { campaignId: campaign.id, phaseId: In(phases.map((p) => p.id)) },
      order: { dueDate: 'ASC', id: 'ASC' },
    })
    const submitted = unitIds.length === 0 || tasks.length === 0 ? [] : await dataSource.getRepository(TaskSubmissionSchema).findBy({ taskId: In(tasks.map((t) => t.id)), unitId: In(unitIds) })
    // A deliverable is owed while any of the person's units has not handed it in.
    const owed = unitIds.length === 0 ? [] : tasks.filter((task) => unitIds.some((unitId) => !submitted.some((s) => s.taskId === task.id && s.unitId === unitId)))
    if (owed.length > 0) {
      lines.push('本单位待交：')
      for (const task of owed) {
        const mark = task.dueDate < today ? '🔴' : daysBetween(today, task.dueDate) <= 3 ? '🟡' : '🟢'
        lines.push(`${mark} ${task.name}（${formatChineseDate(task.dueDate, today)}截止）`)
      }
    } else if (tasks.length > 0 && unitIds.length > 0) {
      lines.push('本阶段任务本单位均已提交。')
    }
    context.reply(markdown(lines.join('\n')))
  },
})
