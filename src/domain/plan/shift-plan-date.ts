import { addDays, addMonths, parts, type CalendarDate } from '../../time/calendar-date.js'

/**
 * Moves a date of the plan from its reference start to a campaign's start. The shift is whole
 * months first, keeping month ends as month ends ("end of July" stays "end of the month"), then
 * the remaining days. A campaign that starts on the 1st, like the plan, keeps every
 * phase aligned to calendar months.
 */
export function shiftPlanDate(date: CalendarDate, referenceStart: CalendarDate, start: CalendarDate): CalendarDate {
  const from = parts(referenceStart)
  const to = parts(start)
  const months = (to.year - from.year) * 12 + (to.month - from.month)
  return addDays(addMonths(date, months), to.day - from.day)
}
