export interface RateWindow {
  limit: number
  ms: number
}

/** WeCom drops app messages beyond 30 a minute and 1,000 an hour to one member (WECOM.md §4.2). */
export const MEMBER_WINDOWS: readonly RateWindow[] = [
  { limit: 30, ms: 60_000 },
  { limit: 1000, ms: 3_600_000 },
]

/** A group robot takes at most 20 messages a minute (WECOM.md §4.8). */
export const ROBOT_WINDOWS: readonly RateWindow[] = [{ limit: 20, ms: 60_000 }]

/**
 * Sliding-window counters per key (a userid, a robot). `check` says when all the given keys
 * may next be sent to; `record` counts a send. In-process: each service replica counts its
 * own sends.
 */
export class SlidingWindowLimiter {
  private readonly sent = new Map<string, number[]>()
  private readonly horizon: number

  constructor(private readonly windows: readonly RateWindow[]) {
    this.horizon = Math.max(...windows.map((w) => w.ms))
  }

  /** null when every key may be sent to now; otherwise the earliest time when all may. */
  check(keys: Iterable<string>, now: number): { retryAt: number; limited: string[] } | null {
    let retryAt = now
    const limited: string[] = []
    for (const key of keys) {
      const times = this.prune(key, now)
      let keyReadyAt = now
      for (const { limit, ms } of this.windows) {
        const inWindow = times.filter((t) => t > now - ms)
        if (inWindow.length >= limit) keyReadyAt = Math.max(keyReadyAt, inWindow[inWindow.length - limit]! + ms + 1)
      }
      if (keyReadyAt > now) {
        limited.push(key)
        retryAt = Math.max(retryAt, keyReadyAt)
      }
    }
    return limited.length > 0 ? { retryAt, limited } : null
  }

  record(keys: Iterable<string>, now: number): void {
    for (const key of keys) {
      const times = this.prune(key, now)
      times.push(now)
      this.sent.set(key, times)
    }
  }

  private prune(key: string, now: number): number[] {
    const times = this.sent.get(key)
    if (!times) return []
    const kept = times.filter((t) => t > now - this.horizon)
    if (kept.length === 0) this.sent.delete(key)
    else this.sent.set(key, kept)
    return kept
  }
}
