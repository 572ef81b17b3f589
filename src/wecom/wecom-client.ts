import { createAccessTokenCache, type AccessTokenCache } from './access-token-cache.js'
import { CONFIG_ERRCODES, RateLimitedError, TOKEN_ERRCODES, WeComApiError, WeComHttpError } from './errors.js'
import type { AppMessage, RobotMessage } from './messages.js'
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

export interface Recipients {
  touser?: readonly string[]
  toparty?: readonly string[]
  totag?: readonly string[]
}

export interface SendResult {
  msgids: string[]
  /** Not delivered: not members, or outside the app's visible range. */
  invalidUsers: string[]
  /** Not delivered: the member has no API licence. */
  unlicensedUsers: string[]
  invalidParties: string[]
  invalidTags: string[]
}

export interface SendOptions {
  /**
   * WeCom's duplicate check (default on): an identical request within the interval is not
   * delivered again, so a message resent after a lost answer or a crash reaches nobody twice.
   * The delivery worker keeps it on for replies too, and makes two different answers of the
   * same text differ (docs/delivery.md).
   */
  duplicateCheck?: boolean
}

export interface WeComClient {
  sendMessage(recipients: Recipients, message: AppMessage, options?: SendOptions): Promise<SendResult>
  uploadMedia(type: 'file' | 'image' | 'voice' | 'video', filename: string, data: Uint8Array): Promise<string>
  createAppChat(chat: { name: string; userlist: readonly string[]; owner?: string; chatid?: string }): Promise<string>
  sendAppChat(chatid: string, message: AppMessage): Promise<void>
  sendRobot(key: string, message: RobotMessage): Promise<void>
  /**
   * Recalls an app message sent through message/send (docs/wecom.md, Recall): only within 24 hours of
   * sending, and only the WeCom-client copy: copies delivered to the WeChat plugin stay.
   */
  recallMessage(msgid: string): Promise<void>
  /** When all of these members may next receive a message (null: now). */
  memberRetryAt(userids: readonly string[]): Date | null
  /**
   * Resolves when an access token can be had: the cached one, or one fetched now when there is
   * none (readiness checks; no gettoken call while the cached token is valid). Rejects with
   * WeCom's error (40001: wrong secret), or with the configuration error the last API call met
   * (60020: this server's IP is not trusted), until an API call succeeds again.
   */
  checkToken(): Promise<void>
}

/** message/send takes at most 1,000 users, 100 departments and 100 tags per call (docs/wecom.md, Sending app messages). */
const PER_CALL = { touser: 1000, toparty: 100, totag: 100 } as const

interface WeComResponse {
  errcode?: number
  errmsg?: string
  [key: string]: unknown
}

type CallInit = { method: 'GET' | 'POST'; query?: Record<string, string>; json?: unknown; form?: FormData }

/**
 * The WeCom server API for one self-built app: access-token cache (single-flight, one refresh
 * and one retry on a token error), message/send with batching, media/upload, appchat and the
 * group robot, with per-member and per-robot rate limits enforced before WeCom would silently
 * drop a message. Only its base URL and fetch are needed to point it at the fake server.
 */
export function createWeComClient(options: WeComClientOptions): WeComClient {
  const base = options.baseUrl.replace(/\/+$/, '')
  const fetchImpl = options.fetch ?? globalThis.fetch
  const timeoutMs = options.timeoutMs ?? 10_000
  const now = options.now ?? Date.now
  const interval = Math.min(options.duplicateCheckIntervalSeconds ?? 14_400, 14_400)
  const members = new SlidingWindowLimiter(MEMBER_WINDOWS)
  const robots = new SlidingWindowLimiter(ROBOT_WINDOWS)
  const metrics = options.metrics ?? NO_METRICS
  /** The last answer saying the app's configuration is wrong; cleared by the next call that succeeds with a token. */
  let configError: WeComApiError | undefined

  /** One HTTP call; every failure (errcode ≠ 0 included, token retries too) is counted here, once. */
  async function request(api: string, init: CallInit, token?: string): Promise<WeComResponse> {
    try {
      const body = await requestOnce(api, init, token)
      if (body.errcode) metrics.wecomError(api, body.errcode)
      if (body.errcode && CONFIG_ERRCODES.has(body.errcode)) configError = new WeComApiError(api, body.errcode, String(body.errmsg ?? ''))
      else if (!body.errcode && token !== undefined) configError = undefined
      return body
    } catch (error) {
      const { kind, status } = error as WeComHttpError
      metrics.wecomError(api, kind === 'status' ? `http_${status}` : kind)
      throw error
    }
  }

  async function requestOnce(api: string, init: CallInit, token?: string): Promise<WeComResponse> {
    const url = new URL(`${base}/cgi-bin/${api}`)
    for (const [key, value] of Object.entries(init.query ?? {})) url.searchParams.set(key, value)
    if (token !== undefined) url.searchParams.set('access_token', token)
    let response: Response
    try {
      response = await fetchImpl(url, {
        method: init.method,
        headers: init.json === undefined ? undefined : { 'content-type': 'application/json' },
        body: init.form ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      // Only the error's code: undici's messages may quote the URL, and the URL holds the token.
      const err = error as { name?: string; cause?: { code?: string } }
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new WeComHttpError(api, 'timeout', undefined, `${timeoutMs} ms`)
      throw new WeComHttpError(api, 'network', undefined, err.cause?.code ?? err.name)
    }
    if (!response.ok) throw new WeComHttpError(api, 'status', response.status)
    try {
      return (await response.json()) as WeComResponse
    } catch {
      throw new WeComHttpError(api, 'parse', response.status, 'body is not JSON')
    }
  }

  const tokens: AccessTokenCache = createAccessTokenCache(async () => {
    const body = await request('gettoken', { method: 'GET', query: { corpid: options.corpId, corpsecret: options.secret } })
    if (body.errcode) throw new WeComApiError('gettoken', body.errcode, String(body.errmsg ?? ''))
    return { token: String(body.access_token), expiresIn: Number(body.expires_in ?? 7200) }
  }, now)

  /** An authenticated call; a token error drops the token and retries once with a fresh one. */
  async function call(api: string, init: CallInit): Promise<WeComResponse> {
    for (let attempt = 0; ; attempt += 1) {
      const token = await tokens.get()
      const body = await request(api, init, token)
      const errcode = body.errcode ?? 0
      if (errcode === 0) return body
      if (attempt === 0 && TOKEN_ERRCODES.has(errcode)) {
        tokens.invalidate(token)
        continue
      }
      throw new WeComApiError(api, errcode, String(body.errmsg ?? ''))
    }
  }

  function checkMembers(userids: readonly string[]): void {
    const blocked = members.check(userids, now())
    if (blocked) throw new RateLimitedError(new Date(blocked.retryAt), blocked.limited)
  }

  return {
    async sendMessage(recipients, message, sendOptions = {}) {
      const users = [...(recipients.touser ?? [])]
      const parties = [...(recipients.toparty ?? [])]
      const tags = [...(recipients.totag ?? [])]
      checkMembers(users)
      const calls = Math.max(
        Math.ceil(users.length / PER_CALL.touser),
        Math.ceil(parties.length / PER_CALL.toparty),
        Math.ceil(tags.length / PER_CALL.totag),
      )
      const result: SendResult = { msgids: [], invalidUsers: [], unlicensedUsers: [], invalidParties: [], invalidTags: [] }
      for (let i = 0; i < calls; i += 1) {
        const batch = {
          touser: users.slice(i * PER_CALL.touser, (i + 1) * PER_CALL.touser),
          toparty: parties.slice(i * PER_CALL.toparty, (i + 1) * PER_CALL.toparty),
          totag: tags.slice(i * PER_CALL.totag, (i + 1) * PER_CALL.totag),
        }
        const duplicateCheck = sendOptions.duplicateCheck ?? true
        let body: WeComResponse
        try {
          body = await call('message/send', {
            method: 'POST',
            json: {
              ...(batch.touser.length ? { touser: batch.touser.join('|') } : {}),
              ...(batch.toparty.length ? { toparty: batch.toparty.join('|') } : {}),
              ...(batch.totag.length ? { totag: batch.totag.join('|') } : {}),
              agentid: options.agentId,
              ...message,
              enable_duplicate_check: duplicateCheck ? 1 : 0,
              ...(duplicateCheck ? { duplicate_check_interval: interval } : {}),
            },
          })
        } catch (error) {
          // 81013: every recipient of this batch is invalid; the other batches still go out.
          if (error instanceof WeComApiError && error.errcode === 81013) {
            result.invalidUsers.push(...batch.touser)
            result.invalidParties.push(...batch.toparty)
            result.invalidTags.push(...batch.totag)
            continue
          }
          throw error
        }
        members.record(batch.touser, now())
        if (body.msgid) result.msgids.push(String(body.msgid))
        result.invalidUsers.push(...splitIds(body.invaliduser))
        result.unlicensedUsers.push(...splitIds(body.unlicenseduser))
        result.invalidParties.push(...splitIds(body.invalidparty))
        result.invalidTags.push(...splitIds(body.invalidtag))
      }
      // Every recipient invalid (81013) is a result, not an error: the caller records who could
      // not be reached, once, instead of retrying or alerting about the message again and again.
      return result
    },

    async uploadMedia(type, filename, data) {
      const form = new FormData()
      form.append('media', new Blob([data], { type: 'application/octet-stream' }), filename)
      const body = await call('media/upload', { method: 'POST', query: { type }, form })
      return String(body.media_id)
    },

    async createAppChat(chat) {
      const body = await call('appchat/create', { method: 'POST', json: chat })
      return String(body.chatid)
    },

    async sendAppChat(chatid, message) {
      await call('appchat/send', { method: 'POST', json: { chatid, ...message } })
    },

    async sendRobot(key, message) {
      const blocked = robots.check([key], now())
      if (blocked) throw new RateLimitedError(new Date(blocked.retryAt), ['robot'])
      const body = await request('webhook/send', { method: 'POST', query: { key }, json: message })
      robots.record([key], now())
      if (body.errcode) throw new WeComApiError('webhook/send', body.errcode, String(body.errmsg ?? ''))
    },

    async recallMessage(msgid) {
      await call('message/recall', { method: 'POST', json: { msgid } })
    },

    async checkToken() {
      await tokens.get()
      if (configError) throw configError
    },

    memberRetryAt(userids) {
      const blocked = members.check(userids, now())
      return blocked ? new Date(blocked.retryAt) : null
    },
  }
}

/** WeCom lists ids joined by "|" and lower-cases userids (docs/wecom.md, Sending app messages). */
function splitIds(value: unknown): string[] {
  return typeof value === 'string' && value !== '' ? value.split('|') : []
}
