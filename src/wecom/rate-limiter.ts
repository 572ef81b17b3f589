export interface RateWindow {
  limit: number
  ms: number
}

/** WeCom drops app messages beyond 30 a minute and 1,000 an hour to one member (docs/delivery.md). */
export const MEMBER_WINDOWS: readonly RateWindow[] = [
  { limit: 30, ms: 60_000 },
  { limit: 1000, ms: 3_600_000 },
]

/** A group robot takes at most 20 messages a minute (docs/delivery.md). */
export const ROBOT_WINDOWS: readonly RateWindow[] = [{ limit: 20, ms: 60_000 }]

/**
 * When each of the next `count` sends to one key may go, given the instants of its earlier
 * sends (in any order): `now` while every window has room, otherwise one millisecond after
 * enough earlier sends have left the window. A send that needs more to leave than have been
 * made gets the instant the newest one leaves (it is asked again then). Windows are sliding:
 * an earlier send counts while it is less than `ms` before the new one.
 */
export function readyTimes(sent: readonly number[], windows: readonly RateWindow[], now: number, count = 1): number[] {
  const ready = Array.from({ length: count }, () => now)
  for (const { limit, ms } of windows) {
    const inWindow = sent.filter((t) => t > now - ms).sort((a, b) => a - b)
    for (let j = 0; j < count; j += 1) {
      const leaving = inWindow.length + j - limit
      if (leaving < 0) continue
      const at = leaving < inWindow.length ? inWindow[leaving]! : (inWindow.at(-1) ?? now)
      ready[j] = Math.max(ready[j]!, at + ms + 1)
    }
  }
  return ready
}

/**
 * Sliding-window counters per key (a userid, a robot) kept in this process: `check` says when
 * all the given keys may next be sent to; `record` counts a send. The delivery worker counts in
 * the database instead (src/delivery/send-budget.ts), across every instance; this one guards a
 * client used on its own.
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
      const [keyReadyAt] = readyTimes(this.prune(key, now), this.windows, now)
      if (keyReadyAt! > now) {
        limited.push(key)
        retryAt = Math.max(retryAt, keyReadyAt!)
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
