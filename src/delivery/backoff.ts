export interface BackoffPolicy {
  /** Delay before the first retry, default 30 s. */
  baseMs: number
  /** The longest delay, default 1 hour. */
  maxMs: number
  /** Attempts before a row is dead, default 8 (about 2 hours of trying with the defaults). */
  maxAttempts: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 30_000, maxMs: 3_600_000, maxAttempts: 8 }

/**
 * Exponential backoff with jitter: base × 2^(attempt−1), capped, then scaled into [50%, 100%]
 * so that messages that failed together do not all come back at once (WeCom's -1/45009 advice:
 * back off; WxJava uses 1 s × 2^n).
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exponential * (0.5 + random() * 0.5))
}
