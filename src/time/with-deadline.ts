/**
 * `work`, or a rejection with `timedOut()`'s error once `ms` pass first. The work itself goes
 * on (nothing here can stop it); `timedOut` may see to it. Its later rejection is handled.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}
