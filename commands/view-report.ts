import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { replyList } from '../src/bot/reply-list.js'
import { currentOrLatestCampaign } from '../src/domain/campaign/current-campaign.js'
import { isVerifier, ownUnits } from '../src/domain/ledger/ledger-access.js'
import { shorten } from '../src/domain/ledger/format-item.js'
import { checkedMonth, defaultMonth } from '../src/domain/reports/month-span.js'
import { unitAndMonth } from '../src/bot/unit-and-month.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { unitReportText, type ReportVersion } from '../src/read-model/monthly-reports.js'
import { unitNames } from '../src/read-model/ledger-status.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate, lastDayOfMonth, type CalendarDate } from '../src/time/calendar-date.js'
import { inertLines, inertText } from '../src/wecom/inert-text.js'

/** An earlier version is shown this long; the current one in full, page by page (更多). */
const EARLIER_CHARS = 60
/** A line of the report longer than this is cut into several list lines, so that every page fits one message. */
const LINE_CHARS = 200

/**
 * 查看月报 [单位] [月份]: what a unit wrote in its monthly report, who submitted it and when, and
 * the versions it replaced. 组织部 and 检查组 read every unit's; a unit's head, leader and
 * liaison their own. A command of its own, so that a report beginning with 查看 is a report.
 */
export const viewReport = defineCommand<{ words: readonly string[] }>({
  name: '查看月报',
  aliases: ['viewreport'],
  summary: '查看单位月报内容和历次版本',
  usage: '查看月报 [单位] [月份]',
  example: '查看月报 城关镇 上月',
  roles: ['org_admin', 'inspector', 'unit_head', 'leader', 'liaison'],
  parse: (args) => ({ words: args.tokens }),
  async run(context, { words }) {
    const today = beijingDate(context.now())
    const campaign = await currentOrLatestCampaign(context.dataSource, today)
    if (!campaign) {
      context.reply('还没有专项治理，没有月报。')
      return
    }
    const asked = await unitAndMonth(context, words, today)
    const unitId = await allowedUnit(context, asked.unit)
    const wanted = asked.month ?? defaultMonth(campaign, today)
    const month = checkedMonth(wanted, campaign, today, `${monthLabel(wanted, today)}还没有到，没有月报。`)
    const report = await unitReportText(context.dataSource, campaign.id, unitId, month)
    const name = `${inertText(report.unitName)}${monthLabel(month, today)}月报`
    if (!report.current) {
      context.reply(report.owes ? `${name}：未提交（${deadline(month, today)}）。` : `${name}：没有（该单位不需报送月报）。`)
      return
    }
    await replyList(context, '查看月报', { title: `**${name}**`, lines: [versionLine(report.current, today, report.earlier.length > 0), ...textLines(report.current.content), ...earlierLines(report.earlier, today)] })
  },
})

/** The unit asked for, if the person may read it; without one, the person's own unit. */
async function allowedUnit(context: CommandContext, unit: { id: number } | null): Promise<number> {
  const own = ownUnits(context.actor)
  if (!unit) {
    const home = context.actor.person.unitId
    const mine = home !== null && own.includes(home) ? home : own[0]
    if (mine === undefined) throw new UserFacingError('missing_unit', '请写明要查看哪个单位的月报。')
    return mine
  }
  if (!isVerifier(context.actor) && !own.includes(unit.id)) {
    const names = [...(await unitNames(context.dataSource, own)).values()].map(inertText).join('、')
    throw new RefusalError('denied', `您只能查看本单位（${names}）的月报；其他单位的月报由县委组织部查看。`)
  }
  return unit.id
}

/** "8月", or "2014年12月" in another year. */
function monthLabel(month: string, today: CalendarDate): string {
  const [year, number] = month.split('-').map(Number) as [number, number]
  return month.slice(0, 4) === today.slice(0, 4) ? `${number}月` : `${year}年${number}月`
}

/** Reports are due by the month's last day (docs/figures.md). */
function deadline(month: string, today: CalendarDate): string {
  const last = lastDayOfMonth(`${month}-01`)
  return last >= today ? `${formatChineseDate(last, today)}前报送` : `应于${formatChineseDate(last, today)}前报送，已过期`
}

/** "8月31日 10:00". */
function when(at: Date, today: CalendarDate): string {
  return `${formatChineseDate(beijingDate(at), today)} ${formatBeijingDateTime(at).slice(11)}`
}

/** "张伟 8月31日 10:00 提交（第 2 版）". */
function versionLine(version: ReportVersion, today: CalendarDate, revised: boolean): string {
  return `${inertText(version.submittedBy ?? '（已不在名册）')} ${when(version.submittedAt, today)} 提交${revised ? `（第 ${version.revision} 版）` : ''}`
}

/** The report's own lines, quoted; a long one in pieces that end at a sentence where they can. */
function textLines(content: string): string[] {
  const lines: string[] = []
  for (const line of inertLines(content).split('\n')) {
    // By code points: a piece never ends inside an emoji.
    let rest = [...line.trim()]
    while (rest.length > LINE_CHARS) {
      const head = rest.slice(0, LINE_CHARS)
      const stop = Math.max(...['。', '；', '！', '？'].map((mark) => head.lastIndexOf(mark)))
      const end = stop >= LINE_CHARS / 2 ? stop + 1 : LINE_CHARS
      lines.push(`> ${rest.slice(0, end).join('')}`)
      rest = rest.slice(end)
    }
    if (rest.length > 0) lines.push(`> ${rest.join('')}`)
  }
  return lines
}

/** The versions replaced, newest first, each shortened. */
function earlierLines(earlier: readonly ReportVersion[], today: CalendarDate): string[] {
  if (earlier.length === 0) return []
  return [`此前 ${earlier.length} 版：`, ...earlier.map((v) => `第 ${v.revision} 版 · ${inertText(v.submittedBy ?? '（已不在名册）')} ${when(v.submittedAt, today)}：${shorten(v.content, EARLIER_CHARS)}`)]
}
