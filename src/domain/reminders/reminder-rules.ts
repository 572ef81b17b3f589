import { DUE_SOON_WORKDAYS } from '../../read-model/figures.js'

/** When reminders go out, in working days. */
export interface ReminderRules {
  /** Phase tasks not handed in: before the due date, and on it (0). */
  taskDaysBefore: readonly number[]
  /** Rectification items: before the due date. */
  itemDaysBefore: readonly number[]
  /** Overdue items go to the unit head after this many working days overdue… */
  escalateToUnitHeadAfter: number
  /** …and to the organization department after this many. */
  escalateToOrgAfter: number
  /** Monthly reports not yet in: working days before the month's last working day (0 = on it). */
  reportDaysBeforeMonthEnd: readonly number[]
}

export const DEFAULT_RULES: ReminderRules = Object.freeze({
  taskDaysBefore: [7, 3, 1, 0],
  itemDaysBefore: [3, 1],
  escalateToUnitHeadAfter: 3,
  escalateToOrgAfter: 7,
  reportDaysBeforeMonthEnd: [5, 0],
})

/**
 * Rules whose item stages fall on distinct days (an item records only its furthest stage):
 * reminders before or on the due date, the overdue alert on day 1, the unit head after it, the
 * organization department after the unit head.
 */
export function checkRules(rules: ReminderRules): void {
  const problems = [
    rules.itemDaysBefore.every((d) => Number.isInteger(d) && d >= 0) || 'itemDaysBefore: whole working days, 0 or more',
    // A reminder lists the person's 🟡 items: one sent earlier than the 🟡 window would list none (docs/figures.md, Lights).
    rules.itemDaysBefore.every((d) => d <= DUE_SOON_WORKDAYS) || `itemDaysBefore: at most ${DUE_SOON_WORKDAYS} (the due-soon window)`,
    rules.escalateToUnitHeadAfter >= 2 || 'escalateToUnitHeadAfter: 2 or more (day 1 is the overdue alert)',
    rules.escalateToOrgAfter > rules.escalateToUnitHeadAfter || 'escalateToOrgAfter: after escalateToUnitHeadAfter',
  ].filter((p): p is string => p !== true)
  if (problems.length > 0) throw new Error(`reminder rules: ${problems.join('; ')}`)
}
