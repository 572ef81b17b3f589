export interface FetchedToken {
  token: string
  /** Seconds, as WeCom's expires_in (normally 7200). */
  expiresIn: number
}

export interface AccessTokenCache {
  /** The cached token, fetching one when there is none or it is about to expire. */
  get(): Promise<string>
  /** Forget `token` (WeCom said it is invalid). A token already replaced is left alone. */
  invalidate(token: string): void
}

/**
 * One cached token per app, single-flight: however many sends ask at once, one gettoken call
 * is made and all of them wait for it. Refreshed `refreshMarginMs` before it expires
 * (docs/wecom.md, Access token: cache it; gettoken itself is rate-limited).
 */
export function createAccessTokenCache(
  fetchToken: () => Promise<FetchedToken>,
  now: () => number = Date.now,
  refreshMarginMs = 5 * 60_000,
): AccessTokenCache {
  let cached: { token: string; refreshAt: number } | undefined
  let inFlight: Promise<string> | undefined
  return {
    get() {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token)
      inFlight ??= fetchToken()
        .then(({ token, expiresIn }) => {
          cached = { token, refreshAt: now() + Math.max(0, expiresIn * 1000 - refreshMarginMs) }
          return token
        })
        .finally(() => {
          inFlight = undefined
        })
      return inFlight
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined
    },
  }
}
