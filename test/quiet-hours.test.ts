import { describe, expect, it } from 'vitest'
import { isQuietTime } from '../src/time/quiet-hours.js'
import { retryDelayMs, DEFAULT_BACKOFF } from '../src/delivery/backoff.js'

const NIGHT = { startMinute: 21 * 60, endMinute: 8 * 60 }
const beijing = (time: string) => new Date(`2015-08-31T${time}:00+08:00`)

describe('quiet hours (Beijing time)', () => {
  it.each([
    ['20:59', false],
    ['21:00', true],
    ['23:30', true],
    ['00:00', true],
    ['07:59', true],
    ['08:00', false],
    ['12:00', false],
  ])('%s is quiet: %s', (time, quiet) => {
    expect(isQuietTime(beijing(time), NIGHT)).toBe(quiet)
  })

  it('handles a window inside one day, and none', () => {
    expect(isQuietTime(beijing('12:30'), { startMinute: 12 * 60, endMinute: 14 * 60 })).toBe(true)
    expect(isQuietTime(beijing('14:00'), { startMinute: 12 * 60, endMinute: 14 * 60 })).toBe(false)
    expect(isQuietTime(beijing('23:00'), { startMinute: 0, endMinute: 0 })).toBe(false)
  })
})

describe('retry backoff', () => {
  it('doubles from the base, is capped, and jitters between half and all of it', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, DEFAULT_BACKOFF, () => 1))).toEqual([30_000, 60_000, 120_000, 240_000])
    expect(retryDelayMs(20, DEFAULT_BACKOFF, () => 1)).toBe(3_600_000)
    expect(retryDelayMs(1, DEFAULT_BACKOFF, () => 0)).toBe(15_000)
  })
})
