import type { CommandContext } from './define-command.js'
import { parseMonth, readMonth } from '../domain/reports/month-span.js'
import { findUnitByName, unitByNameOrRefuse } from '../domain/roster/find-unit.js'
import type { Unit } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'

/** A word written as a month, valid or not: 13月, 2015年13月, 2015-00. */
const MONTH_SHAPED = /^(\d{4}[-/.年])?\d{1,2}月份?$|^\d{4}[-/.]\d{1,2}$/

/** A month glued to the unit: 城关镇11月, 城关镇上月. */
const GLUED_MONTH = /^(.+?)(\d{4}[-/.年]\d{1,2}月?|\d{1,2}月份?|上个?月|本月|这个月|当月)$/

/**
 * "[单位] [月份]" as people type them (查看月报, 时效): the unit (null: none typed) and the month
 * (null: none), the month last, typed with a space ("9 月") or glued to the unit. A unit name that
 * is not one is refused with the closest names.
 */
export async function unitAndMonth(context: CommandContext, words: readonly string[], today: CalendarDate): Promise<{ unit: Unit | null; month: string | null }> {
  let rest = [...words]
  let month: string | null = null
  const last = rest.at(-1)
  const lastTwo = rest.length >= 2 ? rest.slice(-2).join('') : undefined
  if (last !== undefined && readMonth(last, today) !== null) {
    month = readMonth(last, today)
    rest = rest.slice(0, -1)
  } else if (lastTwo !== undefined && readMonth(lastTwo, today) !== null) {
    // "9 月", typed with a space.
    month = readMonth(lastTwo, today)
    rest = rest.slice(0, -2)
  } else if (last !== undefined && MONTH_SHAPED.test(last.normalize('NFKC'))) {
    // "13月" is a month mistyped, not a unit: parseMonth says how to write one.
    parseMonth(last, today)
  }
  const typed = rest.join(' ')
  if (typed === '') return { unit: null, month }
  const unit = await findUnitByName(context.dataSource, typed)
  if (unit) return { unit, month }
  const glued = month === null ? GLUED_MONTH.exec(typed) : null
  const gluedUnit = glued ? await findUnitByName(context.dataSource, glued[1]!) : null
  if (gluedUnit) return { unit: gluedUnit, month: parseMonth(glued![2]!, today) }
  return { unit: await unitByNameOrRefuse(context.dataSource, typed), month }
}
