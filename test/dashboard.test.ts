import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { UnitSchema } from '../src/db/entities/index.js'
import { createApp } from '../src/http/create-app.js'
import type { DashboardSettings } from '../src/http/dashboard/register-dashboard.js'
import { createLogger } from '../src/logger.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { browser, DASHBOARD_SECRET as SECRET, listen } from './helpers/dashboard.js'
import { newSession } from '../src/http/dashboard/session.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')
const WXWORK = 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 wxwork/4.1.22 MicroMessenger/7.0.1'

/** The dashboard over HTTP (docs/dashboard.md): signing in through WeCom, who sees what, 总览. */
describe(`the dashboard on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let wecomApp: { server: Server; base: string }
  let consoleApp: { server: Server; base: string }
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  /** How far WeCom's clock is ahead of ours (ms): a code issued, then this much later exchanged. */
  let fakeLater = 0
  /** Everything the WeCom app logged. */
  const logged: string[] = []

  const app = (dashboard: DashboardSettings, logger = createLogger('silent')) => createApp({ dataSource: ds, logger, deliveryMode: 'wecom', now: () => NOW, dashboard })

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    fake = await startFakeWeCom({ now: () => NOW.getTime() + fakeLater })
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => NOW.getTime() })
    wecomApp = await listen(app({ secret: SECRET, publicUrl: 'https://dash.example.gov.cn', wecom: { corpId: 'wwfakecorp0000001', agentId: 1000002, identify: (code) => client.loginIdentity(code) } }, createLogger('info', { write: (line: string) => void logged.push(line) })))
    consoleApp = await listen(app({ secret: SECRET, publicUrl: 'http://localhost:3000', wecom: null }))
  })
  afterAll(async () => {
    for (const running of [wecomApp, consoleApp]) await new Promise((resolve) => running?.server.close(resolve))
    await fake?.close()
    await db?.close()
  })

  /** Signs in through WeCom as `userid`: the login link, WeCom's redirect back with a code and our state. */
  async function signInThroughWeCom(userid: string) {
    const b = browser(wecomApp.base)
    const login = await b.go('/dash/login?next=/dash', { agent: WXWORK })
    const state = new URL(login.location!).searchParams.get('state')!
    const back = await b.go(`/dash/login/wecom?next=%2Fdash&code=${fake.issueLoginCode({ userid })}&state=${state}`)
    return { b, back }
  }

  it('sends someone not signed in to sign in, and inside WeCom on to the OAuth link with a state tied to a cookie', async () => {
    const b = browser(wecomApp.base)
    const first = await b.go('/dash?sort=overdue')
    expect(first.status).toBe(302)
    expect(first.location).toBe('/dash/login?next=%2Fdash%3Fsort%3Doverdue')
    const inside = await b.go('/dash/login?next=%2Fdash', { agent: WXWORK })
    const url = new URL(inside.location!)
    expect(url.origin + url.pathname).toBe('https://open.weixin.qq.com/connect/oauth2/authorize')
    expect(url.searchParams.get('scope')).toBe('snsapi_base')
    expect(url.searchParams.get('agentid')).toBe('1000002')
    expect(url.searchParams.get('redirect_uri')).toBe('https://dash.example.gov.cn/dash/login/wecom?next=%2Fdash')
    expect(b.jar.get('dash_login')).toBe(url.searchParams.get('state'))
    // The state cookie is Secure because the configured address is https, though this request is plain HTTP (a TLS proxy).
    expect(inside.cookies.join('\n')).toMatch(/dash_login=[0-9a-f]+; path=\/dash; expires=[^;]+; samesite=lax; secure; httponly/)
    const desk = await b.go('/dash/login')
    expect(desk.location).toMatch(/^https:\/\/login\.work\.weixin\.qq\.com\/wwlogin\/sso\/login\?login_type=CorpApp&appid=wwfakecorp0000001&agentid=1000002&/)
  })

  it('signs a roster member in through the code, once: a session cookie for 8 hours, HttpOnly, SameSite=Lax, Secure', async () => {
    const { b, back } = await signInThroughWeCom('wangjian')
    expect(back.status).toBe(302)
    expect(back.location).toBe('/dash')
    expect(back.cookies.find((c) => c.startsWith('dash_session='))).toMatch(/; path=\/dash; expires=[^;]+; samesite=lax; secure; httponly$/)
    const page = await b.go('/dash')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<span class="who">王健</span>')
  })

  it('refuses a code used twice, a state from another browser, someone outside the organization, and a member not in the roster (naming whom to contact)', async () => {
    const b = browser(wecomApp.base)
    const login = await b.go('/dash/login', { agent: WXWORK })
    const state = new URL(login.location!).searchParams.get('state')!
    const code = fake.issueLoginCode({ userid: 'wangjian' })
    // Another browser (no state cookie) comes back with someone's code: refused, the code not spent.
    expect((await browser(wecomApp.base).go(`/dash/login/wecom?code=${code}&state=${state}`)).status).toBe(400)
    expect((await b.go(`/dash/login/wecom?code=${code}&state=${state}`)).status).toBe(302)
    const again = browser(wecomApp.base)
    const second = await again.go('/dash/login', { agent: WXWORK })
    const reused = await again.go(`/dash/login/wecom?code=${code}&state=${new URL(second.location!).searchParams.get('state')}`)
    expect(reused.status).toBe(400)
    expect(reused.body).toContain('企业微信的登录凭证已使用或过期')
    const outsider = browser(wecomApp.base)
    const third = await outsider.go('/dash/login', { agent: WXWORK })
    const refused = await outsider.go(`/dash/login/wecom?code=${fake.issueLoginCode({ openid: 'o123' })}&state=${new URL(third.location!).searchParams.get('state')}`)
    expect(refused.status).toBe(403)
    const { back } = await signInThroughWeCom('stranger')
    expect(back.status).toBe(403)
    expect(back.body).toContain('请联系县委组织部干部监督科（王健）登记。')
    expect(back.cookies.some((c) => c.startsWith('dash_session=e'))).toBe(false)
  })

  it('refuses a code WeCom issued more than 5 minutes before it came back', async () => {
    const b = browser(wecomApp.base)
    const login = await b.go('/dash/login', { agent: WXWORK })
    const code = fake.issueLoginCode({ userid: 'wangjian' })
    fakeLater = 5 * 60_000 + 1_000
    try {
      const stale = await b.go(`/dash/login/wecom?code=${code}&state=${new URL(login.location!).searchParams.get('state')}`)
      expect(stale.status).toBe(400)
      expect(stale.body).toContain('企业微信的登录凭证已使用或过期')
      expect(b.jar.has('dash_session')).toBe(false)
    } finally {
      fakeLater = 0
    }
  })

  it('sends a forged, altered or expired session cookie back to sign in', async () => {
    const { b } = await signInThroughWeCom('wangjian')
    const real = b.jar.get('dash_session')!
    const [body, signature] = real.split('.') as [string, string]
    const session = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { userid: string; sid: string; exp: number }
    const resign = (value: object) => `${Buffer.from(JSON.stringify(value)).toString('base64url')}.${signature}`
    const forged = newSession('another-secret-of-thirty-two-chars!!', 'wangjian', NOW).value
    const expired = newSession(SECRET, 'wangjian', new Date(NOW.getTime() - 8 * 3_600_000 - 1_000)).value
    for (const cookie of [forged, resign({ ...session, userid: 'zhangwei' }), resign({ ...session, exp: session.exp + 86_400_000 }), expired, 'garbage', `${real}x`]) {
      b.jar.set('dash_session', cookie)
      const page = await b.go('/dash')
      expect(page.status).toBe(302)
      expect(page.location).toBe('/dash/login?next=%2Fdash')
    }
    b.jar.set('dash_session', real)
    expect((await b.go('/dash')).status).toBe(200)
  })

  it('never writes the session secret, a login code or a session cookie to the log', async () => {
    const before = logged.length
    const { b } = await signInThroughWeCom('wangjian')
    const used = fake.issueLoginCode({ userid: 'wangjian' })
    const other = browser(wecomApp.base)
    const login = await other.go('/dash/login', { agent: WXWORK })
    const state = new URL(login.location!).searchParams.get('state')!
    await other.go(`/dash/login/wecom?code=${used}&state=${state}`)
    // The same code again: WeCom refuses it, and the refusal is logged.
    const third = browser(wecomApp.base)
    const again = await third.go('/dash/login', { agent: WXWORK })
    expect((await third.go(`/dash/login/wecom?code=${used}&state=${new URL(again.location!).searchParams.get('state')}`)).status).toBe(400)
    const lines = logged.slice(before).join('')
    expect(lines).toContain('dashboard sign-in')
    expect(lines).toContain('dashboard login: the code was refused')
    expect(lines).not.toContain(SECRET)
    expect(lines).not.toContain(used)
    expect(lines).not.toContain(b.jar.get('dash_session')!)
    expect(lines).not.toContain(state)
  })

  it('has no development login when WeCom is configured; console mode’s lists the roster and signs in as one of them', async () => {
    expect((await browser(wecomApp.base).go('/dash/login/dev', { form: { userid: 'wangjian', state: 'x' } })).status).toBe(404)
    const b = browser(consoleApp.base)
    const login = await b.go('/dash/login')
    expect(login.body).toContain('王健（县委组织部 · 组织部（干部监督科））')
    const state = /name="state" value="([0-9a-f]+)"/.exec(login.body)![1]!
    // Without the state cookie's value the form is refused (a login started elsewhere).
    expect((await b.go('/dash/login/dev', { form: { userid: 'wangjian', state: 'wrong', next: '/dash' } })).status).toBe(400)
    const again = await b.go('/dash/login')
    const fresh = /name="state" value="([0-9a-f]+)"/.exec(again.body)![1]!
    expect(fresh).not.toBe(state)
    // A next outside the dashboard is never followed.
    const signed = await b.go('/dash/login/dev', { form: { userid: 'zhangwei', state: fresh, next: 'https://evil.example/' } })
    expect(signed.location).toBe('/dash')
  })

  it('总览 for 组织部: the campaign, its phases, the totals of 统计, the charts and every unit', async () => {
    const { b } = await signInThroughWeCom('wangjian')
    const response = await b.go('/dash')
    const page = response.body
    expect(page).toMatch(/^<!doctype html><html lang="zh-CN">/)
    // Sent compressed (fetch asks for br and gzip, and unpacks it).
    expect(response.headers.get('content-encoding')).toMatch(/^(br|gzip)$/)
    expect(page).toContain('<h1>“为官不为”行为专项治理')
    // The same figures as 统计 (one read model): 3 items, 1 overdue.
    const stats = (await chatAs(ds, NOW)('wangjian', '统计')).text.split('\n')[1]!
    const said = /^台账 (\d+) 项：未开始 (\d+)，整改中 (\d+)，已整改待销号 (\d+)，已销号 (\d+)/.exec(stats)!
    const shown = (name: string) => new RegExp(`<dt>${name}</dt><dd>(\\d+)</dd>`).exec(page)![1]
    expect([shown('总数'), shown('未开始'), shown('整改中'), shown('待销号'), shown('已销号')]).toEqual(said.slice(1, 6))
    expect(said.slice(1, 6)).toEqual(['3', '1', '2', '0', '0'])
    expect(stats).toContain('逾期 1')
    expect(shown('逾期')).toBe('1')
    expect(page.match(/<svg /g)).toHaveLength(2)
    // The category chart writes each category and its count.
    expect(page).toMatch(/<text[^>]*>[^<]*1<\/text>/)
    expect(page).toMatch(/<td><a href="\/dash\/units\/\d+">城关镇<\/a><\/td>/)
    expect(page).toMatch(/<td><a href="\/dash\/units\/\d+">后港镇<\/a><\/td>/)
    expect(page).toContain('今天：')
  })

  it('a unit head sees their unit only; a leader starts from 我的, chat’s 我的 as a page', async () => {
    const head = (await (await signInThroughWeCom('zhangwei')).b.go('/dash')).body
    expect(head).toMatch(/<td><a href="\/dash\/units\/\d+">城关镇<\/a><\/td>/)
    expect(head).not.toContain('后港镇')
    expect(head).toContain('本单位')
    const { b: leader } = await signInThroughWeCom('lina')
    const start = await leader.go('/dash')
    expect(start.status).toBe(302)
    expect(start.location).toBe('/dash/mine')
    // 我的: chat's 我的 as a page — the same items in the same order.
    const mine = (await leader.go('/dash/mine')).body
    const said = (await chatAs(ds, NOW)('lina', '我的')).text
    const listed = [...said.matchAll(/#(\d+) /g)].map((m) => m[1])
    expect(listed.length).toBeGreaterThan(0)
    expect([...mine.matchAll(/<a href="\/dash\/items\/(\d+)">/g)].map((m) => m[1])).toEqual(listed)
    expect(mine).toContain(`共 ${listed.length} 项`)
  })

  it('escapes whatever a unit or campaign is called', async () => {
    const unit = await ds.getRepository(UnitSchema).save({ name: '<img src=x onerror=alert(1)>镇', kind: 'town', parentId: null })
    await seedRoster(ds, unit.name, [{ userid: 'evilhead', name: '<b>头</b>', roles: ['unit_head'] }])
    await addLedgerItem(ds, fixture.campaign.id, unit.id, { leader: 'evilhead', person: 'evilhead' })
    const { b } = await signInThroughWeCom('evilhead')
    const page = (await b.go('/dash')).body
    expect(page).toContain('&lt;img src=x onerror=alert(1)>镇')
    expect(page).not.toContain('<img src=x')
    expect(page).toContain('&lt;b>头&lt;/b>')
  })

  it('sorts, filters and searches the units table by query (it works without script)', async () => {
    const { b } = await signInThroughWeCom('wangjian')
    const rows = (body: string) => [...body.matchAll(/<tr><td><span class="light [a-z]+"[^>]*>●<\/span><\/td><td><a href="[^"]*">([^<]*)<\/a><\/td>/g)].map((m) => m[1])
    const byName = rows((await b.go('/dash?sort=name&dir=asc&kind=all&q=')).body)
    expect(byName).toEqual([...byName].sort((x, y) => x!.localeCompare(y!, 'zh-CN')))
    expect(rows((await b.go('/dash?q=城关')).body)).toEqual(['城关镇'])
    const towns = rows((await b.go('/dash?kind=town')).body)
    expect(towns.length).toBeGreaterThan(0)
    expect(towns).not.toContain('县委组织部')
    // A made-up sort or kind falls back to the defaults, never an error.
    expect((await b.go('/dash?sort=drop&kind=%3Cx%3E&q=' + 'x'.repeat(500))).status).toBe(200)
  })

  it('退出登录 needs the page’s token and ends the session', async () => {
    const { b } = await signInThroughWeCom('wangjian')
    const page = (await b.go('/dash')).body
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!
    expect((await b.go('/dash/logout', { form: { csrf: 'forged' } })).status).toBe(403)
    expect((await b.go('/dash')).status).toBe(200)
    const out = await b.go('/dash/logout', { form: { csrf } })
    expect(out.body).toContain('您已退出督办看板。')
    expect((await b.go('/dash')).status).toBe(302)
  })
})
