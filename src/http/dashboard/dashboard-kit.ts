import type { Context, Middleware } from 'koa'
import type { DataSource } from 'typeorm'
import type { Dispatcher } from '../../bot/dispatcher.js'
import { loadSender, type Sender } from '../../bot/load-sender.js'
import { currentOrLatestCampaign } from '../../domain/campaign/current-campaign.js'
import type { Campaign } from '../../db/entities/index.js'
import { rosterContact } from '../../domain/roster/org-admins.js'
import type { Logger } from '../../logger.js'
import { beijingDate, type CalendarDate } from '../../time/calendar-date.js'
import type { LoginIdentity } from '../../wecom/web-login.js'
import { readRawBody } from '../read-raw-body.js'
import { MessagePage, type Viewer } from './pages/layout.js'
import { checkCsrf, csrfToken, readSession, type Session } from './session.js'

/** What configuration decides (start-service); createApp adds the database, logger, clock and dispatcher. */
export interface DashboardSettings {
  /** Signs sessions; never logged. */
  secret: string
  /** The public base URL (https://…): the redirect WeCom sends people back to; https makes cookies Secure. */
  publicUrl: string
  /** The app, for the login links and the code exchange; null: console mode (development login). */
  wecom: { corpId: string; agentId: number; identify: (code: string) => Promise<LoginIdentity> } | null
}

export interface DashboardOptions extends DashboardSettings {
  dataSource: DataSource
  logger: Logger
  now: () => Date
  /** Runs the dashboard's actions as the commands they stand for (docs/dashboard.md, Actions); absent: no actions. */
  dispatcher?: Dispatcher | undefined
}

/** Who is looking, when: what every signed-in page starts from. */
export interface SignedIn {
  sender: Sender
  session: Session
  /** For the page header: the name, and the token every form of the session carries. */
  viewer: Viewer
  now: Date
  today: CalendarDate
}

export const SESSION_COOKIE = 'dash_session'
/** The largest form the dashboard reads. */
const FORM_LIMIT = 4096

/** The pieces every dashboard route shares: who is signed in, and the ways a page answers. */
export interface DashboardKit {
  options: DashboardOptions
  cookie: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: string; overwrite: true }
  /** The signed-in viewer, or null after answering: a redirect to sign in, or whom to contact. */
  signedIn(ctx: Context): Promise<SignedIn | null>
  /** The campaign the pages show (the running one, else the latest), or null after saying there is none. */
  campaignOrSay(ctx: Context, today: CalendarDate): Promise<Campaign | null>
  /** Whether a form's CSRF token is the session's; false after answering 403. */
  checkForm(ctx: Context, who: SignedIn, form: URLSearchParams): boolean
  notInRoster(ctx: Context): Promise<void>
}

export function createKit(options: DashboardOptions): DashboardKit {
  const { dataSource, now, secret } = options
  const secure = options.publicUrl.startsWith('https://')
  const cookie = { httpOnly: true, sameSite: 'lax', secure, path: '/dash', overwrite: true } as const

  async function notInRoster(ctx: Context): Promise<void> {
    refuse(ctx, 403, '无法登录', ['您的企业微信账号尚未登记在专项治理花名册中。', `请联系${await rosterContact(dataSource)}登记。`])
  }

  return {
    options,
    cookie,
    notInRoster,
    async signedIn(ctx) {
      const at = now()
      const session = readSession(secret, ctx.cookies.get(SESSION_COOKIE), at)
      if (!session) {
        // A form posted after the session ended goes back to the page it came from.
        const back = ctx.method === 'GET' ? ctx.originalUrl : '/dash'
        ctx.redirect(`/dash/login?next=${encodeURIComponent(back)}`)
        return null
      }
      const sender = await loadSender(dataSource, session.userid)
      if (!sender) {
        ctx.cookies.set(SESSION_COOKIE, null, cookie)
        await notInRoster(ctx)
        return null
      }
      ctx.set('Cache-Control', 'no-store')
      return { sender, session, viewer: { name: sender.person.name, csrf: csrfToken(secret, session) }, now: at, today: beijingDate(at) }
    },
    async campaignOrSay(ctx, today) {
      const campaign = await currentOrLatestCampaign(dataSource, today)
      if (!campaign) html(ctx, MessagePage({ title: '暂无专项治理', lines: ['专项治理尚未开始（或还没有创建）。开始后这里显示它的情况。'] }))
      return campaign
    },
    checkForm(ctx, who, form) {
      if (checkCsrf(secret, who.session, form.get('csrf') ?? undefined)) return true
      refuse(ctx, 403, '操作未完成', ['页面已过期，请刷新后再试。'])
      return false
    },
  }
}

export async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams()
  return new URLSearchParams((await readRawBody(ctx.req, FORM_LIMIT)).toString('utf8'))
}

export function html(ctx: Context, page: string, status = 200): void {
  ctx.status = status
  ctx.type = 'text/html; charset=utf-8'
  ctx.body = page
}

export function refuse(ctx: Context, status: number, title: string, lines: string[]): void {
  html(ctx, MessagePage({ title, lines }), status)
}

export function notFound(ctx: Context): void {
  refuse(ctx, 404, '页面不存在', ['请从督办看板首页进入。'])
}

/** A query parameter as text ('' when absent or repeated). */
export function queryText(ctx: Context, name: string): string {
  const value = ctx.query[name]
  return typeof value === 'string' ? value : ''
}

/** A positive whole number from a route parameter; null otherwise. */
export function idParam(value: string | undefined): number | null {
  return value !== undefined && /^[1-9]\d{0,9}$/.test(value) && Number(value) <= 2_147_483_647 ? Number(value) : null
}

/**
 * Every answer under /dash is a Chinese page (docs/dashboard.md): an error thrown by a route (a
 * form over the limit, a failure) and a path or method no route has. Other paths are not touched.
 */
export function dashboardAnswers(logger: Logger): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/dash' && !ctx.path.startsWith('/dash/')) return next()
    try {
      await next()
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500
      if (status >= 500) logger.error({ err: error, method: ctx.method, path: ctx.path }, 'dashboard request failed')
      if (status === 413) return refuse(ctx, 413, '提交内容过长', [`表单内容不能超过 ${FORM_LIMIT} 字节，请删减后再提交。`])
      if (status < 500) return refuse(ctx, status, '请求有误', ['请从督办看板的页面上操作。'])
      return refuse(ctx, 500, '出错了', ['服务暂时出错，请稍后再试；已记录，管理员会处理。'])
    }
    if (ctx.body != null) return
    if (ctx.status === 404) notFound(ctx)
    else if (ctx.status === 405) refuse(ctx, 405, '请求有误', ['请从督办看板的页面上操作。'])
  }
}

/** Whether the request comes from this machine: console mode's development login is for it alone. */
export function fromThisMachine(ctx: Context): boolean {
  const address = ctx.socket.remoteAddress ?? ''
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.')
}

/** What a form's action came to, shown once on the page it returns to. */
export interface Flash {
  text: string
  ok: boolean
}

/** Keeps `notice` for the page of `id` for a minute, in the cookie `name` (cut to 500 characters). */
export function setFlash(ctx: Context, kit: DashboardKit, name: string, id: number, notice: Flash): void {
  const value = Buffer.from(JSON.stringify({ id, ...notice, text: [...notice.text].slice(0, 500).join('') })).toString('base64url')
  ctx.cookies.set(name, value, { ...kit.cookie, maxAge: 60_000 })
}

/** The notice kept for the page of `id`, once: the cookie is cleared as it is read. */
export function takeFlash(ctx: Context, kit: DashboardKit, name: string, id: number): Flash | null {
  const value = ctx.cookies.get(name)
  if (!value) return null
  ctx.cookies.set(name, null, kit.cookie)
  try {
    const flash = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { id?: unknown; text?: unknown; ok?: unknown }
    return flash.id === id && typeof flash.text === 'string' ? { text: flash.text.slice(0, 500), ok: flash.ok === true } : null
  } catch {
    return null
  }
}
