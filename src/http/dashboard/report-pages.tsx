import type Router from '@koa/router'
import type { Context } from 'koa'
import { isVerifier, ownUnits } from '../../domain/ledger/ledger-access.js'
import { monthlyFigures } from '../../domain/reports/monthly-figures.js'
import { workbookFilename } from '../../domain/reports/monthly-summary.js'
import { monthlyWorkbookBytes } from '../../domain/reports/monthly-workbook.js'
import { checkMonthInCampaign, isMonth, reportPeriod } from '../../domain/reports/month-span.js'
import type { Campaign } from '../../db/entities/index.js'
import { UserFacingError } from '../../errors.js'
import { unitNames } from '../../read-model/ledger-status.js'
import { unitReportText } from '../../read-model/monthly-reports.js'
import { campaignMonths, reportGrid, reportMonth } from '../../read-model/report-grid.js'
import { monthOf } from '../../time/calendar-date.js'
import { html, idParam, notFound, queryText, refuse, type DashboardKit, type SignedIn } from './dashboard-kit.js'
import { ReportGridPage, reportGridExport, ReportTextPage, type ReportGridView } from './pages/reports.js'
import { seesUnitLedger } from './who-sees.js'
import { sendTable, sendXlsx, wantsXlsx } from './xlsx-export.js'

const OPEN_TO = '月报对组织部（干部监督科）、专项检查组和各单位第一责任人、分管领导、联络员开放。'

/**
 * 月报 (docs/dashboard.md, 月报): every participating unit's monthly reports month by month
 * (reportGrid: the workbook's definition, docs/figures.md, Scope), each report's text as 查看月报
 * shows it (commands/view-report.ts), and the month's workbook as 月报 汇总 sends it. Who sees
 * what is 查看月报's rule: 组织部 and 检查组 every unit, a unit's head, leader and liaison their own
 * (ownUnits); the workbook is 组织部's (as 月报 汇总).
 */
export function registerReportPages(router: Router, kit: DashboardKit): void {
  const { dataSource } = kit.options

  /** The units whose reports the viewer reads (null: all), or null after refusing. */
  function readableUnits(ctx: Context, who: SignedIn): { units: number[] | null } | null {
    if (isVerifier(who.sender)) return { units: null }
    const own = ownUnits(who.sender)
    if (own.length === 0) {
      refuse(ctx, 403, '无法查看月报', [OPEN_TO, '各单位提交本单位月报：在企业微信中发送「月报 内容」。'])
      return null
    }
    return { units: own }
  }

  router.get('/dash/reports', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const readable = readableUnits(ctx, who)
    if (!readable) return
    const campaign = await kit.campaignOrSay(ctx, who.today)
    if (!campaign) return
    const grid = await reportGrid(dataSource, campaign, who.now, readable.units)
    const view: ReportGridView = {
      campaignName: campaign.name,
      today: who.today,
      scope: readable.units === null ? '全县' : '本单位',
      grid,
      workbook: who.sender.roles.includes('org_admin') && grid.months.length > 0 ? { month: grid.months.at(-1)!, months: [...grid.months].reverse() } : null,
    }
    if (wantsXlsx(ctx)) return sendTable(ctx, reportGridExport(view))
    html(ctx, ReportGridPage({ view, viewer: who.viewer, unitLink: (id) => (seesUnitLedger(who.sender, id) ? `/dash/units/${id}` : null) }))
  })

  // 月报 汇总's workbook (commands/report.ts): the month it defaults to is this month; one outside the campaign is refused.
  router.get('/dash/reports/workbook', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    // As 月报 汇总, whose file it is: 组织部's.
    if (!who.sender.roles.includes('org_admin')) return refuse(ctx, 403, '无法下载月度工作簿', ['月度工作簿只对组织部（干部监督科）开放。', '本单位的月报情况请在「月报」页查看。'])
    const campaign = await kit.campaignOrSay(ctx, who.today)
    if (!campaign) return
    const month = queryText(ctx, 'month') || monthOf(who.today)
    const refused = monthRefusal(month, campaign, who.now)
    if (refused) return refuse(ctx, 400, '无法导出月度工作簿', [refused])
    const figures = await monthlyFigures(dataSource, campaign, month, who.now)
    // Streamed into memory (docs/figures.md, The monthly workbook), then sent whole: a failure is a page, not a cut-off file.
    // Named as 月报 汇总's attachment is.
    const { content } = await monthlyWorkbookBytes(figures, who.now)
    sendXlsx(ctx, content!, workbookFilename(figures).replace(/\.xlsx$/, ''))
  })

  router.get('/dash/reports/:unitId/:month', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const unitId = idParam(ctx.params.unitId)
    const month = ctx.params.month ?? ''
    if (unitId === null || !isMonth(month)) return notFound(ctx)
    const readable = readableUnits(ctx, who)
    if (!readable) return
    const names = await unitNames(dataSource, [unitId])
    if (!names.has(unitId)) return notFound(ctx)
    if (readable.units !== null && !readable.units.includes(unitId)) {
      const own = [...(await unitNames(dataSource, readable.units)).values()].join('、')
      return refuse(ctx, 403, '无法查看该单位月报', [`您只能查看本单位（${own}）的月报；其他单位的月报由县委组织部查看。`])
    }
    const campaign = await kit.campaignOrSay(ctx, who.today)
    if (!campaign) return
    const refused = monthRefusal(month, campaign, who.now)
    if (refused) return refuse(ctx, 400, '无法查看月报', [refused])
    const report = await unitReportText(dataSource, campaign.id, unitId, month)
    const mark = campaignMonths(campaign, who.today).includes(month) ? ((await reportMonth(dataSource, campaign, month, who.now)).get(unitId)?.cell.mark ?? null) : null
    html(ctx, ReportTextPage({ report, mark, today: who.today, viewer: who.viewer, unitLink: seesUnitLedger(who.sender, unitId) ? `/dash/units/${unitId}` : null }))
  })
}

/** Why a month cannot be shown (chat's words: not a month, outside the campaign, still to come), or null. */
function monthRefusal(month: string, campaign: Campaign, now: Date): string | null {
  if (!isMonth(month)) return `月份「${[...month].slice(0, 20).join('')}」应写成 YYYY-MM，例如 ${campaign.startDate.slice(0, 7)}。`
  try {
    checkMonthInCampaign(month, campaign)
    reportPeriod(month, now)
    return null
  } catch (error) {
    if (error instanceof UserFacingError) return error.message
    throw error
  }
}
