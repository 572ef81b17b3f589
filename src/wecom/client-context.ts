import { createAccessTokenCache, type AccessTokenCache, type FetchedToken } from './access-token-cache.js'
import type { WeComApiError } from './errors.js'
import { MEMBER_WINDOWS, ROBOT_WINDOWS, SlidingWindowLimiter } from './rate-limiter.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'

export interface WeComClientOptions {
  /** API host, default https://qyapi.weixin.qq.com; tests give the fake server's URL. */
  baseUrl: string
  corpId: string
  agentId: number
  secret: string
  fetch?: typeof fetch
  /** Per request, default 10 s. */
  timeoutMs?: number
  now?: () => number
  /** WeCom's duplicate check window, default and maximum 4 hours (docs/wecom.md, Sending app messages). */
  duplicateCheckIntervalSeconds?: number
  /** Counts every failed call by API and errcode, default none. */
  metrics?: Pick<Metrics, 'wecomError'>
}

export interface WeComResponse {
  errcode?: number
  errmsg?: string
  [key: string]: unknown
}

export type CallInit = { method: 'GET' | 'POST'; query?: Record<string, string>; json?: unknown; form?: FormData }

/** What every part of one WeCom client shares: its settings, its limiters, its token and the little state it keeps. */
export interface ClientContext {
  /** The API host without a trailing slash. */
  readonly base: string
  readonly corpId: string
  readonly agentId: number
  readonly secret: string
  readonly fetch: typeof fetch
  readonly timeoutMs: number
  readonly now: () => number
  /** WeCom's duplicate check window in seconds, at most 4 hours. */
  readonly interval: number
  readonly members: SlidingWindowLimiter
  readonly robots: SlidingWindowLimiter
  readonly metrics: Pick<Metrics, 'wecomError'>
  readonly tokens: AccessTokenCache
  /** The last answer saying the app's configuration is wrong; cleared by the next call that succeeds with a token. */
  configError: WeComApiError | undefined
}

/** The context of one client; `fetchToken` asks WeCom for a token through it (gettoken). */
export function createClientContext(options: WeComClientOptions, fetchToken: (context: ClientContext) => Promise<FetchedToken>): ClientContext {
  const now = options.now ?? Date.now
  const context: ClientContext = {
    base: options.baseUrl.replace(/\/+$/, ''),
    corpId: options.corpId,
    agentId: options.agentId,
    secret: options.secret,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    now,
    interval: Math.min(options.duplicateCheckIntervalSeconds ?? 14_400, 14_400),
    members: new SlidingWindowLimiter(MEMBER_WINDOWS),
    robots: new SlidingWindowLimiter(ROBOT_WINDOWS),
    metrics: options.metrics ?? NO_METRICS,
    tokens: createAccessTokenCache(() => fetchToken(context), now),
    configError: undefined,
  }
  return context
}
