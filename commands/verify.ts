import type { CommandArgs } from '../src/bot/command-args.js'
import { withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand } from '../src/bot/define-command.js'
import { parseItemNumber } from '../src/bot/parse-args.js'
import { verifyItem } from '../src/domain/ledger/item-lifecycle.js'
import { UserFacingError } from '../src/errors.js'

const splitNote = (args: CommandArgs, field: 'opinion' | 'reason') => ({ id: parseItemNumber(args.tokens[0]), note: withinLimit(args.rest(1), field) })

/** 销号: the organization department or the inspection group verifies and closes an item. */
export const close = defineCommand<{ id: number; note: string }>({
  name: '销号',
  aliases: ['close'],
  summary: '核实整改到位后销号',
  usage: '销号 编号 [意见]',
  example: '销号 12 经核实整改到位',
  roles: ['org_admin', 'inspector'],
  featured: 3,
  parse: (args) => splitNote(args, 'opinion'),
  async run(context, { id, note }) {
    const { notified } = await verifyItem(context.dataSource, context.actor, id, 'close', note, context.now())
    context.reply(`已销号 #${id}。${notified.length > 0 ? '已通知责任人。' : ''}`)
  },
})

/** 退回: sends a rectified item back with a reason. */
export const reopen = defineCommand<{ id: number; note: string }>({
  name: '退回',
  aliases: ['reopen'],
  summary: '整改不到位，退回继续整改',
  usage: '退回 编号 理由',
  example: '退回 12 公示材料不全，请补充',
  roles: ['org_admin', 'inspector'],
  parse(args) {
    const parsed = splitNote(args, 'reason')
    if (!parsed.note) throw new UserFacingError('no_reason', '请写明退回理由。')
    return parsed
  },
  async run(context, { id, note }) {
    const { after, notified, progressRestored } = await verifyItem(context.dataSource, context.actor, id, 'reopen', note, context.now())
    const progress = progressRestored ? `进度退回到 ${after.progress}%（报告完成前的进度）` : '报告完成前的进度没有记录，进度置为 0%，需责任人重新报告'
    context.reply(`已退回 #${id}，状态改为整改中，${progress}。${notified.length > 0 ? '已通知责任人。' : ''}`)
  },
})
