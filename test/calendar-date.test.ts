import { describe, expect, it } from 'vitest'
import { shiftPlanDate } from '../src/domain/plan/shift-plan-date.js'
import {
  addDays,
  addMonths,
  beijingDate,
  daysBetween,
  formatBeijingDateTime,
  formatChineseDate,
  isCalendarDate,
} from '../src/time/calendar-date.js'

describe('calendar dates', () => {
  it('validates real dates only', () => {
    expect(isCalendarDate('2015-08-31')).toBe(true)
    expect(isCalendarDate('2016-02-29')).toBe(true)
    expect(isCalendarDate('2015-02-29')).toBe(false)
    expect(isCalendarDate('2015-13-01')).toBe(false)
    expect(isCalendarDate('2015-8-31')).toBe(false)
  })

  it('adds days across months and years', () => {
    expect(addDays('2015-08-31', 1)).toBe('2015-09-01')
    expect(addDays('2015-12-31', 1)).toBe('2016-01-01')
    expect(addDays('2015-03-01', -1)).toBe('2015-02-28')
    expect(daysBetween('2015-08-31', '2015-10-08')).toBe(38)
  })

  it('keeps month ends as month ends when adding months', () => {
    expect(addMonths('2015-07-31', 1)).toBe('2015-08-31')
    expect(addMonths('2015-07-31', 2)).toBe('2015-09-30')
    expect(addMonths('2015-08-30', 6)).toBe('2016-02-29')
    expect(addMonths('2015-12-31', 136)).toBe('2027-04-30')
    expect(addMonths('2015-07-15', -8)).toBe('2014-11-15')
  })

  it('reads the Beijing date of an instant whatever the process time zone', () => {
    // 2015-08-31 16:30 UTC is 2015-09-01 00:30 in Beijing: the item due 08-31 is overdue.
    expect(beijingDate(new Date('2015-08-31T16:30:00Z'))).toBe('2015-09-01')
    expect(beijingDate(new Date('2015-08-31T15:59:59Z'))).toBe('2015-08-31')
    expect(formatBeijingDateTime(new Date('2015-08-31T01:05:00Z'))).toBe('2015/08/31 09:05')
  })

  it('formats dates for people', () => {
    expect(formatChineseDate('2015-08-31', '2015-01-01')).toBe('8月31日')
    expect(formatChineseDate('2016-01-05', '2015-12-01')).toBe('2016年1月5日')
  })
})

describe('shiftPlanDate', () => {
  it('is the identity for the reference start', () => {
    expect(shiftPlanDate('2015-08-31', '2015-07-01', '2015-07-01')).toBe('2015-08-31')
  })

  it('keeps calendar months for a start on the 1st', () => {
    expect(shiftPlanDate('2015-07-31', '2015-07-01', '2026-11-01')).toBe('2026-11-30')
    expect(shiftPlanDate('2015-08-01', '2015-07-01', '2026-11-01')).toBe('2026-12-01')
    expect(shiftPlanDate('2015-08-31', '2015-07-01', '2026-11-01')).toBe('2026-12-31')
    expect(shiftPlanDate('2015-12-31', '2015-07-01', '2026-11-01')).toBe('2027-04-30')
  })

  it('shifts by the remaining days for a start mid-month', () => {
    expect(shiftPlanDate('2015-07-01', '2015-07-01', '2026-11-15')).toBe('2026-11-15')
    expect(shiftPlanDate('2015-07-31', '2015-07-01', '2026-11-15')).toBe('2026-12-14')
  })
})
