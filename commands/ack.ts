import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { parseItemNumber } from '../src/bot/parse-args.js'
import { acknowledgeCircular } from '../src/domain/circulars/acknowledge-circular.js'
import { kindLabel } from '../src/domain/circulars/circular-message.js'
import { formatBeijingDateTime } from '../src/time/calendar-date.js'

/** 收到: acknowledges a circular (通报) the person received. */
export const ack = defineCommand<{ id: number }>({
  name: '收到',
  aliases: ['ack'],
  summary: '确认收到通报',
  usage: '收到 通报编号',
  example: '收到 12',
  roles: 'everyone',
  parse: (args) => ({ id: parseItemNumber(args.tokens[0], '通报编号') }),
  async run(context, { id }) {
    const outcome = await acknowledgeCircular(context.dataSource, id, context.sender.id, context.now())
    const label = `${kindLabel(outcome.circular.kind)} #${id}《${inertText(outcome.circular.title)}》`
    context.reply(outcome.first ? `已确认收到${label}，谢谢。` : `您已于 ${formatBeijingDateTime(outcome.acknowledgedAt)} 确认收到${label}，无需重复。`)
  },
})
