import type { EntityManager } from 'typeorm'
import { enqueue } from '../outbox/enqueue.js'
import type { Logger } from '../logger.js'
import { beijingDate } from '../time/calendar-date.js'
import type { WeComInbound } from '../wecom/callback/inbound-message.js'
import { inertText } from '../wecom/inert-text.js'
import { markdown } from '../wecom/messages.js'
import { shortUsage } from './define-command.js'
import { readerFor, senderOf, type DispatchResult, type DispatcherContext } from './dispatcher-context.js'

/** Entering the app: a greeting with the featured commands the person may use, at most once a day. */
export async function greet(context: DispatcherContext, message: WeComInbound, logger: Logger, manager?: EntityManager): Promise<DispatchResult> {
  const { dataSource, registry, now } = context
  const sender = await senderOf(context, message.from, readerFor(context, manager))
  if (!sender) return { reply: null, status: 'ignored', outcome: 'greeting_unregistered' }
  const featured = registry
    .allowedFor(sender.roles)
    .filter((command) => command.featured !== undefined)
    .sort((a, b) => a.featured! - b.featured!)
    .slice(0, 3)
  const lines = featured.map((command) => `- \`${shortUsage(command, sender.roles)}\` ${command.summary}`)
  const at = now()
  const greeting = (manager: EntityManager) =>
    enqueue(
      manager,
      {
        dedupeKey: `greeting:${sender.person.userid}:${beijingDate(at)}`,
        subject: { kind: 'reply', id: null, person: sender.person.id },
        to: { users: [sender.person.userid] },
        message: markdown(`${inertText(sender.person.name)}，您好！我是专项治理督办助手。常用命令：\n${lines.join('\n')}\n发送「帮助」查看全部命令。`),
        reply: true,
        // An answer to someone who just opened the app: not held back by quiet hours.
        urgent: true,
      },
      at,
    )
  const inserted = await (manager ? greeting(manager) : dataSource.transaction(greeting))
  logger.debug({ greeted: inserted > 0 }, 'enter_agent')
  return { reply: null, status: 'processed', outcome: inserted > 0 ? 'greeting' : 'greeting_already_today' }
}
