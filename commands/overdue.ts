import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { LedgerItemSchema, UnitSchema } from '../src/domain/entities/index.js'
import { shorten } from '../src/domain/ledger/format-item.js'
import { isVerifier, unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { findUnitByName } from '../src/domain/roster/find-unit.js'
import { UserFacingError } from '../src/errors.js'
import { beijingDate, daysBetween, formatChineseDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'
import { quoteTyped } from '../src/bot/text-limits.js'

/** 逾期: overdue items grouped by unit, the unit with the most first, the longest overdue first. */
export const overdue = defineCommand<{ unit: string }>({
  name: '逾期',
  aliases: ['overdue'],
  summary: '查看逾期未整改的事项（按单位）',
  usage: '逾期 [单位]',
  example: '逾期 城关镇',
  roles: ['unit_head', 'org_admin', 'inspector'],
  parse: (args) => ({ unit: args.rest(0) }),
  async run(context, { unit }) {
    const { dataSource, actor } = context
    const today = beijingDate(context.now())
    const allowed = isVerifier(actor) ? null : unitsActedFor(actor)
    const query = dataSource
      .getRepository(LedgerItemSchema)
      .createQueryBuilder('i')
      .where("i.status IN ('open', 'in_progress') AND i.due_date < :today", { today })
    if (unit) {
      const found = await findUnitByName(dataSource, unit)
      if (!found) throw new UserFacingError('no_unit', `没有名为「${quoteTyped(unit)}」的单位。`)
      if (allowed && !allowed.includes(found.id)) throw new UserFacingError('denied', '第一责任人只能查看本单位的逾期事项。')
      query.andWhere('i.unit_id = :unit', { unit: found.id })
    } else if (allowed) {
      if (allowed.length === 0) throw new UserFacingError('denied', '您没有可查看的单位。')
      query.andWhere('i.unit_id IN (:...units)', { units: allowed })
    }
    const items = await query.orderBy('i.due_date', 'ASC').addOrderBy('i.id', 'ASC').getMany()
    if (items.length === 0) {
      context.reply('没有逾期未整改的事项。')
      return
    }
    const names = new Map((await dataSource.getRepository(UnitSchema).find()).map((u) => [u.id, u.name]))
    const byUnit = new Map<number, typeof items>()
    for (const item of items) byUnit.set(item.unitId, [...(byUnit.get(item.unitId) ?? []), item])
    const groups = [...byUnit.entries()].sort((a, b) => b[1].length - a[1].length)
    const lines = [`**逾期未整改 ${items.length} 项**`]
    for (const [unitId, list] of groups.slice(0, 10)) {
      lines.push(`${inertText(names.get(unitId) ?? '')}（${list.length} 项）`)
      for (const item of list.slice(0, 5)) {
        lines.push(`🔴 #${item.id} ${shorten(item.problem, 18)} · 逾期 ${daysBetween(item.dueDate, today)} 天（${formatChineseDate(item.dueDate, today)}）`)
      }
      if (list.length > 5) lines.push(`另有 ${list.length - 5} 项`)
    }
    if (groups.length > 10) lines.push(`另有 ${groups.length - 10} 个单位`)
    context.reply(markdown(lines.join('\n')))
  },
})
