/**
 * Work that shutdown must wait for: HTTP requests being answered and commands still running
 * after their request was answered (their answer goes through the outbox).
 */
export interface InFlight {
  /** Adds work; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T>
  /** How many are running now. */
  size(): number
  /** Resolves once nothing is running, including work added while waiting. */
  settled(): Promise<void>
}

export function createInFlight(): InFlight {
  const running = new Set<Promise<unknown>>()
  return {
    track(work) {
      const entry = work.then(
        () => {},
        () => {},
      )
      running.add(entry)
      void entry.then(() => running.delete(entry))
      return work
    },
    size: () => running.size,
    async settled() {
      while (running.size > 0) await Promise.all(running)
    },
  }
}
