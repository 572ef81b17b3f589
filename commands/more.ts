import { defineCommand } from '../src/bot/define-command.js'
import { LIST_KEPT_MINUTES, takeNextPage } from '../src/domain/conversation/list-pages.js'
import { markdown } from '../src/wecom/messages.js'

/** 更多: the next page of the last list this person asked for (docs/chat.md, Long lists). */
export const more = defineCommand<Record<string, never>>({
  name: '更多',
  aliases: ['下一页', 'more'],
  summary: '列表的下一页',
  usage: '更多',
  example: '更多',
  roles: 'everyone',
  parse: () => ({}),
  async run(context) {
    const next = await takeNextPage(context.dataSource, context.sender.id, context.now())
    if (next.kind === 'page') context.reply(markdown(next.text))
    else if (next.kind === 'expired') context.reply(`上一个列表已超过 ${LIST_KEPT_MINUTES} 分钟，请重新发送「${next.command}」。`)
    else context.reply(`没有可以继续查看的列表：列表分页时才用「更多」，保留 ${LIST_KEPT_MINUTES} 分钟。`)
  },
})
