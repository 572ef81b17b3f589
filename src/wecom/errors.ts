/**
 * Errors of the WeCom transport, typed by where they came from (docs/architecture.md, How the code is built). Neither ever
 * carries the access token, the secret or a robot key: messages name the API only.
 */

/** Codes that mean "the token is bad": drop the cached token, fetch a new one, retry once (docs/wecom.md, Access token). */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set([40014, 41001, 42001])

/**
 * Codes that fail every call until an administrator changes something: the secret, the CorpID,
 * the trusted IPs (60020, reported on the calls that use the token, such as message/send),
 * the agent. /readyz reports them.
 */
export const CONFIG_ERRCODES: ReadonlySet<number> = new Set([40001, 40013, 60020, 301002])

/** Codes worth trying again later: system busy, frequency and concurrency limits (docs/wecom.md, Errors). */
export const RETRYABLE_ERRCODES: ReadonlySet<number> = new Set([-1, 45009, 45033])

const HINTS: Record<number, string> = {
  [-1]: '企业微信系统繁忙，稍后自动重试 (system busy)',
  40001: 'Secret 无效：检查 WECOM_SECRET 是否为本应用的 Secret、是否已重置 (invalid secret)',
  40003: '成员 UserID 无效 (invalid userid)',
  40013: 'CorpID 无效：检查 WECOM_CORP_ID (invalid corpid)',
  40014: 'access_token 无效，已重新获取 (invalid access_token)',
  40058: '请求参数不合法：消息过长、缺少字段或 JSON 有误 (invalid parameter)',
  41001: '缺少 access_token (access_token missing)',
  42001: 'access_token 已过期，已重新获取 (access_token expired)',
  44004: '消息内容为空 (empty content)',
  45002: '消息内容过长 (content too large)',
  45009: '接口调用超过频率限制，稍后自动重试 (frequency limit)',
  45033: '接口并发调用超过限制，稍后自动重试 (concurrency limit)',
  48002: '应用无权调用此接口：群聊接口要求应用可见范围为根部门 (API not permitted)',
  60011: '成员、部门或标签不在应用可见范围内：在管理后台调整应用可见范围 (out of visible range)',
  60020: '服务器 IP 不在企业可信 IP 列表：在管理后台「应用管理 → 自建应用 → 企业可信IP」添加出口 IP (IP not allowed)',
  81013: '接收人全部无效或不在应用可见范围 (all recipients invalid)',
  82001: '接收人为空 (no recipients)',
  86008: '群聊不是本应用创建的 (chat not created by this app)',
  301002: 'access_token 与 agentid 不属于同一应用：检查 WECOM_AGENT_ID 与 WECOM_SECRET 是否匹配 (token of another agent)',
}

export function hintFor(errcode: number): string | undefined {
  return HINTS[errcode]
}

/** WeCom answered, and said no (errcode ≠ 0). */
export class WeComApiError extends Error {
  readonly code = 'wecom_api'
  readonly retryable: boolean
  readonly hint: string | undefined
  constructor(
    readonly api: string,
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    const hint = hintFor(errcode)
    // errmsg carries the caller's IP and a help link, never the token (docs/wecom.md, Errors).
    super(`WeCom ${api} failed: errcode ${errcode}${hint ? ` — ${hint}` : ''} (${errmsg})`)
    this.name = 'WeComApiError'
    this.hint = hint
    this.retryable = RETRYABLE_ERRCODES.has(errcode)
  }
}

export type WeComHttpErrorKind = 'network' | 'timeout' | 'status' | 'parse'

/** The request did not get a WeCom answer: network failure, timeout, HTTP error status or a body that is not JSON. */
export class WeComHttpError extends Error {
  readonly code = 'wecom_http'
  readonly retryable: boolean
  constructor(
    readonly api: string,
    readonly kind: WeComHttpErrorKind,
    readonly status?: number,
    detail?: string,
  ) {
    super(`WeCom ${api} ${kind}${status ? ` (HTTP ${status})` : ''}${detail ? `: ${detail}` : ''}`)
    this.name = 'WeComHttpError'
    // 5xx, network trouble and timeouts pass; a 4xx or a garbled body will not fix itself.
    this.retryable = kind === 'network' || kind === 'timeout' || (kind === 'status' && (status ?? 0) >= 500)
  }
}

/** Sending now would exceed a per-recipient or per-robot limit; WeCom would drop it silently. Try again at `retryAt`. */
export class RateLimitedError extends Error {
  readonly code = 'rate_limited'
  readonly retryable = true
  constructor(
    readonly retryAt: Date,
    readonly limited: readonly string[],
  ) {
    super(`rate limit reached for ${limited.length} recipient(s) until ${retryAt.toISOString()}`)
    this.name = 'RateLimitedError'
  }
}

/**
 * A callback that is not a genuine, well-formed WeCom request. `status` is what the HTTP layer
 * answers: 400 malformed, 401 bad signature / stale timestamp / another corp, 413 too large.
 * Its message never contains the expected signature, the token or the key.
 */
export class CallbackVerificationError extends Error {
  constructor(
    readonly status: 400 | 401 | 413,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'CallbackVerificationError'
  }
}
