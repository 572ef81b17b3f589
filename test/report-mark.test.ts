import { describe, expect, it } from 'vitest'
import { reportPeriod } from '../src/domain/reports/month-span.js'
import { reportMark } from '../src/read-model/report-grid.js'

/** A month's report mark (docs/dashboard.md, 月报): one definition for the grid and a unit's page. */
describe('reportMark', () => {
  const now = new Date('2015-09-10T09:00:00+08:00')
  const august = reportPeriod('2015-08', now)
  const september = reportPeriod('2015-09', now)

  it('marks a past month: in by its last instant 按时, after it 逾期报, none 未报', () => {
    expect(reportMark(new Date('2015-08-31T23:59:59.999+08:00'), august)).toBe('on_time')
    expect(reportMark(new Date('2015-09-01T00:00:00+08:00'), august)).toBe('late')
    expect(reportMark(null, august)).toBe('missing')
  })

  it('marks the running month: in so far 按时, none yet 未到期', () => {
    expect(reportMark(new Date('2015-09-02T10:00:00+08:00'), september)).toBe('on_time')
    expect(reportMark(null, september)).toBe('not_due')
  })
})
