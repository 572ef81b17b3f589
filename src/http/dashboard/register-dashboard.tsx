import type Router from '@koa/router'
import type { Context } from 'koa'
import { readFileSync } from 'node:fs'
import type { DataSource } from 'typeorm'
import { loadSender, type Sender } from '../../bot/load-sender.js'
import { currentOrLatestCampaign } from '../../domain/campaign/current-campaign.js'
import { unitsActedFor } from '../../domain/ledger/ledger-access.js'
import { rosterContact } from '../../domain/roster/org-admins.js'
import type { Logger } from '../../logger.js'
import { overview } from '../../read-model/dashboard-overview.js'
import { rosterPeople } from '../../read-model/roster.js'
import { ROLE_NAMES } from '../../bot/command-registry.js'
import { beijingDate } from '../../time/calendar-date.js'
import { oauthUrl, qrLoginUrl, type LoginIdentity } from '../../wecom/web-login.js'
import { readRawBody } from '../read-raw-body.js'
import { categoryChart, trendChart } from './charts.js'
import { MessagePage, Page, sync } from './pages/layout.js'
import { OverviewPage, SORTS, type UnitTableQuery } from './pages/overview.js'
import { checkCsrf, csrfToken, newLoginState, newSession, readSession, SESSION_HOURS, type Session } from './session.js'

/**
 * The dashboard under /dash on the public listener (docs/dashboard.md). Signing in is through
 * WeCom; in console mode (no WeCom credentials) a development login as any roster member takes
 * its place, and never exists otherwise.
 */
export interface DashboardOptions extends DashboardSettings {
  dataSource: DataSource
  logger: Logger
  now: () => Date
}

/** What configuration decides (start-service); createApp adds the database, logger and clock. */
export interface DashboardSettings {
  /** Signs sessions; never logged. */
  secret: string
  /** The public base URL (https://…): the redirect WeCom sends people back to; https makes cookies Secure. */
  publicUrl: string
  /** The app, for the login links and the code exchange; null: console mode (development login). */
  wecom: { corpId: string; agentId: number; identify: (code: string) => Promise<LoginIdentity> } | null
}

const SESSION_COOKIE = 'dash_session'
const STATE_COOKIE = 'dash_login'
/** The largest form the dashboard reads. */
const FORM_LIMIT = 4096

const STATIC: Record<string, { type: string; body: Buffer }> = {
  'dash.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./static/dash.css', import.meta.url)) },
}

export function registerDashboard(router: Router, options: DashboardOptions): void {
  const { dataSource, now, secret } = options
  const secure = options.publicUrl.startsWith('https://')
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/dash', overwrite: true }

  // Behind a TLS proxy the request reaching us is plain HTTP: the configured https address, not
  // the connection, says the cookies are Secure (koa would otherwise refuse to set them).
  router.use('/dash', async (ctx, next) => {
    if (secure) (ctx.cookies as unknown as { secure: boolean }).secure = true
    await next()
  })

  router.get('/dash/static/:file', (ctx) => {
    const file = STATIC[ctx.params.file ?? '']
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
    if (!options.wecom) return html(ctx, await devLoginPage(dataSource, state, next))
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
    if (options.wecom) return notFound(ctx)
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
    const viewer = await signedIn(ctx)
    if (!viewer) return
    const { sender, session } = viewer
    const at = now()
    const today = beijingDate(at)
    const campaign = await currentOrLatestCampaign(dataSource, today)
    const csrf = csrfToken(secret, session)
    if (!campaign) return html(ctx, MessagePage({ title: '暂无专项治理', lines: ['还没有创建专项治理。'] }))
    // Who sees what is chat's rule (src/domain/ledger/ledger-access.ts): 组织部, 检查组 and the joint meeting the county; unit heads and liaisons their units.
    const county = sender.roles.some((role) => role === 'org_admin' || role === 'inspector' || role === 'meeting_member')
    const units = county ? null : unitsActedFor(sender)
    if (units !== null && units.length === 0) {
      return html(ctx, MessagePage({ title: '总览', lines: ['总览对组织部、检查组、联席会议成员和各单位第一责任人、联络员开放。', '您负责的事项请在企业微信中发送「我的」查看。'] }))
    }
    const data = await overview(dataSource, campaign, today, units)
    const query = tableQuery(ctx)
    html(
      ctx,
      OverviewPage({
        campaignName: campaign.name,
        overview: data,
        viewer: { name: sender.person.name, csrf },
        query,
        trendSvg: trendChart(data.trend.slice(-60)),
        categorySvg: categoryChart(data.categories),
        scope: units === null ? '全县' : '本单位',
      }),
    )
  })

  /** The signed-in viewer, or null after answering: a redirect to sign in, or who to contact. */
  async function signedIn(ctx: Context): Promise<{ sender: Sender; session: Session } | null> {
    const session = readSession(secret, ctx.cookies.get(SESSION_COOKIE), now())
    if (!session) {
      ctx.redirect(`/dash/login?next=${encodeURIComponent(ctx.originalUrl)}`)
      return null
    }
    const sender = await loadSender(dataSource, session.userid)
    if (!sender) {
      ctx.cookies.set(SESSION_COOKIE, null, cookie)
      await notInRoster(ctx)
      return null
    }
    ctx.set('Cache-Control', 'no-store')
    return { sender, session }
  }

  async function signIn(ctx: Context, userid: string, next: string): Promise<void> {
    const sender = userid ? await loadSender(dataSource, userid) : null
    if (!sender) return notInRoster(ctx)
    const { value } = newSession(secret, sender.person.userid, now())
    ctx.cookies.set(SESSION_COOKIE, value, { ...cookie, maxAge: SESSION_HOURS * 3_600_000 })
    options.logger.info({ userid: sender.person.userid }, 'dashboard sign-in')
    ctx.redirect(next)
  }

  async function notInRoster(ctx: Context): Promise<void> {
    refuse(ctx, 403, '无法登录', ['您的企业微信账号尚未登记在专项治理花名册中。', `请联系${await rosterContact(dataSource)}登记。`])
  }
}

/** Where to go after signing in: a dashboard path only, never another site. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/dash(?:[/?]|$)/.test(value) && !value.startsWith('//') && value.length <= 500 ? value : '/dash'
}

function tableQuery(ctx: Context): UnitTableQuery {
  const text = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : '')
  const sort = SORTS.find((s) => s === text('sort')) ?? 'light'
  const kind = (['all', 'town', 'county_department'] as const).find((k) => k === text('kind')) ?? 'all'
  return { sort, dir: text('dir') === 'asc' ? 'asc' : 'desc', kind, q: [...text('q')].slice(0, 20).join('') }
}

async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams()
  return new URLSearchParams((await readRawBody(ctx.req, FORM_LIMIT)).toString('utf8'))
}

function html(ctx: Context, page: string, status = 200): void {
  ctx.status = status
  ctx.type = 'text/html; charset=utf-8'
  ctx.body = page
}

function refuse(ctx: Context, status: number, title: string, lines: string[]): void {
  html(ctx, MessagePage({ title, lines }), status)
}

function notFound(ctx: Context): void {
  refuse(ctx, 404, '页面不存在', ['请从督办看板首页进入。'])
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
