import type Router from '@koa/router'
import { isVerifier, unitsActedFor } from '../../domain/ledger/ledger-access.js'
import { overdueText } from '../../read-model/figures.js'
import { overdueByUnit } from '../../read-model/ledger-lists.js'
import { unitNames } from '../../read-model/ledger-status.js'
import { personNames } from '../../read-model/todo.js'
import { html, idParam, notFound, queryText, refuse, type DashboardKit } from './dashboard-kit.js'
import { OverduePage, overdueExport, type OverdueView } from './pages/overdue.js'
import { seesUnitLedger } from './who-sees.js'
import { sendTable, wantsXlsx } from './xlsx-export.js'

/**
 * 逾期 (docs/dashboard.md, 逾期): chat's 逾期 (commands/overdue.ts) as a page — the same read model
 * (overdueByUnit, overdueText; docs/figures.md, Overdue) and the same rule: 组织部 and 检查组 every
 * unit, a unit head the units they act for, anyone else told who may look.
 */
export function registerOverduePages(router: Router, kit: DashboardKit): void {
  const { dataSource } = kit.options

  router.get('/dash/overdue', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const { sender, today } = who
    // The command is for 第一责任人, 组织部 and 检查组; a verifier sees every unit, a unit head theirs.
    if (!isVerifier(sender) && !sender.roles.includes('unit_head')) {
      return refuse(ctx, 403, '无法查看逾期事项', ['逾期事项对组织部（干部监督科）、专项检查组和各单位第一责任人开放。', '您负责的事项请在企业微信中发送「我的」查看。'])
    }
    const allowed = isVerifier(sender) ? null : unitsActedFor(sender)
    if (allowed?.length === 0) return refuse(ctx, 403, '无法查看逾期事项', ['您没有可查看的单位。'])
    const typed = queryText(ctx, 'unit')
    const unitId = typed === '' ? null : idParam(typed)
    if (typed !== '' && unitId === null) return notFound(ctx)
    let unit: OverdueView['unit'] = null
    if (unitId !== null) {
      const name = (await unitNames(dataSource, [unitId])).get(unitId)
      if (name === undefined) return notFound(ctx)
      if (allowed && !allowed.includes(unitId)) return refuse(ctx, 403, '无法查看逾期事项', ['第一责任人只能查看本单位的逾期事项。'])
      unit = { unitId, unitName: name }
    }
    const campaign = await kit.campaignOrSay(ctx, today)
    if (!campaign) return
    // Every unit the viewer sees, for the filter; a unit's group is what 逾期 <单位> lists.
    const groups = await overdueByUnit(dataSource, campaign.id, today, allowed)
    const shown = unit ? groups.filter((g) => g.unitId === unit.unitId) : groups
    const items = shown.flatMap((g) => g.items)
    const names = await personNames(dataSource, items.flatMap(({ item }) => [item.responsibleLeaderId, item.responsiblePersonId]).filter((id): id is number => id !== null))
    const name = (id: number | null) => (id === null ? '' : (names.get(id) ?? ''))
    const view: OverdueView = {
      campaignName: campaign.name,
      today,
      scope: allowed === null ? '全县' : '本单位',
      rows: items.map(({ item, unitName }) => ({
        itemId: item.id,
        unitId: item.unitId,
        unitName,
        problem: item.problem,
        dueDate: item.dueDate,
        overdue: overdueText(item.dueDate, today),
        leader: name(item.responsibleLeaderId),
        person: name(item.responsiblePersonId),
      })),
      units: allowed !== null && allowed.length === 1 ? null : filterUnits(groups, unit),
      unit,
    }
    if (wantsXlsx(ctx)) return sendTable(ctx, overdueExport(view))
    html(ctx, OverduePage({ view, viewer: who.viewer, unitLink: (id) => (seesUnitLedger(sender, id) ? `/dash/units/${id}` : null) }))
  })
}

/** The filter's units: those with overdue items, and the one filtered to (0 items) if it has none. */
function filterUnits(groups: readonly { unitId: number; unitName: string; items: readonly unknown[] }[], unit: OverdueView['unit']): NonNullable<OverdueView['units']> {
  const units = groups.map((g) => ({ unitId: g.unitId, unitName: g.unitName, count: g.items.length }))
  return unit && !units.some((u) => u.unitId === unit.unitId) ? [...units, { ...unit, count: 0 }] : units
}
