import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DataSource } from 'typeorm'
import type { QuietHours } from '../../src/config/load-config.js'
import { commands } from '../../commands/index.js'
import { createCommandRegistry, type CommandRegistry } from '../../src/bot/command-registry.js'
import { createDispatcher } from '../../src/bot/dispatcher.js'
import { InboundMessageSchema, OutboxMessageSchema } from '../../src/db/entities/index.js'
import { createApp } from '../../src/http/create-app.js'
import { createLogger, type Logger } from '../../src/logger.js'
import { newMsgId, openPassiveReply, post, SECRETS, sign, textXml } from './wecom-callback-client.js'

export interface Said {
  from: string
  content: string
  status: number
  /** The answer the person reads: the passive reply, or the outbox's answer to the message. */
  answer: string
}

export interface RigOptions {
  /** The service's clock, default the real one. */
  now?: Date
  /** Default silent. */
  logger?: Logger
  /** Default every command of commands/index.ts. */
  registry?: CommandRegistry
  /** The service's quiet window (QUIET_HOURS), default none. */
  quietHours?: QuietHours
}

/**
 * The real koa app with the WeCom callback on a loopback port, the real dispatcher and commands,
 * at a fixed clock: `say` posts a signed, encrypted message as WeCom would and returns what the
 * person is answered; `sayAtOnce` fires several at the same moment; `url` takes requests made by hand.
 */
export async function startCallbackRig(dataSource: DataSource, options: RigOptions = {}) {
  const clock = () => options.now ?? new Date()
  const app = createApp({
    dataSource,
    logger: options.logger ?? createLogger('silent'),
    deliveryMode: 'wecom',
    now: clock,
    callback: {
      path: '/wecom/callback',
      secrets: SECRETS,
      dispatcher: createDispatcher({ dataSource, registry: options.registry ?? createCommandRegistry(commands), now: clock, senderCacheMs: 0, quietHours: options.quietHours }),
      replyBudgetMs: 3000,
    },
  })
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`

  async function say(from: string, content: string): Promise<Said> {
    const msgId = newMsgId()
    const at = clock()
    const response = await post(url, sign(textXml(from, content, { msgId, at }), { at }))
    const body = await response.text()
    let answer = ''
    if (body !== '') answer = openPassiveReply(body).content
    else {
      const inbound = await dataSource.getRepository(InboundMessageSchema).findOneBy({ msgId })
      const reply = inbound ? await dataSource.getRepository(OutboxMessageSchema).findOneBy({ dedupeKey: `reply:${inbound.id}` }) : null
      if (reply) {
        const payload = JSON.parse(reply.payload) as { text?: { content: string }; markdown?: { content: string } }
        answer = payload.text?.content ?? payload.markdown?.content ?? ''
      }
    }
    return { from, content, status: response.status, answer }
  }

  return {
    url,
    say,
    /** Every message posted at the same moment; the answers in the order given. */
    sayAtOnce: (messages: readonly (readonly [string, string])[]) => Promise.all(messages.map(([from, content]) => say(from, content))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
