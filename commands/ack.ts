import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { parseItemNumber } from '../src/bot/parse-args.js'
import { replyList } from '../src/bot/reply-list.js'
import { acknowledgeCircular } from '../src/domain/circulars/acknowledge-circular.js'
import { kindLabel } from '../src/domain/circulars/circular-message.js'
import { unacknowledgedCirculars } from '../src/read-model/circulars.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate } from '../src/time/calendar-date.js'

/** 收到 [编号]: acknowledges a circular (通报) the person received; alone, the one waiting, or the list of those waiting. */
export const ack = defineCommand<{ id: number | null }>({
  name: '收到',
  aliases: ['ack', '收到了', '已收到'],
  summary: '确认收到通报',
  usage: '收到 [通报编号]',
  example: '收到 12',
  roles: 'everyone',
  // 「收到 谢谢」: words that are no number are a courtesy, not a circular's number.
  parse: (args) => ({ id: args.tokens[0] === undefined || !/\d/.test(args.tokens[0]) ? null : parseItemNumber(args.tokens[0], '通报编号') }),
  async run(context, { id }) {
    if (id !== null) return acknowledge(context, id)
    const waiting = await unacknowledgedCirculars(context.dataSource, context.sender.id)
    if (waiting.length === 0) return context.reply('您没有待确认的通报。')
    if (waiting.length === 1) return acknowledge(context, waiting[0]!.id)
    const today = beijingDate(context.now())
    const lines = waiting.map((c) => `- #${c.id}《${inertText(c.title)}》${c.sentAt ? `（${formatChineseDate(beijingDate(c.sentAt), today)}）` : ''}`)
    await replyList(context, '收到', { title: `您有 ${waiting.length} 份通报待确认，请逐份回复「收到 编号」：`, lines })
  },
})

async function acknowledge(context: CommandContext, id: number): Promise<void> {
  const outcome = await acknowledgeCircular(context.dataSource, id, context.sender.id, context.now())
  const label = `${kindLabel(outcome.circular.kind)} #${id}《${inertText(outcome.circular.title)}》`
  context.reply(outcome.first ? `已确认收到${label}，谢谢。` : `您已于 ${formatBeijingDateTime(outcome.acknowledgedAt)} 确认收到${label}，无需重复。`)
}
