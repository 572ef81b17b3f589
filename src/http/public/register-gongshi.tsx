import type Router from '@koa/router'
import type { Context } from 'koa'
import { readFileSync } from 'node:fs'
import type { DataSource } from 'typeorm'
import { currentOrLatestCampaign } from '../../domain/campaign/current-campaign.js'
import type { Logger } from '../../logger.js'
import { publicDisclosure } from '../../read-model/public-disclosure.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate } from '../../time/calendar-date.js'
import { gongshiCsv } from './gongshi-csv.js'
import { GongshiPage, NothingToDisclosePage, TooManyRequestsPage } from './gongshi-page.js'
import { fixedWindowLimiter, type RateLimiter } from './rate-limit.js'

export interface GongshiOptions {
  dataSource: DataSource
  now: () => Date
  logger: Logger
  /** Replaces the per-address limit (tests); by default PUBLIC_RATE_LIMIT. */
  limiter?: RateLimiter
}

/** How long a rendering is served before the rows are read again: "current to the minute". */
export const GONGSHI_CACHE_MS = 60_000
/** Requests one address may make per minute to the page and the CSV together (docs/disclosure.md). */
export const PUBLIC_RATE_LIMIT = { limit: 60, windowMs: 60_000, maxAddresses: 10_000 } as const

const CSS = readFileSync(new URL('./gongshi.css', import.meta.url))
/** No script, no frames, no forms: the page is text and our stylesheet (defence in depth; its text is escaped anyway). */
const PAGE_POLICY = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"

interface Rendering {
  at: number
  page: string
  csv: string
}

/**
 * 整改公示 (docs/disclosure.md), without login: GET /gongshi (the page), /gongshi.csv (its
 * rows, for a government portal to embed) and /gongshi/gongshi.css. The running campaign's
 * items marked 是否公开, read at most once a minute per instance; each address may ask 60 times
 * a minute. The address is koa's ctx.ip: the connection's, unless app.proxy trusts X-Forwarded-For.
 */
export function registerGongshi(router: Router, { dataSource, now, logger, limiter = fixedWindowLimiter(PUBLIC_RATE_LIMIT) }: GongshiOptions): void {
  let cached: Rendering | null = null
  let reading: Promise<Rendering> | null = null

  /** The rendering of this minute: read once, however many ask at the same moment. */
  async function rendering(): Promise<Rendering> {
    const at = now().getTime()
    if (cached && at >= cached.at && at - cached.at < GONGSHI_CACHE_MS) return cached
    reading ??= render(at).finally(() => {
      reading = null
    })
    return reading
  }

  async function render(at: number): Promise<Rendering> {
    const instant = new Date(at)
    const campaign = await currentOrLatestCampaign(dataSource, beijingDate(instant))
    const units = campaign ? await publicDisclosure(dataSource, campaign.id) : []
    const page = campaign ? GongshiPage({ campaignName: campaign.name, updatedAt: minuteText(instant), units }) : NothingToDisclosePage()
    logger.debug({ units: units.length, items: units.reduce((sum, unit) => sum + unit.items.length, 0) }, 'gongshi: read the public items')
    cached = { at, page, csv: gongshiCsv(units) }
    return cached
  }

  /** Counts the request; false after answering 429. */
  function admitted(ctx: Context): boolean {
    const decision = limiter.hit(ctx.ip, now().getTime())
    if (decision.allowed) return true
    ctx.status = 429
    ctx.set('Retry-After', String(decision.retryAfterSeconds))
    ctx.set('Cache-Control', 'no-store')
    ctx.type = 'text/html; charset=utf-8'
    ctx.body = TooManyRequestsPage(decision.retryAfterSeconds)
    return false
  }

  router.get('/gongshi', async (ctx) => {
    ctx.set('X-Content-Type-Options', 'nosniff')
    if (!admitted(ctx)) return
    const { page } = await rendering()
    ctx.set('Cache-Control', `public, max-age=${GONGSHI_CACHE_MS / 1000}`)
    ctx.set('Content-Security-Policy', PAGE_POLICY)
    ctx.type = 'text/html; charset=utf-8'
    ctx.body = page
  })

  router.get('/gongshi.csv', async (ctx) => {
    // Any site may read it (a portal's page embeds it); nothing in it is private, and no cookie is read.
    ctx.set('Access-Control-Allow-Origin', '*')
    ctx.set('X-Content-Type-Options', 'nosniff')
    if (!admitted(ctx)) return
    const { csv } = await rendering()
    ctx.set('Cache-Control', `public, max-age=${GONGSHI_CACHE_MS / 1000}`)
    ctx.set('Content-Disposition', `attachment; filename="gongshi.csv"; filename*=UTF-8''${encodeURIComponent('整改公示.csv')}`)
    ctx.type = 'text/csv; charset=utf-8'
    ctx.body = csv
  })

  router.get('/gongshi/gongshi.css', (ctx) => {
    // Our own file: cached a day (a new version is a restart away).
    ctx.set('Cache-Control', 'public, max-age=86400')
    ctx.type = 'text/css; charset=utf-8'
    ctx.body = CSS
  })
}

/** "2015年8月31日 09:00", Beijing time. */
function minuteText(instant: Date): string {
  return `${formatChineseDate(beijingDate(instant))} ${formatBeijingDateTime(instant).slice(11)}`
}
