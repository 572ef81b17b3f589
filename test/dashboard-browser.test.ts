import { mkdirSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { commands } from '../commands/index.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { LedgerItemSchema, OutboxMessageSchema, ProgressUpdateSchema, UnitSchema } from '../src/db/entities/index.js'
import { createApp } from '../src/http/create-app.js'
import { createLogger } from '../src/logger.js'
import { overview } from '../src/read-model/dashboard-overview.js'
import { ledgerStatus } from '../src/read-model/ledger-status.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { launchChromium } from './helpers/dashboard.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')
const SECRET = 'browser-test-secret-of-32-characters'
/** Where the screenshots go (ignored by git): the closing note names them. */
const OUTPUT = new URL('../test-output/', import.meta.url)
const HOSTILE = '<img src=x onerror=alert(1)>镇'

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core; .ci/run installs
 * it): readable on a phone in WeCom's browser (390 px, no horizontal scrolling) and on a desk,
 * signing in through WeCom's OAuth against the fake WeCom server, every page for 组织部, a unit
 * head and a responsible person. Expressions are passed to the page as strings: the project
 * compiles without the DOM's types.
 */
describe(`the dashboard in chromium, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let servers: Server[] = []
  /** Console mode (development login) and WeCom mode (OAuth through the fake server). */
  let consoleBase: string
  let wecomBase: string
  let browser: Browser
  let hostileItem: number

  async function listen(app: ReturnType<typeof createApp>): Promise<string> {
    const server = app.listen(0, '127.0.0.1')
    servers.push(server)
    await new Promise((resolve) => server.once('listening', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    // A unit whose name is markup, with an item: it must show as text.
    const unit = await ds.getRepository(UnitSchema).save({ name: HOSTILE, kind: 'town', parentId: null })
    await seedRoster(ds, unit.name, [{ userid: 'evilhead', name: '<b>头</b>', roles: ['unit_head'] }])
    hostileItem = (await addLedgerItem(ds, fixture.campaign.id, unit.id, { leader: 'evilhead', person: 'evilhead' })).id
    const dispatcher = createDispatcher({ dataSource: ds, registry: createCommandRegistry(commands), now: () => NOW, senderCacheMs: 0 })
    consoleBase = await listen(createApp({ dataSource: ds, logger: createLogger('silent'), deliveryMode: 'console', now: () => NOW, dashboard: { secret: SECRET, publicUrl: 'http://localhost', wecom: null, dispatcher } }))
    fake = await startFakeWeCom({ now: () => NOW.getTime() })
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => NOW.getTime() })
    const wecom = { corpId: 'wwfakecorp0000001', agentId: 1000002, identify: (code: string) => client.loginIdentity(code) }
    wecomBase = await listen(createApp({ dataSource: ds, logger: createLogger('silent'), deliveryMode: 'wecom', now: () => NOW, dashboard: { secret: SECRET, publicUrl: 'http://127.0.0.1', wecom } }))
    browser = await launchChromium()
    mkdirSync(OUTPUT, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
    for (const server of servers) await new Promise((resolve) => server.close(resolve))
    servers = []
    await fake?.close()
    await db?.close()
  })

  /** A page at this width that fails the test on any console error or dialog (an alert would be script run from data). */
  async function newPage(width: number): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width, height: 844 } })
    const errors: string[] = []
    page.on('console', (message) => {
      // A refusal page (403) is asserted where it is expected; chromium reports its status as an error.
      if (message.type() === 'error' && !message.text().includes('status of 403')) errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('dialog', (dialog) => {
      errors.push(`dialog: ${dialog.message()}`)
      void dialog.dismiss()
    })
    return { page, errors }
  }

  /** Signed in through console mode's development login as the person whose button starts with `name`. */
  async function devSignedIn(name: string, width: number, next = '/dash') {
    const opened = await newPage(width)
    await opened.page.goto(`${consoleBase}${next}`)
    await opened.page.getByRole('button', { name: new RegExp(`^${name}（`) }).click()
    await opened.page.waitForURL(`${consoleBase}${next}`)
    return opened
  }

  const scrollWidth = (page: Page) => page.evaluate('document.documentElement.scrollWidth') as Promise<number>

  it('signs in through WeCom’s OAuth in the browser: the link, WeCom’s redirect with a code, the exchange with the fake server', async () => {
    const page = await browser.newPage({ userAgent: 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 wxwork/4.1.22 MicroMessenger/7.0.1', viewport: { width: 390, height: 844 } })
    // The browser is sent to WeCom's OAuth page (unreachable from this closed network): the test
    // plays WeCom, sending the person back to redirect_uri with a code for 张伟 and our state.
    const sentToWeCom = new Promise<URL>((resolve) => page.on('request', (request) => request.url().startsWith('https://open.weixin.qq.com/') && resolve(new URL(request.url()))))
    await page.goto(`${wecomBase}/dash/units/${fixture.chengguan}`).catch(() => undefined)
    const asked = await sentToWeCom
    // Chromium shows its error page for the unreachable host; WeCom's answer comes after it.
    await page.waitForURL((url) => url.protocol === 'chrome-error:').catch(() => undefined)
    expect(asked.searchParams.get('scope')).toBe('snsapi_base')
    expect(asked.searchParams.get('agentid')).toBe('1000002')
    const back = new URL(asked.searchParams.get('redirect_uri')!.replace('http://127.0.0.1', wecomBase))
    back.searchParams.set('code', fake.issueLoginCode({ userid: 'zhangwei' }))
    back.searchParams.set('state', asked.searchParams.get('state')!)
    await page.goto(back.toString())
    expect(page.url()).toBe(`${wecomBase}/dash/units/${fixture.chengguan}`)
    expect(await page.locator('h1').first().textContent()).toContain('城关镇')
    expect(await page.locator('.who').textContent()).toBe('张伟')
    await page.close()
  })

  it('every page for 组织部 at 390 px: no horizontal scrolling, no console errors, the figures of the read model; screenshots of 总览', async () => {
    const { page, errors } = await devSignedIn('王健', 390)
    const status = await ledgerStatus(ds, fixture.campaign.id, '2015-08-31')
    const shown = async (name: string) => page.locator(`.totals .total:has(dt:text-is("${name}")) dd`).textContent()
    expect(await shown('总数')).toBe(String(status.totals.total))
    expect(await shown('逾期')).toBe(String(status.totals.overdue))
    // The trend chart's last values are the read model's, as drawn in the SVG.
    const data = await overview(ds, fixture.campaign, '2015-08-31', null)
    const last = data.trend.at(-1)!
    const trendTexts = (await page.evaluate("[...document.querySelectorAll('#trend svg text')].map((t) => t.textContent)")) as string[]
    for (const value of [last.closed, last.open, last.overdue]) expect(trendTexts).toContain(String(value))
    await page.screenshot({ path: new URL('dashboard-overview-390.png', OUTPUT).pathname, fullPage: true })
    // The hostile unit's name is text in the table, not an image.
    await expect(page.getByRole('cell', { name: HOSTILE }).isVisible()).resolves.toBe(true)
    expect(await page.evaluate('document.querySelectorAll("img").length')).toBe(0)
    const sections = ['/dash', '/dash/overdue', '/dash/reports', '/dash/meetings', '/dash/circulars', `/dash/units/${fixture.chengguan}`, `/dash/items/${fixture.items.overdue}`, `/dash/items/${hostileItem}`]
    for (const path of sections) {
      const response = await page.goto(`${consoleBase}${path}`)
      expect(response?.status(), path).toBe(200)
      expect(await scrollWidth(page), path).toBeLessThanOrEqual(390)
    }
    expect(errors, errors.join("\n")).toEqual([])
    await page.close()
    const desk = await devSignedIn('王健', 1280)
    await desk.page.screenshot({ path: new URL('dashboard-overview-1280.png', OUTPUT).pathname, fullPage: true })
    await desk.page.close()
  })

  it('a unit head’s pages: their unit with its figures, another unit’s item refused', async () => {
    const { page, errors } = await devSignedIn('张伟', 390)
    const row = (await ledgerStatus(ds, fixture.campaign.id, '2015-08-31')).units.find((u) => u.unitId === fixture.chengguan)!
    await page.goto(`${consoleBase}/dash/units/${fixture.chengguan}`)
    expect(await scrollWidth(page)).toBeLessThanOrEqual(390)
    expect(await page.locator(`.totals .total:has(dt:text-is("事项")) dd, .totals .total:has(dt:text-is("总数")) dd`).first().textContent()).toBe(String(row.total))
    const refused = await page.goto(`${consoleBase}/dash/items/${fixture.items.other}`)
    expect(refused?.status()).toBe(403)
    expect(await page.locator('h1').textContent()).toBe('无权查看')
    for (const path of ['/dash', '/dash/overdue', '/dash/reports', '/dash/meetings', '/dash/circulars']) {
      await page.goto(`${consoleBase}${path}`)
      expect(await scrollWidth(page), path).toBeLessThanOrEqual(390)
    }
    expect(errors, errors.join("\n")).toEqual([])
    await page.close()
  })

  it('a responsible person’s pages: their item with its progress; every section readable or telling what is open to them', async () => {
    const { page, errors } = await devSignedIn('赵磊', 390, `/dash/items/${fixture.items.overdue}`)
    const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: fixture.items.overdue })
    expect(await page.locator('.fields dt:text-is("状态") + dd').textContent()).toBe(`整改中，进度 ${item.progress}%`)
    for (const path of ['/dash', '/dash/overdue', '/dash/reports', '/dash/meetings', '/dash/circulars']) {
      await page.goto(`${consoleBase}${path}`)
      expect(await scrollWidth(page), path).toBeLessThanOrEqual(390)
      expect(await page.locator('h1').first().textContent(), path).not.toBe('')
    }
    expect(errors, errors.join("\n")).toEqual([])
    await page.close()
  })

  it('销号 from the page: the same history row and notice as chat; a form without its token is refused', async () => {
    const item = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })
    await chatAs(ds, NOW)('zhaolei', `完成 ${item.id} 已整改到位`)
    const before = await ds.getRepository(OutboxMessageSchema).count()
    const { page, errors } = await devSignedIn('王健', 390, `/dash/items/${item.id}`)
    // The token removed from the form, as a forged page would post it: refused, nothing changed.
    await page.evaluate(`document.querySelector('#verify form input[name=csrf]').remove()`)
    await page.locator('#verify form').first().getByRole('button', { name: '销号' }).click()
    await page.waitForLoadState()
    expect(await page.locator('h1').textContent()).toBe('操作未完成')
    expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: item.id })).status).toBe('rectified')
    await page.goto(`${consoleBase}/dash/items/${item.id}`)
    await page.locator('#verify form').first().locator('textarea').fill('经核实整改到位')
    await page.locator('#verify form').first().getByRole('button', { name: '销号' }).click()
    await page.waitForURL(`${consoleBase}/dash/items/${item.id}`)
    expect(await page.locator('.notice').textContent()).toBe(`已销号 #${item.id}。已通知责任人。`)
    const closed = await ds.getRepository(ProgressUpdateSchema).findOneByOrFail({ ledgerItemId: item.id, kind: 'closed' })
    expect(closed.note).toBe('经核实整改到位')
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBeGreaterThan(before)
    expect(await page.locator('#history li').first().textContent()).toContain('销号 · 100% · 经核实整改到位')
    expect(errors, errors.join("\n")).toEqual([])
    await page.close()
  })

  it('on a desk (1280 px): sorting by a column header and the filter form work without script', async () => {
    const { page } = await devSignedIn('王健', 1280)
    await page.getByRole('link', { name: /^单位/ }).click()
    expect(new URL(page.url()).searchParams.get('sort')).toBe('name')
    await page.getByPlaceholder('搜索单位').fill('后港')
    await page.getByRole('button', { name: '筛选' }).click()
    const names = (await page.evaluate("[...document.querySelectorAll('table.units tbody tr td:nth-child(2)')].map((td) => td.textContent)")) as string[]
    expect(names).toEqual(['后港镇'])
    await page.close()
  })
})
