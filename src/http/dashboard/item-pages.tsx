import type Router from '@koa/router'
import type { Context } from 'koa'
import { EvidenceSchema, ExtensionRequestSchema, LedgerItemSchema } from '../../db/entities/index.js'
import { canSeeItem, isVerifier } from '../../domain/ledger/ledger-access.js'
import { readStoredFile } from '../../outbox/stored-files.js'
import { itemPageData } from '../../read-model/item-page.js'
import { markdownToText, type AppMessage } from '../../wecom/messages.js'
import { html, idParam, notFound, readForm, refuse, setFlash, takeFlash, type DashboardKit } from './dashboard-kit.js'
import { evidenceServing, ItemPage } from './pages/item.js'
import { seesUnitLedger } from './who-sees.js'

/** The result of an action, shown once on the page it returns to. */
const FLASH_COOKIE = 'dash_flash'

/** Each action and the command it stands for (docs/dashboard.md, Actions): what the page posts is typed as chat would type it. */
const ACTIONS: Record<string, { on: 'item' | 'extension'; command: (id: number, note: string) => string }> = {
  close: { on: 'item', command: (id, note) => `销号 ${id} ${note}` },
  reopen: { on: 'item', command: (id, note) => `退回 ${id} ${note}` },
  approve: { on: 'extension', command: (id, note) => `批准 ${id} ${note}` },
  deny: { on: 'extension', command: (id, note) => `驳回 ${id} ${note}` },
}

/** 事项 (docs/dashboard.md, 事项): one item's page, and its actions for those allowed. */
export function registerItemPages(router: Router, kit: DashboardKit): void {
  const { dataSource, dispatcher, logger } = kit.options

  router.get('/dash/items/:id', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const item = await findItem(ctx)
    if (!item) return
    // As 详情: whoever may update the item, and the verifiers (ledger-access.ts).
    if (!canSeeItem(who.sender, item)) return refuse(ctx, 403, '无权查看', [`#${item.id} 不属于您负责的范围。`, '事项详情对该事项的责任人、责任领导、本单位第一责任人和联络员，以及组织部、检查组开放。'])
    const data = await itemPageData(dataSource, item)
    html(
      ctx,
      ItemPage({
        data,
        today: who.today,
        viewer: who.viewer,
        actions: { verify: dispatcher !== undefined && isVerifier(who.sender), decideExtensions: dispatcher !== undefined && who.sender.roles.includes('org_admin') },
        unitHref: seesUnitLedger(who.sender, item.unitId) ? `/dash/units/${item.unitId}` : null,
        notice: takeFlash(ctx, kit, FLASH_COOKIE, item.id),
      }),
    )
  })

  // An evidence file of the item (docs/dashboard.md, 事项): to whom the item's page is shown, a
  // stored file of this item only; anything else is not found (nothing says the file exists).
  router.get('/dash/items/:id/evidence/:eid', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const itemId = idParam(ctx.params.id)
    const evidenceId = idParam(ctx.params.eid)
    if (itemId === null || evidenceId === null) return notFound(ctx)
    const item = await dataSource.getRepository(LedgerItemSchema).findOneBy({ id: itemId })
    if (!item || !canSeeItem(who.sender, item)) return notFound(ctx)
    const evidence = await dataSource.getRepository(EvidenceSchema).findOneBy({ id: evidenceId })
    if (!evidence || evidence.ledgerItemId !== item.id || evidence.status !== 'stored' || evidence.storedFileId === null) return notFound(ctx)
    // At most EVIDENCE_MAX_MB (20 MB): read whole, checked against its length and digest.
    const file = await readStoredFile(dataSource, evidence.storedFileId)
    const serving = evidenceServing(evidence)
    ctx.status = 200
    // Only a whitelisted image is shown in the browser; anything else is a download, never sniffed or run.
    ctx.set('Content-Type', serving.contentType)
    ctx.set('Content-Disposition', `${serving.inline ? 'inline' : 'attachment'}; filename="${serving.asciiFilename}"; filename*=UTF-8''${rfc5987(serving.filename)}`)
    ctx.set('X-Content-Type-Options', 'nosniff')
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox")
    // A file never changes under its id: kept by this browser for an hour (signedIn said no-store).
    ctx.set('Cache-Control', 'private, max-age=3600')
    ctx.body = file.content
    logger.debug({ userid: who.sender.person.userid, item: item.id, evidence: evidence.id, bytes: file.byteSize }, 'dashboard evidence file')
  })

  router.post('/dash/items/:id', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const form = await readForm(ctx)
    if (!kit.checkForm(ctx, who, form)) return
    const item = await findItem(ctx)
    if (!item) return
    const key = form.get('action') ?? ''
    const action = Object.hasOwn(ACTIONS, key) ? ACTIONS[key] : undefined
    if (!action || !dispatcher) return refuse(ctx, 400, '操作未完成', ['页面上没有这个操作，请刷新后再试。'])
    let target = item.id
    if (action.on === 'extension') {
      const requestId = idParam(form.get('request') ?? undefined)
      const request = requestId === null ? null : await dataSource.getRepository(ExtensionRequestSchema).findOneBy({ id: requestId })
      if (!request || request.ledgerItemId !== item.id) return refuse(ctx, 400, '操作未完成', ['这条延期申请不属于该事项，请刷新后再试。'])
      target = request.id
    }
    // A textarea may hold line breaks; a command is one line of words.
    const note = (form.get('note') ?? '').replace(/\s+/g, ' ').trim()
    const typed = action.command(target, note).trim()
    const result = await dispatcher.runAs(who.sender, typed, logger)
    logger.info({ userid: who.sender.person.userid, item: item.id, command: typed.split(' ')[0], outcome: result.outcome }, 'dashboard action')
    const said = result.reply ? answerText(result.reply) : ''
    // A refusal's 用法 and 示例 are for typing in chat; the page only needs what was wrong.
    const text = result.refused ? said.split('\n用法：')[0]! : said
    setFlash(ctx, kit, FLASH_COOKIE, item.id, { text: text || '已完成。', ok: !result.refused })
    ctx.status = 303
    ctx.redirect(`/dash/items/${item.id}`)
  })

  async function findItem(ctx: Context) {
    const id = idParam(ctx.params.id)
    const item = id === null ? null : await dataSource.getRepository(LedgerItemSchema).findOneBy({ id })
    if (!item) notFound(ctx)
    return item
  }
}

/** RFC 5987's percent-encoding of a UTF-8 file name (encodeURIComponent leaves ' ( ) * ! as they are). */
function rfc5987(name: string): string {
  return encodeURIComponent(name).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function answerText(message: AppMessage): string {
  if (message.msgtype === 'text') return message.text.content
  if (message.msgtype === 'markdown') return markdownToText(message.markdown.content)
  return ''
}

