import { describe, expect, it } from 'vitest'
import { addWorkdays, isWorkday, lastCoveredYear, lastWorkdayOfMonth, workdaysBetween } from '../src/time/work-calendar.js'

describe('the official working-day calendar', () => {
  it('knows the 2015 National Day holiday and its make-up Saturday', () => {
    expect(isWorkday('2015-09-30')).toBe(true)
    for (const day of ['2015-10-01', '2015-10-04', '2015-10-07']) expect(isWorkday(day)).toBe(false)
    expect(isWorkday('2015-10-08')).toBe(true)
    expect(isWorkday('2015-10-10')).toBe(true) // Saturday, worked in exchange
    expect(isWorkday('2015-10-11')).toBe(false)
  })

  it('counts working days across the holiday and a weekend', () => {
    expect(addWorkdays('2015-09-30', 1)).toBe('2015-10-08')
    expect(addWorkdays('2015-10-08', 2)).toBe('2015-10-10')
    expect(addWorkdays('2015-10-12', -3)).toBe('2015-10-08')
    expect(workdaysBetween('2015-09-30', '2015-10-08')).toBe(1)
    expect(workdaysBetween('2015-10-08', '2015-09-30')).toBe(-1)
    expect(workdaysBetween('2015-08-28', '2015-08-31')).toBe(1) // Friday → Monday
    expect(workdaysBetween('2015-08-31', '2015-08-31')).toBe(0)
  })

  it('finds a month’s last working day', () => {
    expect(lastWorkdayOfMonth('2015-08-10')).toBe('2015-08-31')
    expect(lastWorkdayOfMonth('2015-10-02')).toBe('2015-10-30')
    expect(lastWorkdayOfMonth('2015-05-15')).toBe('2015-05-29') // 30–31 May 2015: a weekend
  })

  it('says how far its holiday data reaches', () => {
    expect(lastCoveredYear()).toBeGreaterThanOrEqual(2026)
  })
})
