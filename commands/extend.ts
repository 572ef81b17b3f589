import type { CommandArgs } from '../src/bot/command-args.js'
import { withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand } from '../src/bot/define-command.js'
import { parseItemNumber, readDate, withDateReading } from '../src/bot/parse-args.js'
import { decideExtension, requestExtension } from '../src/domain/ledger/extension.js'
import { UserFacingError } from '../src/errors.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'

/** 延期: asks for a new due date. */
export const extend = defineCommand<{ id: number; date: string; reason: string }>({
  name: '延期',
  aliases: ['extend'],
  summary: '申请延期，由组织部审批',
  usage: '延期 编号 新日期 理由',
  example: '延期 12 9月30日 需等待省厅批复',
  roles: 'everyone',
  parse(args) {
    const id = parseItemNumber(args.tokens[0])
    const date = args.tokens[1]
    const reason = withinLimit(args.rest(2), 'reason', '延期理由')
    if (!date) throw new UserFacingError('no_date', '缺少新的完成日期。')
    if (!reason) throw new UserFacingError('no_reason', '请写明延期理由。')
    return { id, date, reason }
  },
  async run(context, { id, date, reason }) {
    const today = beijingDate(context.now())
    const asked = readDate(date, today)
    const request = await requestExtension(context.dataSource, context.actor, id, asked.date, reason, today, context.now(), context.links)
    context.reply(
      withDateReading(`已提交延期申请 #${request.id}：#${id} 从 ${formatChineseDate(request.oldDueDate, today)} 延至 ${formatChineseDate(asked.date, today)}，等待组织部审批，结果会通知您。`, asked, today),
    )
  },
})

const decision = (verdict: 'approved' | 'denied') => ({
  parse(args: CommandArgs) {
    return { id: parseItemNumber(args.tokens[0], '延期申请编号'), note: withinLimit(args.rest(1), 'opinion') }
  },
  async run(context: Parameters<typeof extend.run>[0], { id, note }: { id: number; note: string }) {
    const today = beijingDate(context.now())
    const { request, outcome, reason } = await decideExtension(context.dataSource, context.actor, id, verdict, note, today, context.now())
    context.reply(
      {
        approved: `已批准延期申请 #${id}：#${request.ledgerItemId} 的时限改为 ${formatChineseDate(request.newDueDate, today)}，已通知申请人。`,
        denied: `已驳回延期申请 #${id}，已通知申请人。`,
        expired: `未批准：延期申请 #${id} 已失效。${reason ?? ''}已通知申请人。`,
      }[outcome],
    )
  },
})

/** 批准: approves an extension request; the due date moves. */
export const approve = defineCommand<{ id: number; note: string }>({
  name: '批准',
  aliases: ['approve'],
  summary: '批准延期申请',
  usage: '批准 申请编号 [意见]',
  example: '批准 3 同意延期',
  roles: ['org_admin'],
  ...decision('approved'),
})

/** 驳回: denies an extension request. */
export const deny = defineCommand<{ id: number; note: string }>({
  name: '驳回',
  aliases: ['deny'],
  summary: '驳回延期申请',
  usage: '驳回 申请编号 [意见]',
  example: '驳回 3 理由不充分，请按期完成',
  roles: ['org_admin'],
  ...decision('denied'),
})
