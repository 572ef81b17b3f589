import type { CommandContext } from '../src/bot/define-command.js'
import { inertText } from '../src/wecom/inert-text.js'
import { withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand } from '../src/bot/define-command.js'
import { currentCampaign, currentOrLatestCampaign } from '../src/domain/campaign/current-campaign.js'
import { unitMonthlyReport } from '../src/read-model/campaign-progress.js'
import { unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { draftMonthlyReport, submitMonthlyReport, type ReplacedReport } from '../src/domain/reports/monthly-report-service.js'
import { RefusalError } from '../src/errors.js'
import { findUnitByName, nearestUnitNames, unknownUnitText } from '../src/domain/roster/find-unit.js'
import { allUnitNames } from '../src/read-model/roster.js'
import { checkMonthInCampaign, parseMonth, reportPeriod } from '../src/domain/reports/month-span.js'
import { monthlyReportFile } from '../src/domain/reports/monthly-summary.js'
import { addMonths, beijingDate, formatBeijingDateTime, formatWhen, lastDayOfMonth, formatChineseDate, monthOf } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'

/** 月报 汇总 [月份]: the month as YYYY-MM, YYYY年M月 or M月 (this year's, or last year's if still to come). */
const SUMMARY = /^汇总(?:\s+(.+))?$/s
const MONTH_WORDS = /^[\d\s年月\-/.]{1,12}$/

/** 月报: this month's report status and a draft, or submits the report for the unit; 月报 汇总: the county's workbook. */
export const report = defineCommand<{ content: string }>({
  name: '月报',
  aliases: ['report'],
  summary: '月报：提交、查看状态、汇总表',
  usage: '月报 [内容]｜月报 汇总 [月份]',
  example: '月报 本月召开推进会1次，查摆问题3个，已整改2个，下月完成剩余整改。',
  roles: ['unit_head', 'liaison', 'org_admin'],
  verbs: [
    { usage: '月报 [内容]', example: '月报 本月召开推进会1次，查摆问题3个，已整改2个。', roles: ['unit_head', 'liaison'] },
    { usage: '月报 汇总 [月份]', example: '月报 汇总 8月', roles: ['org_admin'] },
  ],
  parse: (args) => ({ content: args.rest(0) }),
  async run(context, { content }) {
    const { dataSource, actor } = context
    const today = beijingDate(context.now())
    const summary = SUMMARY.exec(content)
    // A unit's report that happens to start with 汇总 is still a report.
    if (summary && (context.roles.includes('org_admin') || summary[1] === undefined || MONTH_WORDS.test(summary[1].trim()))) return sendSummary(context, summary[1]?.trim() ?? '')
    const campaign = await currentCampaign(dataSource, today)
    if (!campaign) throw new RefusalError('no_campaign', '当前没有进行中的专项治理，不需要报送月报。')
    const units = unitsActedFor(actor)
    const unitId = units.includes(actor.person.unitId ?? -1) ? actor.person.unitId! : units[0]
    if (unitId === undefined) return notAUnitRole(context, content, today)
    const current = await unitMonthlyReport(dataSource, campaign.id, unitId, monthOf(today))
    const unit = { name: current.unitName }
    const month = `${Number(today.slice(5, 7))}月`
    if (content) {
      withinLimit(content, 'monthlyReport')
      const saved = await submitMonthlyReport(dataSource, { campaignId: campaign.id, unitId, personId: actor.person.id, content, today, now: context.now() })
      context.reply(
        saved.revision === 1
          ? `已提交${unit.name}${month}月报，报县委组织部（干部监督科）。月底前可重新提交，新内容替换原内容，历次内容均保留。`
          : `已重新提交${unit.name}${month}月报（第 ${saved.revision} 版），替换了${replacedBy(saved.replaced, context.now())}，历次内容均保留。`,
      )
      return
    }
    const draft = await draftMonthlyReport(dataSource, campaign.id, unitId, today)
    const deadline = formatChineseDate(lastDayOfMonth(today), today)
    let status = `**${inertText(unit.name)}${month}月报：未提交**（${deadline}前报送）`
    if (current.submittedAt) {
      const by = current.submittedBy
      status = `**${inertText(unit.name)}${month}月报：已提交**（第 ${current.revision} 版，${formatBeijingDateTime(current.submittedAt).slice(5)}${by ? `，${inertText(by)}` : ''}）`
    }
    context.reply(markdown(`${status}\n本月台账情况（可作草稿）：\n> ${draft}\n提交：月报 内容`))
  },
})

/** "李娜 10:32 提交的第 1 版" (or "您 …" for the person's own). */
function replacedBy(replaced: ReplacedReport | null, now: Date): string {
  return replaced ? `${replaced.by} ${formatWhen(replaced.at, now)} 提交的第 ${replaced.revision} 版` : '原内容'
}

/**
 * 月报 from someone who holds no unit's report (组织部): 「月报 新店镇」 asks to read a unit's
 * report, which 查看月报 does; anything else is told who submits reports and where to read them.
 * The examples name this month and the last.
 */
async function notAUnitRole(context: CommandContext, content: string, today: string): Promise<void> {
  const thisMonth = monthOf(today)
  const lastMonth = monthOf(addMonths(`${thisMonth}-01`, -1))
  const [name = '', ...rest] = content.split(/\s+/)
  const unit = name === '' ? null : await findUnitByName(context.dataSource, name)
  if (unit) {
    const month = rest.join(' ')
    const unitName = inertText(unit.name)
    context.reply(`查看${unitName}的月报请发送：查看月报 ${unitName}${month ? ` ${month}` : ''}（上月：查看月报 ${unitName} ${lastMonth}）。全县月报汇总表：月报 汇总 ${thisMonth}`)
    return
  }
  // A short word that is nearly a unit's name was meant as one, not as a report.
  const names = name !== '' && rest.length <= 1 && [...name].length <= 12 ? await allUnitNames(context.dataSource) : []
  const near = nearestUnitNames(name, names)
  if (near.length > 0) throw new RefusalError('no_unit', `${unknownUnitText(name, names)}查看单位的月报：查看月报 ${inertText(near[0]!)}`)
  const admin = context.roles.includes('org_admin') ? `查看单位月报：查看月报 单位名称 [月份]；全县月报汇总表：月报 汇总 ${thisMonth}` : ''
  throw new RefusalError('no_unit', `只有单位的第一责任人、联络员可以提交月报，您不是任何单位的第一责任人或联络员。${admin}`)
}

/** 月报 汇总 [月份] (组织部管理员): the monthly workbook as a file, after a short summary of its figures. */
async function sendSummary(context: CommandContext, monthText: string): Promise<void> {
  if (!context.roles.includes('org_admin')) throw new RefusalError('forbidden', '「月报 汇总」只有组织部管理员可以使用；各单位提交本单位月报：月报 内容')
  const now = context.now()
  const today = beijingDate(now)
  const month = monthText === '' ? monthOf(today) : parseMonth(monthText, today)
  const campaign = await currentOrLatestCampaign(context.dataSource, today)
  if (!campaign) throw new RefusalError('no_campaign', '还没有专项治理，没有月报可以汇总。')
  checkMonthInCampaign(month, campaign)
  reportPeriod(month, now) // refuses a month still to come
  const { summary, attachment } = await monthlyReportFile(context.dataSource, campaign, month, now)
  // Over WeCom's file limit the summary says where to get the workbook instead.
  context.reply(markdown(summary), attachment ?? undefined)
}
