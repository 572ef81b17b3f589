import type { CommandArgs } from '../src/bot/command-args.js'
import { withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand } from '../src/bot/define-command.js'
import { parseItemNumber, parsePercent } from '../src/bot/parse-args.js'
import { recordProgress } from '../src/domain/ledger/item-lifecycle.js'
import { UserFacingError } from '../src/errors.js'
import { attachedNote } from '../src/domain/evidence/attach-evidence.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'
import { isOverdue, overdueText } from '../src/read-model/figures.js'

/** A percentage with a note glued to it ("80%已完成验收", either width), as typed. */
const GLUED_NOTE = /^([0-9０-９]{1,3}\s*[%％])(.+)$/su

/**
 * The percentage token and the note after it, the note in the person's own words; a note glued
 * to the percentage ("80%已完成两个片区验收") is the note, the punctuation between them dropped
 * (docs/chat-input.md).
 */
function percentAndNote(args: CommandArgs): { percent: string | undefined; note: string } {
  const glued = GLUED_NOTE.exec(args.rest(1))
  if (!glued || /^\s/.test(glued[2]!)) return { percent: args.tokens[1], note: args.rest(2) }
  return { percent: glued[1]!.normalize('NFKC').replace(/\s/g, ''), note: glued[2]!.replace(/^[,，、:：;；.。]+/, '').trim() }
}

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
    const id = parseItemNumber(args.tokens[0])
    const { percent, note: typed } = percentAndNote(args)
    const note = withinLimit(typed, 'progressNote')
    const parsed = { id, percent: parsePercent(percent), note }
    if (!note) throw new UserFacingError('no_note', '请写一句进展说明，说明做了什么。')
    return parsed
  },
  async run(context, { id, percent, note }) {
    const { before, after, attached } = await recordProgress(context.dataSource, context.actor, id, percent, note, context.now())
    const today = beijingDate(context.now())
    const due = `${formatChineseDate(after.dueDate, today)}到期${isOverdue(after, today) ? `，${overdueText(after.dueDate, today)}` : ''}`
    context.reply(`已记录 #${id} 进度：${before.progress}% → ${after.progress}%。${due}。整改完成后发送「完成 ${id} 整改说明」。${attachedNote(attached)}`)
  },
})
