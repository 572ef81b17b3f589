import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.js'
import { createScheduler } from '../src/scheduler/create-scheduler.js'

function captureLogger() {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  return { logger: createLogger('info', sink), lines }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('createScheduler', () => {
  it('refuses two jobs with the same name and an invalid cron expression', () => {
    const { logger } = captureLogger()
    const job = { name: 'sweep', cron: '5 9 * * *', run: async () => {} }
    expect(() => createScheduler([job, job], logger)).toThrow(/duplicate scheduled job name: sweep/)
    expect(() => createScheduler([{ ...job, cron: '61 9 * * *' }], logger)).toThrow(/invalid cron expression for sweep/)
  })

  it('runs a job on schedule, never overlapping itself, and logs failures with the job name', async () => {
    const { logger, lines } = captureLogger()
    let running = 0
    let maxRunning = 0
    let runs = 0
    const scheduler = createScheduler(
      [
        {
          name: 'slow',
          cron: '* * * * * *',
          run: async () => {
            runs += 1
            running += 1
            maxRunning = Math.max(maxRunning, running)
            await sleep(1500)
            running -= 1
          },
        },
        {
          name: 'failing',
          cron: '* * * * * *',
          run: async () => {
            throw new Error('boom')
          },
        },
      ],
      logger,
    )
    expect(scheduler.jobs).toEqual(['slow', 'failing'])
    await sleep(3300)
    await scheduler.stop()
    expect(runs).toBeGreaterThanOrEqual(1)
    expect(runs).toBeLessThanOrEqual(2)
    expect(maxRunning).toBe(1)
    expect(lines.some((l) => l.job === 'failing' && l.msg === 'job failed')).toBe(true)
    expect(lines.some((l) => l.job === 'slow' && l.msg === 'job finished')).toBe(true)
  })
})
