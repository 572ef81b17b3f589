import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { commands } from '../commands/index.js'
import { In } from 'typeorm'
import { ExtensionRequestSchema, LedgerItemSchema, OutboxMessageSchema, PersonSchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { readerText } from './helpers/outbox-text.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { storedCards } from './helpers/cards.js'
import { browser, consoleDashboard, csrfOf, DASHBOARD_SECRET, devSignIn } from './helpers/dashboard.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')

/** 事项 on the dashboard (docs/dashboard.md, 事项 and Actions): the whole item, and 销号 / 退回 / 批准 / 驳回 run as chat runs them. */
describe(`the item page on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let dash: Awaited<ReturnType<typeof consoleDashboard>>
  let chat: ReturnType<typeof chatAs>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    chat = chatAs(ds, NOW)
    const dispatcher = createDispatcher({ dataSource: ds, registry: createCommandRegistry(commands), now: () => NOW, senderCacheMs: 0 })
    dash = await consoleDashboard(ds, () => NOW, dispatcher)
  })
  afterAll(async () => {
    await dash?.close()
    await db?.close()
  })

  let itemId: number
  beforeEach(async () => {
    itemId = (await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' }, { problem: '窗口服务<script>alert(1)</script>推诿扯皮' })).id
  })

  const status = async (id: number) => (await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id })).status
  const history = async (id: number) => (await ds.getRepository(ProgressUpdateSchema).find({ where: { ledgerItemId: id }, order: { id: 'ASC' } })).map((u) => u.kind)

  it('shows every field, the whole history newest first (more than 详情’s five), and escapes what people typed', async () => {
    for (const percent of [50, 60, 70, 80, 90]) expect((await chat('zhaolei', `进度 ${itemId} ${percent}% 第${percent}步`)).refused).toBeUndefined()
    const b = await devSignIn(dash.base, 'wangjian', `/dash/items/${itemId}`)
    const page = await b.go(`/dash/items/${itemId}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('窗口服务&lt;script>alert(1)&lt;/script>推诿扯皮')
    expect(page.body).not.toContain('<script>alert')
    expect(page.body).toContain(`<a href="/dash/units/${fixture.chengguan}">城关镇</a>`)
    expect(page.body).toMatch(/<dt>责任领导<\/dt><dd>李娜<\/dd><dt>责任人<\/dt><dd>赵磊<\/dd><dt>状态<\/dt><dd>整改中，进度 90%<\/dd>/)
    const steps = [...page.body.matchAll(/进度 · (\d+)% · 第\d+步/g)].map((m) => m[1])
    expect(steps).toEqual(['90', '80', '70', '60', '50'])
    // 详情 in chat shows the same item, its last five updates.
    expect((await chat('wangjian', `详情 ${itemId}`)).text).toContain('状态：整改中，进度 90%')
    // Nothing to verify yet: no 销号 form.
    expect(page.body).not.toContain('name="action" value="close"')
  })

  it('is shown to whom 详情 is shown, and refused to anyone else', async () => {
    expect((await (await devSignIn(dash.base, 'lina')).go(`/dash/items/${itemId}`)).status).toBe(200)
    expect((await (await devSignIn(dash.base, 'zhangwei')).go(`/dash/items/${itemId}`)).status).toBe(200)
    const other = await (await devSignIn(dash.base, 'sunli')).go(`/dash/items/${itemId}`)
    expect(other.status).toBe(403)
    expect(other.body).toContain(`#${itemId} 不属于您负责的范围。`)
    expect((await chat('sunli', `详情 ${itemId}`)).text).toContain(`#${itemId} 不属于您负责的范围。`)
    const admin = await devSignIn(dash.base, 'wangjian')
    expect((await admin.go('/dash/items/99999')).status).toBe(404)
    expect((await admin.go('/dash/items/abc')).status).toBe(404)
    expect((await admin.go('/dash/items/99999999999999')).status).toBe(404)
  })

  it('销号 from the page: the command’s change, history and notice; a second press is told it is done', async () => {
    await chat('zhaolei', `完成 ${itemId} 已建立首问负责制`)
    expect(await status(itemId)).toBe('rectified')
    const b = await devSignIn(dash.base, 'wangjian')
    const page = await b.go(`/dash/items/${itemId}`)
    expect(page.body).toContain('name="action" value="close"')
    const before = await ds.getRepository(OutboxMessageSchema).count()
    const done = await b.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'close', note: '经核实\n整改到位' } })
    expect(done.status).toBe(303)
    expect(done.location).toBe(`/dash/items/${itemId}`)
    expect(await status(itemId)).toBe('closed')
    expect((await history(itemId)).at(-1)).toBe('closed')
    const closed = await ds.getRepository(ProgressUpdateSchema).findOneByOrFail({ ledgerItemId: itemId, kind: 'closed' })
    expect(closed.note).toBe('经核实 整改到位')
    // The responsible people are told, as when 销号 is typed.
    const notices = (await ds.getRepository(OutboxMessageSchema).find({ order: { id: 'ASC' } })).slice(before)
    expect(notices.map((n) => readerText(n.payload)).join('\n')).toContain(`#${itemId}`)
    const after = await b.go(`/dash/items/${itemId}`)
    expect(after.body).toContain(`已销号 #${itemId}。已通知责任人。`)
    expect(after.body).toContain('<dd>已销号，进度 100%</dd>')
    expect(after.body).not.toContain('name="action" value="close"')
    // The notice is shown once.
    expect((await b.go(`/dash/items/${itemId}`)).body).not.toContain(`已销号 #${itemId}。`)
    // The same form again (a second tab): the command's refusal, nothing written.
    const again = await b.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'close', note: '' } })
    expect(again.status).toBe(303)
    const told = await b.go(`/dash/items/${itemId}`)
    expect(told.body).toContain(`<p class="notice bad" role="status">#${itemId} 已于 09:00 由王健销号。</p>`)
    expect((await history(itemId)).filter((k) => k === 'closed')).toHaveLength(1)
  })

  it('退回 needs a reason, as in chat; with one, the item goes back to 整改中', async () => {
    await chat('zhaolei', `完成 ${itemId} 已整改`)
    const b = await devSignIn(dash.base, 'liuyang')
    const page = await b.go(`/dash/items/${itemId}`)
    await b.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'reopen', note: '  ' } })
    const refused = await b.go(`/dash/items/${itemId}`)
    expect(refused.body).toContain('<p class="notice bad" role="status">请写明退回理由。</p>')
    expect(await status(itemId)).toBe('rectified')
    await b.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'reopen', note: '公示材料不全' } })
    expect(await status(itemId)).toBe('in_progress')
    expect((await b.go(`/dash/items/${itemId}`)).body).toContain(`已退回 #${itemId}，状态改为整改中`)
  })

  it('refuses a forged or missing token, and an action the person may not take, writing nothing', async () => {
    await chat('zhaolei', `完成 ${itemId} 已整改`)
    const admin = await devSignIn(dash.base, 'wangjian')
    expect((await admin.go(`/dash/items/${itemId}`, { form: { csrf: 'forged', action: 'close' } })).status).toBe(403)
    expect((await admin.go(`/dash/items/${itemId}`, { form: { action: 'close' } })).status).toBe(403)
    // A leader's page has no 销号; a hand-made post gets the command's refusal.
    const leader = await devSignIn(dash.base, 'lina')
    const page = await leader.go(`/dash/items/${itemId}`)
    expect(page.body).not.toContain('value="close"')
    await leader.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'close', note: '' } })
    expect((await leader.go(`/dash/items/${itemId}`)).body).toContain('「销号」只有组织部（干部监督科）、专项检查组可以使用。')
    expect((await admin.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'drop' } })).status).toBe(403)
    expect(await status(itemId)).toBe('rectified')
    // Signed out, a post goes to the login page and does nothing.
    const stranger = await browser(dash.base).go(`/dash/items/${itemId}`, { form: { action: 'close' } })
    expect(stranger.status).toBe(302)
    expect(stranger.location).toBe('/dash/login?next=%2Fdash')
    expect(await status(itemId)).toBe('rectified')
  })

  it('批准 and 驳回 of an extension request by 组织部; an inspector sees no buttons; a request of another item is refused', async () => {
    expect((await chat('zhaolei', `延期 ${itemId} 9月30日 需等待省厅批复`)).refused).toBeUndefined()
    const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: itemId })
    const inspector = await (await devSignIn(dash.base, 'liuyang')).go(`/dash/items/${itemId}`)
    expect(inspector.body).toContain('待审批')
    expect(inspector.body).not.toContain('value="approve"')
    const b = await devSignIn(dash.base, 'wangjian')
    const page = await b.go(`/dash/items/${itemId}`)
    expect(page.body).toContain(`<input type="hidden" name="request" value="${request.id}"/>`)
    const other = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })
    expect((await b.go(`/dash/items/${other.id}`, { form: { csrf: csrfOf(page.body), action: 'approve', request: String(request.id) } })).status).toBe(400)
    await b.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'approve', request: String(request.id), note: '同意' } })
    const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: itemId })
    expect(item.dueDate).toBe('2015-09-30')
    const shown = await b.go(`/dash/items/${itemId}`)
    expect(shown.body).toContain('已批准')
    expect(shown.body).toContain('（原定 9月10日）')
    // A second request, denied.
    await chat('zhaolei', `延期 ${itemId} 10月30日 仍需等待`)
    const second = await ds.getRepository(ExtensionRequestSchema).findOneOrFail({ where: { ledgerItemId: itemId, status: 'pending' } })
    await b.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'deny', request: String(second.id), note: '理由不充分' } })
    expect((await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ id: second.id })).status).toBe('denied')
    expect((await b.go(`/dash/items/${itemId}`)).body).toMatch(/已驳回<\/strong><span>（王健 8月31日：理由不充分）/)
  })

  it('the page’s 销号 and a tap on 组织部’s card through the real callback at the same moment: closed once, the other told', async () => {
    const rig = await startCallbackRig(ds, { now: NOW, dashboard: { secret: DASHBOARD_SECRET, publicUrl: 'http://localhost:3000', wecom: null } })
    try {
      await rig.say('zhaolei', `完成 ${itemId} 已整改`)
      const card = await storedCards(() => ds).cardTo('wangjian', (_, c) => c.main_title.title === `待核实销号 #${itemId}`)
      // 刘洋 (检查组) on the dashboard, 王健 (组织部) on his phone's card.
      const b = await devSignIn(rig.base, 'liuyang')
      const page = await b.go(`/dash/items/${itemId}`)
      const [, tapped] = await Promise.all([b.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(page.body), action: 'close' } }), rig.tap('wangjian', card.taskId, `close:${itemId}`)])
      expect(await status(itemId)).toBe('closed')
      expect((await history(itemId)).filter((k) => k === 'closed')).toHaveLength(1)
      const shown = /<p class="notice( bad)?" role="status">([^<]*)<\/p>/.exec((await b.go(`/dash/items/${itemId}`)).body)!
      // Exactly one of the two closed it; the other was told who did.
      const closer = await ds.getRepository(ProgressUpdateSchema).findOneByOrFail({ ledgerItemId: itemId, kind: 'closed' })
      const byPage = shown[1] === undefined
      const people = await ds.getRepository(PersonSchema).findBy({ userid: In(['liuyang', 'wangjian']) })
      expect(closer.personId).toBe(people.find((p) => p.userid === (byPage ? 'liuyang' : 'wangjian'))!.id)
      if (byPage) expect(shown[2]).toBe(`已销号 #${itemId}。已通知责任人。`)
      else expect(shown[2]).toBe(`#${itemId} 已于 09:00 由王健销号。`)
      expect(tapped.status).toBe(200)
    } finally {
      await rig.close()
    }
  })

  it('two verifiers pressing 销号 at once: one closes it, the other is told, one history row', async () => {
    await chat('zhaolei', `完成 ${itemId} 已整改`)
    const first = await devSignIn(dash.base, 'wangjian')
    const second = await devSignIn(dash.base, 'liuyang')
    const [a, b] = await Promise.all([first.go(`/dash/items/${itemId}`), second.go(`/dash/items/${itemId}`)])
    await Promise.all([
      first.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(a.body), action: 'close' } }),
      second.go(`/dash/items/${itemId}`, { form: { csrf: csrfOf(b.body), action: 'close' } }),
    ])
    expect(await status(itemId)).toBe('closed')
    expect((await history(itemId)).filter((k) => k === 'closed')).toHaveLength(1)
    const notices = [(await first.go(`/dash/items/${itemId}`)).body, (await second.go(`/dash/items/${itemId}`)).body].map((body) => /<p class="notice( bad)?" role="status">([^<]*)<\/p>/.exec(body))
    expect(notices.filter((n) => n && !n[1])).toHaveLength(1)
    expect(notices.filter((n) => n && n[1])).toHaveLength(1)
  })
})
