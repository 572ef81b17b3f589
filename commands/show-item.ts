import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { parseItemNumber } from '../src/bot/parse-args.js'
import { canSeeItem } from '../src/domain/ledger/ledger-access.js'
import { itemOrFail } from '../src/domain/ledger/item-lifecycle.js'
import { isOverdue, overdueText, STATE_NAMES, statusLight } from '../src/read-model/figures.js'
import { itemDetail } from '../src/read-model/ledger-lists.js'
import { typicalCaseCircularsOf } from '../src/read-model/circulars.js'
import { findingLine, HISTORY_KIND_NAMES, typicalCaseLine } from '../src/domain/ledger/format-item.js'
import { findingOfItem } from '../src/read-model/inspections.js'
import { RefusalError } from '../src/errors.js'
import { evidenceCount, evidenceLine } from '../src/read-model/evidence.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'

/** 详情: one item in full, with its last five updates. */
export const showItem = defineCommand<{ id: number }>({
  name: '详情',
  aliases: ['show'],
  summary: '事项详情和最近进展',
  usage: '详情 编号',
  example: '详情 12',
  roles: 'everyone',
  parse: (args) => ({ id: parseItemNumber(args.tokens[0]) }),
  async run(context, { id }) {
    const { dataSource } = context
    const found = await itemOrFail(dataSource, id)
    if (!canSeeItem(context.actor, found)) throw new RefusalError('denied', `#${id} 不属于您负责的范围。`)
    const today = beijingDate(context.now())
    const { item, unitName, category, updates, names } = await itemDetail(dataSource, found)
    const finding = await findingOfItem(dataSource, item.id)
    const name = (personId: number | null) => (personId === null ? '—' : inertText(names.get(personId) ?? '—'))
    const lines = [
      `**${statusLight(item, today)} #${item.id} ${inertText(unitName)}**`,
      `问题：${inertText(item.problem)}`,
      ...(finding ? [findingLine(finding.id)] : []),
      `类别：${category ? `${category.label}${category.name}` : '—'}`,
      `措施：${inertText(item.measures)}`,
      `目标：${inertText(item.target)}`,
      `时限：${formatChineseDate(item.dueDate, today)}${item.dueDate !== item.originalDueDate ? `（原定 ${formatChineseDate(item.originalDueDate, today)}）` : ''}${isOverdue(item, today) ? `，${overdueText(item.dueDate, today)}` : ''}`,
      `责任：${item.responsibleDepartment ? `${inertText(item.responsibleDepartment)} · ` : ''}领导 ${name(item.responsibleLeaderId)} · 责任人 ${name(item.responsiblePersonId)}`,
      `状态：${STATE_NAMES[item.status]}，进度 ${item.progress}%`,
    ]
    const exposed = await typicalCaseCircularsOf(dataSource, item.id)
    if (exposed.length > 0) lines.push(typicalCaseLine(exposed, today))
    lines.push(evidenceLine(await evidenceCount(dataSource, item.id), today))
    if (updates.length > 0) {
      lines.push('最近进展：')
      for (const u of updates) lines.push(`- ${formatBeijingDateTime(u.createdAt).slice(5, 16)} ${name(u.personId)} ${HISTORY_KIND_NAMES[u.kind]} ${u.newProgress}% ${inertText(u.note)}`)
    }
    if (context.links) lines.push(`[在督办看板中查看](${context.links.item(item.id)})`)
    context.reply(markdown(lines.join('\n')))
  },
})
