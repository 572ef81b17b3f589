import { withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand } from '../src/bot/define-command.js'
import { parseItemNumber } from '../src/bot/parse-args.js'
import { markRectified } from '../src/domain/ledger/item-lifecycle.js'
import { UserFacingError } from '../src/errors.js'
import { attachedNote } from '../src/domain/evidence/attach-evidence.js'

/** 完成: marks an item rectified; the organization department is asked to verify it. */
export const done = defineCommand<{ id: number; note: string }>({
  name: '完成',
  aliases: ['done'],
  summary: '报告整改完成，提请销号',
  usage: '完成 编号 整改说明',
  example: '完成 12 已建立首问负责制并公示',
  roles: 'everyone',
  parse(args) {
    const parsed = { id: parseItemNumber(args.tokens[0]), note: withinLimit(args.rest(1), 'rectificationNote') }
    if (!parsed.note) throw new UserFacingError('no_note', '请写明整改情况，供组织部核实。')
    return parsed
  },
  async run(context, { id, note }) {
    // Photos sent in the next 30 minutes go to this item too (docs/evidence.md, Attaching).
    const { notified, attached } = await markRectified(context.dataSource, context.actor, id, note, context.now(), context.links)
    const who = notified.length > 0 ? '已通知组织部核实销号' : '组织部尚未配置管理员，请直接联系干部监督科核实'
    context.reply(`已标记 #${id} 整改完成，进度 100%。${who}。${attachedNote(attached)}`)
  },
})
