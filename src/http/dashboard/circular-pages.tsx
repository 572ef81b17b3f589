import type Router from '@koa/router'
import type { Context } from 'koa'
import { circular as circularCommand } from '../../../commands/circular.js'
import { ROLE_NAMES } from '../../bot/command-registry.js'
import type { Sender } from '../../bot/load-sender.js'
import { circularStatus } from '../../domain/circulars/circular-status.js'
import { editDraft } from '../../domain/circulars/edit-draft.js'
import { senderSignature } from '../../domain/circulars/publish-circular.js'
import { CircularSchema } from '../../db/entities/index.js'
import { UserFacingError } from '../../errors.js'
import { linkedCases } from '../../read-model/circulars.js'
import { circularsReceivedBy, circularsWithStatus, receivedCircular } from '../../read-model/dashboard-circulars.js'
import { readRawBody } from '../read-raw-body.js'
import { html, idParam, notFound, queryText, refuse, setFlash, takeFlash, type DashboardKit } from './dashboard-kit.js'
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

/** The result of editing a draft, shown once on its page after the redirect. */
const FLASH_COOKIE = 'dash_circular_flash'

/**
 * The largest edit form: a title and a body at their limits (100 and 5,000 characters), each
 * character percent-encoded in up to 12 bytes, and the token. Other forms keep the kit's 4 KB.
 */
const EDIT_FORM_LIMIT = 64 * 1024

/**
 * 通报 (docs/dashboard.md, 通报): chat's 通报 列表 and 通报 状态 (commands/circular.ts) for 组织部 —
 * the same list (latestCirculars) with each circular's figures from circularStatus, never counted
 * again — and for everyone else the circulars sent to them, as 收到 (commands/ack.ts) knows them.
 */
export function registerCircularPages(router: Router, kit: DashboardKit): void {
  const { dataSource, logger } = kit.options

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
      const notice = takeFlash(ctx, kit, FLASH_COOKIE, id)
      return html(ctx, CircularStatusPage({ viewer: who.viewer, status, from, cases, today, notice, unitLink: (unitId) => (seesUnitLedger(sender, unitId) ? `/dash/units/${unitId}` : null) }))
    }
    // As 收到 answers: a circular that does not exist or is a draft is not found; one sent to others is not theirs.
    const circular = await dataSource.getRepository(CircularSchema).findOneBy({ id })
    if (!circular || circular.status === 'draft') return notFound(ctx)
    const received = await receivedCircular(dataSource, id, sender.person.id)
    if (!received) return refuse(ctx, 403, '无法查看通报', [`通报 #${id} 不是发给您的。`, '通报的全部内容和确认情况对组织部（干部监督科）开放；其他人员可查看发给自己的通报。'])
    if (wantsXlsx(ctx)) return refuse(ctx, 403, '无法导出', ['通报的确认情况只对组织部（干部监督科）开放。'])
    html(ctx, ReceivedCircularPage({ viewer: who.viewer, received, today, from: await senderSignature(dataSource.manager, circular.sentById) }))
  })

  // A draft's title and text saved from its page (docs/dashboard.md, Actions): chat's 通报 修改 —
  // its roles and the same domain function (editDraft: the row locked, drafts only, the limits).
  router.post('/dash/circulars/:id', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const form = await readEditForm(ctx)
    if (!form || !kit.checkForm(ctx, who, form)) return
    const id = idParam(ctx.params.id)
    if (id === null) return notFound(ctx)
    if (!seesEveryCircular(who.sender)) return refuse(ctx, 403, '操作未完成', [`「通报 修改」只有${ROLE_NAMES.org_admin}可以使用。`])
    if (form.get('action') !== 'edit') return refuse(ctx, 400, '操作未完成', ['页面上没有这个操作，请刷新后再试。'])
    if (!(await dataSource.getRepository(CircularSchema).existsBy({ id }))) return notFound(ctx)
    let notice: { text: string; ok: boolean }
    try {
      await editDraft(dataSource, { circularId: id, edit: { title: form.get('title') ?? '', body: form.get('body') ?? '' }, editorId: who.sender.person.id, now: who.now })
      notice = { text: `已保存通报 #${id} 的修改。`, ok: true }
    } catch (error) {
      if (!(error instanceof UserFacingError)) throw error
      notice = { text: error.message, ok: false }
    }
    logger.info({ userid: who.sender.person.userid, circular: id, outcome: notice.ok ? 'edited' : 'refused' }, 'dashboard action')
    setFlash(ctx, kit, FLASH_COOKIE, id, notice)
    ctx.status = 303
    ctx.redirect(`/dash/circulars/${id}`)
  })
}

/** The edit form's fields (EDIT_FORM_LIMIT); null after answering 413 when it is larger. */
async function readEditForm(ctx: Context): Promise<URLSearchParams | null> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams()
  try {
    return new URLSearchParams((await readRawBody(ctx.req, EDIT_FORM_LIMIT)).toString('utf8'))
  } catch (error) {
    if ((error as { status?: number }).status !== 413) throw error
    refuse(ctx, 413, '提交内容过长', ['通报标题不超过 100 字，正文不超过 5,000 字，请删减后再提交。'])
    return null
  }
}

