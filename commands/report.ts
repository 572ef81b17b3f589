import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { currentCampaign } from '../src/domain/campaign/current-campaign.js'
import { PersonSchema, UnitSchema } from '../src/domain/entities/index.js'
import { unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { currentReport, draftMonthlyReport, submitMonthlyReport } from '../src/domain/reports/monthly-report-service.js'
import { UserFacingError } from '../src/errors.js'
import { beijingDate, formatBeijingDateTime, lastDayOfMonth, formatChineseDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'

/** 月报: this month's report status and a draft, or submits the report for the unit. */
export const report = defineCommand<{ content: string }>({
  name: '月报',
  aliases: ['report'],
  summary: '查看本月月报状态和草稿，或提交本单位月报',
  usage: '月报 [内容]',
  example: '月报 本月召开推进会1次，查摆问题3个，已整改2个，下月完成剩余整改。',
  roles: ['unit_head', 'liaison'],
  parse: (args) => ({ content: args.rest(0) }),
  async run(context, { content }) {
    const { dataSource, actor } = context
    const today = beijingDate(context.now())
    const campaign = await currentCampaign(dataSource, today)
    if (!campaign) throw new UserFacingError('no_campaign', '当前没有进行中的专项治理，不需要报送月报。')
    const units = unitsActedFor(actor)
    const unitId = units.includes(actor.person.unitId ?? -1) ? actor.person.unitId! : units[0]
    if (unitId === undefined) throw new UserFacingError('no_unit', '您不是任何单位的第一责任人或联络员。')
    const unit = await dataSource.getRepository(UnitSchema).findOneByOrFail({ id: unitId })
    const month = `${Number(today.slice(5, 7))}月`
    if (content) {
      const saved = await submitMonthlyReport(dataSource, { campaignId: campaign.id, unitId, personId: actor.person.id, content, today, now: context.now() })
      context.reply(
        saved.revision === 1
          ? `已提交${unit.name}${month}月报，报县委组织部（干部监督科）。月底前可重新提交，新内容替换原内容，历次内容均保留。`
          : `已重新提交${unit.name}${month}月报（第 ${saved.revision} 版），替换了原内容，历次内容均保留。`,
      )
      return
    }
    const existing = await currentReport(dataSource, campaign.id, unitId, today)
    const draft = await draftMonthlyReport(dataSource, campaign.id, unitId, today)
    const deadline = formatChineseDate(lastDayOfMonth(today), today)
    let status = `**${inertText(unit.name)}${month}月报：未提交**（${deadline}前报送）`
    if (existing) {
      const by = existing.submittedById ? (await dataSource.getRepository(PersonSchema).findOneBy({ id: existing.submittedById }))?.name : null
      status = `**${inertText(unit.name)}${month}月报：已提交**（第 ${existing.revision} 版，${formatBeijingDateTime(existing.submittedAt).slice(5)}${by ? `，${inertText(by)}` : ''}）`
    }
    context.reply(markdown(`${status}\n本月台账情况（可作草稿）：\n> ${draft}\n提交：月报 内容`))
  },
})
