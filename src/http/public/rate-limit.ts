/** What a limiter answers: go on, or wait this many seconds (the rest of the window). */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number }

export interface RateLimiter {
  /** Counts one request of `address` at `nowMs`. */
  hit(address: string, nowMs: number): RateDecision
  /** Addresses counted in the current window (for tests and metrics). */
  readonly size: number
}

export interface RateLimitOptions {
  /** Requests an address may make in one window. */
  limit: number
  windowMs: number
  /** The most addresses remembered at once: past it the longest-remembered is forgotten (its count starts again). */
  maxAddresses: number
}

/**
 * A fixed-window limit per address, in memory (docs/disclosure.md): every address shares the
 * same windows (the clock's minute), so at each new window the whole map is dropped; within
 * one, at most `maxAddresses` are remembered, so that requests from many addresses cannot
 * exhaust memory — a forgotten address may exceed its limit, never blocks another.
 */
export function fixedWindowLimiter({ limit, windowMs, maxAddresses }: RateLimitOptions): RateLimiter {
  let window = Number.NaN
  const counts = new Map<string, number>()
  return {
    hit(address, nowMs) {
      const current = Math.floor(nowMs / windowMs)
      if (current !== window) {
        window = current
        counts.clear()
      }
      const count = (counts.get(address) ?? 0) + 1
      if (count === 1 && counts.size >= maxAddresses) {
        // Map keeps insertion order: the first key is the address remembered longest.
        const oldest = counts.keys().next().value
        if (oldest !== undefined) counts.delete(oldest)
      }
      counts.set(address, count)
      if (count <= limit) return { allowed: true }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((current + 1) * windowMs - nowMs) / 1000)) }
    },
    get size() {
      return counts.size
    },
  }
}
