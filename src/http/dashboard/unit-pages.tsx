import type Router from '@koa/router'
import { unitsActedFor } from '../../domain/ledger/ledger-access.js'
import { unitNames } from '../../read-model/ledger-status.js'
import { findUnit, unitPageData } from '../../read-model/unit-page.js'
import { html, idParam, notFound, queryText, refuse, type DashboardKit } from './dashboard-kit.js'
import { STATE_FILTERS, UnitPage, unitItemsExport, type StateFilter } from './pages/unit.js'
import { seesUnitLedger } from './who-sees.js'
import { sendTable, wantsXlsx } from './xlsx-export.js'

/**
 * 单位 (docs/dashboard.md, 单位): one unit's figures, items, monthly reports, phase deliverables
 * and circular acknowledgements, for those who see its whole ledger (seesUnitLedger: 组织部 and
 * 检查组 any unit, its head and liaison their own).
 */
export function registerUnitPages(router: Router, kit: DashboardKit): void {
  const { dataSource } = kit.options

  router.get('/dash/units/:id', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const unitId = idParam(ctx.params.id)
    const unit = unitId === null ? null : await findUnit(dataSource, unitId)
    if (!unit) return notFound(ctx)
    const { sender, today } = who
    if (!seesUnitLedger(sender, unit.id)) {
      const own = [...(await unitNames(dataSource, unitsActedFor(sender))).values()]
      return refuse(ctx, 403, '无法查看该单位', [
        '单位页面只对组织部（干部监督科）、专项检查组和该单位的第一责任人、联络员开放。',
        own.length > 0 ? `您可以查看本单位：${own.join('、')}（从总览进入）。` : '您负责的事项请在企业微信中发送「我的」查看。',
      ])
    }
    const campaign = await kit.campaignOrSay(ctx, today)
    if (!campaign) return
    const data = await unitPageData(dataSource, campaign, unit, today, who.now)
    const state: StateFilter = STATE_FILTERS.find((s) => s === queryText(ctx, 'state')) ?? 'all'
    if (wantsXlsx(ctx)) return sendTable(ctx, unitItemsExport(data, state))
    html(ctx, UnitPage({ campaignName: campaign.name, data, viewer: who.viewer, state }))
  })
}
