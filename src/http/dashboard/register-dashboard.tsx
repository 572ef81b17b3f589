import type Router from '@koa/router'
import type { Context } from 'koa'
import { readFileSync } from 'node:fs'
import type { DataSource } from 'typeorm'
import { loadSender } from '../../bot/load-sender.js'
import { unitsActedFor } from '../../domain/ledger/ledger-access.js'
import { overviewCache, responsivenessCache } from '../../read-model/overview-cache.js'
import { rosterPeople } from '../../read-model/roster.js'
import { ROLE_NAMES } from '../../bot/command-registry.js'
import type { LoginIdentity } from '../../wecom/web-login.js'
import { oauthUrl, qrLoginUrl } from '../../wecom/web-login.js'
import { categoryChart, trendChart } from './charts.js'
import { registerCircularPages } from './circular-pages.js'
import { registerMeetingPages } from './meeting-pages.js'
import { createKit, fromThisMachine, html, notFound, queryText, readForm, refuse, SESSION_COOKIE, type DashboardOptions } from './dashboard-kit.js'
import { registerItemPages } from './item-pages.js'
import { registerMinePages } from './mine-pages.js'
import { registerOverduePages } from './overdue-pages.js'
import { registerReportPages } from './report-pages.js'
import { MessagePage, Page, sync } from './pages/layout.js'
import { OverviewPage, SORTS, unitTableExport, type UnitTableQuery } from './pages/overview.js'
import { checkCsrf, newLoginState, newSession, readSession, SESSION_HOURS } from './session.js'
import { registerUnitPages } from './unit-pages.js'
import { seesCounty, seesUnitLedger } from './who-sees.js'
import { sendTable, wantsXlsx } from './xlsx-export.js'

export type { DashboardOptions, DashboardSettings } from './dashboard-kit.js'

const STATE_COOKIE = 'dash_login'

const STATIC: Record<string, { type: string; body: Buffer }> = {
  'dash.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./static/dash.css', import.meta.url)) },
}

/**
 * The dashboard under /dash on the public listener (docs/dashboard.md). Signing in is through
 * WeCom; in console mode (no WeCom credentials) a development login as any roster member takes
 * its place, and never exists otherwise. Each section's pages register themselves below.
 */
export function registerDashboard(router: Router, options: DashboardOptions): void {
  const { dataSource, now, secret } = options
  const kit = createKit(options)
  const cachedOverview = overviewCache()
  const cachedResponsiveness = responsivenessCache()
  // A kept 总览's charts are drawn once (keyed by its trend, which a recount replaces).
  const drawn = new WeakMap<object, { trend: string; categories: string }>()
  const { cookie } = kit
  const secure = cookie.secure

  // Behind a TLS proxy the request reaching us is plain HTTP: the configured https address, not
  // the connection, says the cookies are Secure (koa would otherwise refuse to set them).
  router.use('/dash', async (ctx, next) => {
    if (secure) (ctx.cookies as unknown as { secure: boolean }).secure = true
    await next()
  })

  router.get('/dash/static/:file', (ctx) => {
    const name = ctx.params.file ?? ''
    const file = Object.hasOwn(STATIC, name) ? STATIC[name] : undefined
    if (!file) return notFound(ctx)
    ctx.type = file.type
    // Our own files, named by what they are: cached a day (a new version is a restart away).
    ctx.set('Cache-Control', 'public, max-age=86400')
    ctx.body = file.body
  })

  router.get('/dash/login', async (ctx) => {
    const state = newLoginState()
    ctx.cookies.set(STATE_COOKIE, state, { ...cookie, maxAge: 10 * 60_000 })
    const next = safeNext(ctx.query.next)
    if (!options.wecom) {
      // Console mode signs in as anyone: only from this machine, never from the network.
      if (!fromThisMachine(ctx)) return refuse(ctx, 403, '无法登录', ['控制台模式（未配置企业微信）的开发登录只能在本机使用。', '配置企业微信后，通过企业微信登录。'])
      return html(ctx, await devLoginPage(dataSource, state, next))
    }
    const back = `${options.publicUrl}/dash/login/wecom?next=${encodeURIComponent(next)}`
    // Inside the WeCom client (its browser says wxwork): OAuth; on a desk: the QR login.
    const inWeCom = /wxwork/i.test(ctx.get('user-agent'))
    ctx.redirect(inWeCom ? oauthUrl(options.wecom, back, state) : qrLoginUrl(options.wecom, back, state))
  })

  router.get('/dash/login/wecom', async (ctx) => {
    if (!options.wecom) return notFound(ctx)
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : ''
    const expected = ctx.cookies.get(STATE_COOKIE)
    ctx.cookies.set(STATE_COOKIE, null, cookie)
    if (!expected || state !== expected) return refuse(ctx, 400, '登录已失效', ['请重新打开督办看板登录。'])
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : ''
    let identity: LoginIdentity
    try {
      identity = await options.wecom.identify(code)
    } catch (error) {
      options.logger.warn({ err: error }, 'dashboard login: the code was refused')
      return refuse(ctx, 400, '登录已失效', ['企业微信的登录凭证已使用或过期，请重新打开督办看板登录。'])
    }
    if (identity.kind === 'outsider') return refuse(ctx, 403, '无法登录', ['督办看板只对本单位企业微信成员开放。'])
    await signIn(ctx, identity.userid, safeNext(ctx.query.next))
  })

  router.post('/dash/login/dev', async (ctx) => {
    if (options.wecom || !fromThisMachine(ctx)) return notFound(ctx)
    const form = await readForm(ctx)
    const expected = ctx.cookies.get(STATE_COOKIE)
    ctx.cookies.set(STATE_COOKIE, null, cookie)
    if (!expected || form.get('state') !== expected) return refuse(ctx, 400, '登录已失效', ['请重新打开登录页。'])
    await signIn(ctx, form.get('userid') ?? '', safeNext(form.get('next') ?? undefined))
  })

  router.post('/dash/logout', async (ctx) => {
    const session = readSession(secret, ctx.cookies.get(SESSION_COOKIE), now())
    const form = await readForm(ctx)
    if (session && !checkCsrf(secret, session, form.get('csrf') ?? undefined)) return refuse(ctx, 403, '无法退出', ['页面已过期，请刷新后再试。'])
    ctx.cookies.set(SESSION_COOKIE, null, cookie)
    html(ctx, MessagePage({ title: '已退出登录', lines: ['您已退出督办看板。'], link: { href: '/dash/login', text: '重新登录' } }))
  })

  router.get('/dash', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const { sender, today } = who
    const campaign = await kit.campaignOrSay(ctx, today)
    if (!campaign) return
    // Who sees what is chat's rule (src/domain/ledger/ledger-access.ts): 组织部, 检查组 and the joint meeting the county; unit heads and liaisons their units.
    const units = seesCounty(sender) ? null : unitsActedFor(sender)
    // Anyone else starts from the items they answer for.
    if (units !== null && units.length === 0) return ctx.redirect('/dash/mine')
    const data = await cachedOverview(dataSource, campaign, today, units)
    const query = tableQuery(ctx)
    let charts = drawn.get(data.trend)
    if (!charts) drawn.set(data.trend, (charts = { trend: trendChart(data.trend.slice(-60)), categories: categoryChart(data.categories) }))
    if (wantsXlsx(ctx)) return sendTable(ctx, unitTableExport(data, query, units === null ? '全县' : '本单位'))
    const responsiveness = await cachedResponsiveness(dataSource, campaign, who.now, units)
    html(
      ctx,
      OverviewPage({
        campaignName: campaign.name,
        overview: data,
        viewer: who.viewer,
        query,
        trendSvg: charts.trend,
        categorySvg: charts.categories,
        scope: units === null ? '全县' : '本单位',
        responsiveness,
        unitLink: (unitId) => (seesUnitLedger(sender, unitId) ? `/dash/units/${unitId}` : null),
      }),
    )
  })

  // Each section's pages (docs/dashboard.md, Pages).
  // (section registrations)
  registerMeetingPages(router, kit)
  registerCircularPages(router, kit)
  registerOverduePages(router, kit)
  registerReportPages(router, kit)
  registerUnitPages(router, kit)
  registerItemPages(router, kit)
  registerMinePages(router, kit)

  async function signIn(ctx: Context, userid: string, next: string): Promise<void> {
    const sender = userid ? await loadSender(dataSource, userid) : null
    if (!sender) return kit.notInRoster(ctx)
    const { value } = newSession(secret, sender.person.userid, now())
    ctx.cookies.set(SESSION_COOKIE, value, { ...cookie, maxAge: SESSION_HOURS * 3_600_000 })
    options.logger.info({ userid: sender.person.userid }, 'dashboard sign-in')
    ctx.redirect(next)
  }

}

/** Where to go after signing in: a dashboard path only (as the browser will resolve it), never another site or page. */
function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 500 || !/^\/dash(?:[/?]|$)/.test(value) || /[\\\s]/.test(value)) return '/dash'
  const resolved = new URL(value, 'http://dashboard.invalid')
  return resolved.origin === 'http://dashboard.invalid' && /^\/dash(?:\/|$)/.test(resolved.pathname) && !resolved.pathname.startsWith('//') ? `${resolved.pathname}${resolved.search}` : '/dash'
}

function tableQuery(ctx: Context): UnitTableQuery {
  const text = (name: string) => queryText(ctx, name)
  const sort = SORTS.find((s) => s === text('sort')) ?? 'light'
  const kind = (['all', 'town', 'county_department'] as const).find((k) => k === text('kind')) ?? 'all'
  return { sort, dir: text('dir') === 'asc' ? 'asc' : 'desc', kind, q: [...text('q')].slice(0, 20).join('') }
}

/** Console mode's development login: any roster member, one button each. */
async function devLoginPage(dataSource: DataSource, state: string, next: string): Promise<string> {
  const people = (await rosterPeople(dataSource)).slice(0, 300)
  return Page({
    title: '开发登录 · 专项治理督办',
    children: sync(
      <>
        <h1>开发登录</h1>
        <p class="scope">控制台模式（未配置企业微信）：以花名册中任一人员的身份登录。配置企业微信后，此页不存在，只能通过企业微信登录。</p>
        <section class="card">
          <ul class="people">
            {people.map((p) => (
              <li>
                <form method="post" action="/dash/login/dev">
                  <input type="hidden" name="state" value={state} />
                  <input type="hidden" name="next" value={next} />
                  <input type="hidden" name="userid" value={p.userid} />
                  <button type="submit" safe>
                    {`${p.name}（${[p.unitName, ...p.roles.map((role) => ROLE_NAMES[role])].filter(Boolean).join(' · ')}）`}
                  </button>
                </form>
              </li>
            ))}
          </ul>
        </section>
      </>,
    ),
  })
}
