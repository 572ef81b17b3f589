import { defineCommand } from '../src/bot/define-command.js'
import { markdown } from '../src/wecom/messages.js'
import { quoteTyped } from '../src/domain/text/text-limits.js'

/** 帮助: the commands this person may use, or one command's usage with an example. */
export const help = defineCommand<{ topic: string }>({
  name: '帮助',
  aliases: ['help', '?', '？'],
  summary: '查看可用命令，或某个命令的用法',
  usage: '帮助 [命令]',
  example: '帮助 帮助',
  roles: 'everyone',
  featured: 99,
  parse: (args) => ({ topic: args.tokens[0] ?? '' }),
  async run(context, { topic }) {
    const { registry, roles } = context
    if (topic) {
      const command = registry.find(topic) ?? registry.suggest(topic)
      if (!command) {
        context.reply(`没有「${quoteTyped(topic)}」这个命令。发送「帮助」查看全部可用命令。`)
        return
      }
      const aliases = command.aliases.length > 0 ? `（也可输入 ${command.aliases.join('、')}）` : ''
      context.reply(markdown(`**${command.name}**${aliases}\n${command.summary}\n用法：\`${command.usage}\`\n示例：\`${command.example}\``))
      return
    }
    const lines = registry
      .allowedFor(roles)
      .map((command) => `- \`${command.usage}\` ${command.summary}`)
    context.reply(markdown(`**可用命令**\n${lines.join('\n')}\n发送「帮助 命令名」查看用法和示例。`))
  },
})
