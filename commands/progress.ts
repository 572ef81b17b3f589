import { withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand } from '../src/bot/define-command.js'
import { parseItemNumber, parsePercent } from '../src/bot/parse-args.js'
import { recordProgress } from '../src/domain/ledger/item-lifecycle.js'
import { UserFacingError } from '../src/errors.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'
import { isOverdue, overdueText } from '../src/read-model/figures.js'

/** 进度: records a progress update on an item. */
export const progress = defineCommand<{ id: number; percent: number; note: string }>({
  name: '进度',
  aliases: ['progress', 'jd'],
  summary: '反馈整改进度',
  usage: '进度 编号 百分比 说明',
  example: '进度 12 60% 已完成初步整改',
  roles: 'everyone',
  featured: 2,
  parse(args) {
    const note = withinLimit(args.rest(2), 'progressNote')
    const parsed = { id: parseItemNumber(args.tokens[0]), percent: parsePercent(args.tokens[1]), note }
    if (!note) throw new UserFacingError('no_note', '请写一句进展说明，说明做了什么。')
    return parsed
  },
  async run(context, { id, percent, note }) {
    const { before, after } = await recordProgress(context.dataSource, context.actor, id, percent, note, context.now())
    const today = beijingDate(context.now())
    const due = `${formatChineseDate(after.dueDate, today)}到期${isOverdue(after, today) ? `，${overdueText(after.dueDate, today)}` : ''}`
    context.reply(`已记录 #${id} 进度：${before.progress}% → ${after.progress}%。${due}。整改完成后发送「完成 ${id} 整改说明」。`)
  },
})
