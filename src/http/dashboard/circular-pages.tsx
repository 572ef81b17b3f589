import type Router from '@koa/router'
import { circular as circularCommand } from '../../../commands/circular.js'
import type { Sender } from '../../bot/load-sender.js'
import { circularStatus } from '../../domain/circulars/circular-status.js'
import { senderSignature } from '../../domain/circulars/publish-circular.js'
import { CircularSchema } from '../../db/entities/index.js'
import { linkedCases } from '../../read-model/circulars.js'
import { circularsReceivedBy, circularsWithStatus, receivedCircular } from '../../read-model/dashboard-circulars.js'
import { html, idParam, notFound, queryText, refuse, type DashboardKit } from './dashboard-kit.js'
import { acknowledgementExport, circularListExport, CircularListPage, CircularStatusPage, ReceivedCircularPage, ReceivedListPage, receivedListExport } from './pages/circulars.js'
import { seesUnitLedger } from './who-sees.js'
import { sendTable, wantsXlsx } from './xlsx-export.js'

/**
 * Sees every circular and its acknowledgements: whoever may use chat's 通报 (its declared roles,
 * commands/circular.ts: 组织部). Anyone else sees what 收到 knows of them: the circulars sent to them.
 */
function seesEveryCircular(sender: Sender): boolean {
  const { roles } = circularCommand
  return roles === 'everyone' || roles.some((role) => sender.roles.includes(role))
}

/**
 * 通报 (docs/dashboard.md, 通报): chat's 通报 列表 and 通报 状态 (commands/circular.ts) for 组织部 —
 * the same list (latestCirculars) with each circular's figures from circularStatus, never counted
 * again — and for everyone else the circulars sent to them, as 收到 (commands/ack.ts) knows them.
 */
export function registerCircularPages(router: Router, kit: DashboardKit): void {
  const { dataSource } = kit.options

  router.get('/dash/circulars', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const { sender, today } = who
    if (!(await kit.campaignOrSay(ctx, today))) return
    if (seesEveryCircular(sender)) {
      const list = await circularsWithStatus(dataSource)
      if (wantsXlsx(ctx)) return sendTable(ctx, circularListExport(list, today))
      return html(ctx, CircularListPage({ viewer: who.viewer, list, today }))
    }
    const list = await circularsReceivedBy(dataSource, sender.person.id)
    if (wantsXlsx(ctx)) return sendTable(ctx, receivedListExport(list, today))
    html(ctx, ReceivedListPage({ viewer: who.viewer, list, today }))
  })

  router.get('/dash/circulars/:id', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const { sender, today } = who
    if (!(await kit.campaignOrSay(ctx, today))) return
    const id = idParam(ctx.params.id)
    if (id === null) return notFound(ctx)
    if (seesEveryCircular(sender)) {
      if (!(await dataSource.getRepository(CircularSchema).existsBy({ id }))) return notFound(ctx)
      const status = await circularStatus(dataSource, id)
      if (wantsXlsx(ctx)) return sendTable(ctx, acknowledgementExport(status, queryText(ctx, 'table') === 'units' ? 'units' : 'people', today))
      const [from, cases] = [await senderSignature(dataSource.manager, status.circular.sentById), await linkedCases(dataSource, id)]
      return html(ctx, CircularStatusPage({ viewer: who.viewer, status, from, cases, today, unitLink: (unitId) => (seesUnitLedger(sender, unitId) ? `/dash/units/${unitId}` : null) }))
    }
    // As 收到 answers: a circular that does not exist or is a draft is not found; one sent to others is not theirs.
    const circular = await dataSource.getRepository(CircularSchema).findOneBy({ id })
    if (!circular || circular.status === 'draft') return notFound(ctx)
    const received = await receivedCircular(dataSource, id, sender.person.id)
    if (!received) return refuse(ctx, 403, '无法查看通报', [`通报 #${id} 不是发给您的。`, '通报的全部内容和确认情况对组织部（干部监督科）开放；其他人员可查看发给自己的通报。'])
    if (wantsXlsx(ctx)) return refuse(ctx, 403, '无法导出', ['通报的确认情况只对组织部（干部监督科）开放。'])
    html(ctx, ReceivedCircularPage({ viewer: who.viewer, received, today, from: await senderSignature(dataSource.manager, circular.sentById) }))
  })
}
