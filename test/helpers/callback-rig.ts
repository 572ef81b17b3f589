import { createHash } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DataSource } from 'typeorm'
import type { QuietHours } from '../../src/config/load-config.js'
import { commands } from '../../commands/index.js'
import { createCommandRegistry, type CommandRegistry } from '../../src/bot/command-registry.js'
import { createDispatcher } from '../../src/bot/dispatcher.js'
import { InboundMessageSchema, OutboxMessageSchema } from '../../src/db/entities/index.js'
import { createApp } from '../../src/http/create-app.js'
import type { DashboardSettings } from '../../src/http/dashboard/register-dashboard.js'
import { createLogger, type Logger } from '../../src/logger.js'
import { cardTapXml, eventXml, mediaXml, newMsgId, openPassiveReply, post, SECRETS, sign, textXml, type MediaFields } from './wecom-callback-client.js'

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
  /** A clock that moves (overrides `now`). */
  clock?: () => Date
  /** Default silent. */
  logger?: Logger
  /** Default every command of commands/index.ts. */
  registry?: CommandRegistry
  /** The service's quiet window (QUIET_HOURS), default none. */
  quietHours?: QuietHours
  /** The dashboard on the same app (its actions through the callback's dispatcher), default off. */
  dashboard?: DashboardSettings
}

/**
 * The real koa app with the WeCom callback on a loopback port, the real dispatcher and commands,
 * at a fixed clock: `say` posts a signed, encrypted message as WeCom would and returns what the
 * person is answered; `sayAtOnce` fires several at the same moment; `url` takes requests made by hand.
 */
export async function startCallbackRig(dataSource: DataSource, options: RigOptions = {}) {
  const clock = options.clock ?? (() => options.now ?? new Date())
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
    dashboard: options.dashboard,
  })
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`

  async function say(from: string, content: string): Promise<Said> {
    const msgId = newMsgId()
    const at = clock()
    const response = await post(url, sign(textXml(from, content, { msgId, at }), { at }))
    return { from, content, status: response.status, answer: await answerTo(await response.text(), { msgId }) }
  }

  /** What the person reads: the passive reply, or the outbox's answer to the inbound row found by `where` (a card's answer: its fallback). */
  async function answerTo(body: string, where: { msgId: string } | { dedupeKey: string }): Promise<string> {
    if (body !== '') return openPassiveReply(body).content
    const inbound = await dataSource.getRepository(InboundMessageSchema).findOneBy(where)
    const reply = inbound ? await dataSource.getRepository(OutboxMessageSchema).findOneBy({ dedupeKey: `reply:${inbound.id}` }) : null
    if (!reply) return ''
    const payload = JSON.parse(reply.payload) as { text?: { content: string }; markdown?: { content: string }; fallback?: { text?: { content: string }; markdown?: { content: string } } }
    const shown = payload.fallback ?? payload
    return shown.text?.content ?? shown.markdown?.content ?? ''
  }

  /** A tap on a card's button (optionally choosing a digest's item), as WeCom posts it. */
  async function tap(from: string, taskId: string, key: string, options: { select?: string; responseCode?: string } = {}): Promise<Said & { responseCode: string; passive: boolean }> {
    const at = clock()
    const responseCode = options.responseCode ?? `rc-${newMsgId()}`
    const response = await post(url, sign(cardTapXml(from, taskId, key, { at, responseCode, select: options.select }), { at }))
    const body = await response.text()
    const identity = `card:${from.toLowerCase()}:${taskId}:${key}:${responseCode}`
    // As src/wecom/callback/inbound-message.ts keys it: hashed whole when longer than the column.
    const dedupeKey = identity.length <= 191 ? identity : `event#${createHash('sha256').update(identity).digest('hex')}`
    const answer = await answerTo(body, { dedupeKey })
    return { from, content: `[${key}]`, status: response.status, answer, responseCode, passive: body !== '' }
  }

  /** A photo, voice note, video or location sent to the app; `answer` is the passive reply, '' when the answer goes through the outbox. */
  async function media(from: string, fields: MediaFields): Promise<{ status: number; answer: string; msgId: string }> {
    const msgId = newMsgId()
    const at = clock()
    const response = await post(url, sign(mediaXml(from, fields, { msgId, at }), { at }))
    const body = await response.text()
    return { status: response.status, answer: body === '' ? '' : openPassiveReply(body).content, msgId }
  }

  /** A tap on the app's menu item with this key. */
  async function menu(from: string, key: string): Promise<Said> {
    const at = clock()
    const response = await post(url, sign(eventXml(from, 'click', { at, eventKey: key }), { at }))
    const answer = await answerTo(await response.text(), { dedupeKey: `event:${from.toLowerCase()}:${Math.floor(at.getTime() / 1000)}:click:${key}:` })
    return { from, content: `[menu ${key}]`, status: response.status, answer }
  }

  return {
    url,
    /** The app's own address, e.g. for the dashboard: http://127.0.0.1:port */
    base: new URL(url).origin,
    say,
    tap,
    menu,
    media,
    /** Every message posted at the same moment; the answers in the order given. */
    sayAtOnce: (messages: readonly (readonly [string, string])[]) => Promise.all(messages.map(([from, content]) => say(from, content))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
