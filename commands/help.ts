import { defineCommand, shortUsage, verbsFor, type AnyCommand } from '../src/bot/define-command.js'
import { ROLE_NAMES } from '../src/bot/command-registry.js'
import type { Role } from '../src/db/entities/index.js'
import { markdown } from '../src/wecom/messages.js'
import { quoteTyped } from '../src/domain/text/text-limits.js'

/** 帮助: the commands this person may use, or one command's usage with examples (docs/chat.md, Help). */
export const help = defineCommand<{ topic: string }>({
  name: '帮助',
  aliases: ['help', '?', '？'],
  summary: '查看可用命令，或某个命令的用法',
  usage: '帮助 [命令]',
  example: '帮助 进度',
  roles: 'everyone',
  featured: 99,
  parse: (args) => ({ topic: args.tokens[0] ?? '' }),
  async run(context, { topic }) {
    const { registry, roles } = context
    if (!topic) {
      const lines = registry
        .allowedFor(roles)
        .filter((command) => command !== help)
        .map((command) => `- \`${shortUsage(command, roles)}\` ${command.summary}`)
      context.reply(markdown(`**可用命令**\n${lines.join('\n')}\n「帮助 命令」看用法和示例`))
      return
    }
    const command = registry.find(topic) ?? registry.suggest(topic)
    if (!command) {
      context.reply(`没有「${quoteTyped(topic)}」这个命令。发送「帮助」查看全部可用命令。`)
      return
    }
    context.reply(markdown(commandHelp(command, roles, registry.isAllowed(command, roles))))
  },
})

function commandHelp(command: AnyCommand, roles: readonly Role[], allowed: boolean): string {
  const aliases = command.aliases.length > 0 ? `（也可输入 ${command.aliases.join('、')}）` : ''
  const head = `**${command.name}**${aliases}\n${command.summary}`
  if (!allowed) {
    const who = command.roles === 'everyone' ? [] : command.roles.map((role) => ROLE_NAMES[role])
    return `${head}\n此命令供${who.join('、')}使用，您当前的身份不能使用。`
  }
  if (!command.verbs) return `${head}\n用法：\`${command.usage}\`\n示例：\`${command.example}\``
  const verbs = verbsFor(command, roles).map((verb) => `- \`${verb.usage}\`\n  例：${verb.example.replaceAll('\n', '\n  ')}`)
  return `${head}\n${verbs.join('\n')}`
}
