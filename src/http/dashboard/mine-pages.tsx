import type Router from '@koa/router'
import { unitsActedFor } from '../../domain/ledger/ledger-access.js'
import { personOpenItems } from '../../read-model/ledger-lists.js'
import { unitNames } from '../../read-model/ledger-status.js'
import { html, type DashboardKit } from './dashboard-kit.js'
import { MinePage, mineExport } from './pages/mine.js'
import { sendTable, wantsXlsx } from './xlsx-export.js'

/**
 * 我的 (docs/dashboard.md, 我的): chat's 我的 as a page — the open items the person answers for
 * (as responsible person or leader) or whose units they act for, most urgent first. Open to
 * everyone signed in: it is where a leader or a responsible person starts.
 */
export function registerMinePages(router: Router, kit: DashboardKit): void {
  const { dataSource } = kit.options
  router.get('/dash/mine', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const campaign = await kit.campaignOrSay(ctx, who.today)
    if (!campaign) return
    const items = await personOpenItems(dataSource, campaign.id, who.sender.person.id, unitsActedFor(who.sender), who.today)
    const units = await unitNames(dataSource, [...new Set(items.map((i) => i.unitId))])
    const view = { name: who.sender.person.name, items, units, today: who.today }
    if (wantsXlsx(ctx)) return sendTable(ctx, mineExport(view))
    html(ctx, MinePage({ view, viewer: who.viewer }))
  })
}
