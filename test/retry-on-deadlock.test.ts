import { describe, expect, it } from 'vitest'
import { retryOnDeadlock } from '../src/db/retry-on-deadlock.js'

/** What TypeORM throws when the driver reports a deadlock (QueryFailedError carries driverError). */
const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { driverError: { errno: 1213 } })
const busy = () => Object.assign(new Error('database is locked'), { driverError: { code: 'SQLITE_BUSY' } })

/** A piece of work that fails with the given errors in turn, then answers 'done'. */
function failing(...errors: unknown[]) {
  const work = Object.assign(
    async () => {
      work.calls += 1
      if (errors.length > 0) throw errors.shift()
      return 'done'
    },
    { calls: 0 },
  )
  return work
}

describe('retryOnDeadlock', () => {
  it('runs the work again after a deadlock or a busy database, with short pauses', async () => {
    const work = failing(deadlock(), busy(), deadlock())
    const started = performance.now()
    await expect(retryOnDeadlock(work)).resolves.toBe('done')
    expect(work.calls).toBe(4)
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(20 + 40 + 80 - 5)
    expect(waited).toBeLessThan(1000)
  })

  it('gives up after four runs and throws the last deadlock itself', async () => {
    const last = deadlock()
    const work = failing(deadlock(), deadlock(), deadlock(), last, deadlock())
    await expect(retryOnDeadlock(work)).rejects.toBe(last)
    expect(work.calls).toBe(4)
  })

  it('throws any other error at once and unchanged, a TypeError included', async () => {
    for (const error of [new Error('Duplicate entry'), Object.assign(new Error('syntax'), { driverError: { errno: 1064 } }), new TypeError('x is undefined')]) {
      const work = failing(error)
      await expect(retryOnDeadlock(work)).rejects.toBe(error)
      expect(work.calls).toBe(1)
    }
    const afterOneDeadlock = new Error('constraint')
    const work = failing(deadlock(), afterOneDeadlock)
    await expect(retryOnDeadlock(work)).rejects.toBe(afterOneDeadlock)
    expect(work.calls).toBe(2)
  })

  it('honours a smaller number of attempts', async () => {
    const work = failing(deadlock(), deadlock())
    await expect(retryOnDeadlock(work, 1)).rejects.toMatchObject({ driverError: { errno: 1213 } })
    expect(work.calls).toBe(1)
  })
})
