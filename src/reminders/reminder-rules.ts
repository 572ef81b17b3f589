/** When reminders go out, in working days (issue 6's defaults). */
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
