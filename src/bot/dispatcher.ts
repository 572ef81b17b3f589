import { inertText } from '../wecom/inert-text.js'
import type { DataSource, EntityManager } from 'typeorm'
import { bindToTransaction } from '../db/bind-to-transaction.js'
import { isTransientDatabaseError } from '../db/retry-on-deadlock.js'
import type { InboundStatus } from '../db/entities/index.js'
import { enqueue } from '../outbox/enqueue.js'
import type { Attachment } from '../outbox/stored-files.js'
import { StateConflictError, UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import { beijingDate } from '../time/calendar-date.js'
import type { WeComInbound } from '../wecom/callback/inbound-message.js'
import { markdown, text, type AppMessage } from '../wecom/messages.js'
import { ROLE_NAMES, type CommandRegistry } from './command-registry.js'
import type { CommandContext } from './define-command.js'
import { orgAdmins } from '../domain/roster/org-admins.js'
import { loadSender } from './load-sender.js'
import { splitMessage } from './command-args.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'

export interface DispatchResult {
  /** The answer to the sender, if any. */
  reply: AppMessage | null
  /** A file sent right after the answer (e.g. the monthly workbook for 月报 汇总). */
  attachment?: Attachment
  status: InboundStatus
  /** For the log line: what happened, e.g. "command:帮助", "unknown_command". */
  outcome: string
}

export interface Dispatcher {
  /**
   * Handles a message. Given `manager` (the callback's transaction, which also records the
   * message's outcome), the command runs inside it, in a savepoint: its change commits with the
   * outcome or not at all. Without one, the command gets a transaction of its own.
   */
  dispatch(message: WeComInbound, logger: Logger, manager?: EntityManager): Promise<DispatchResult>
}

export interface DispatcherDependencies {
  dataSource: DataSource
  registry: CommandRegistry
  now?: () => Date
  /**
   * How long a sender's roster entry and roles are reused, default 10 s: every message looks
   * them up, and the roster changes by import or by hand, rarely. A change applies within this.
   */
  senderCacheMs?: number
  /** The configured group robots' names (WECOM_ROBOTS), default none. */
  robotNames?: readonly string[]
  /** Counts commands by name and outcome, default none. */
  metrics?: Metrics
}

const ONLY_TEXT = '目前只能识别文字命令。请发送「帮助」查看可用命令。'

/**
 * Turns a verified WeCom message into a command invocation: resolves the sender against the
 * roster, finds the command (or suggests the closest), checks who may run it, parses the
 * arguments, runs it with a small context, and returns the answer. Events: entering the app
 * gets a greeting with the featured commands, at most once a day per person.
 */
export function createDispatcher({ dataSource, registry, now = () => new Date(), senderCacheMs = 10_000, robotNames = [], metrics = NO_METRICS }: DispatcherDependencies): Dispatcher {
  const senders = new Map<string, { value: Awaited<ReturnType<typeof loadSender>>; until: number }>()
  /**
   * Every read goes through `db`: inside the message's transaction that is its own connection,
   * never a second one from the pool (ten transactions each waiting for an eleventh connection
   * would wait for ever).
   */
  async function senderOf(userid: string, db: DataSource) {
    const cached = senders.get(userid)
    if (cached && cached.until > Date.now()) return cached.value
    const value = await loadSender(db, userid)
    if (senders.size > 10_000) senders.clear()
    senders.set(userid, { value, until: Date.now() + senderCacheMs })
    return value
  }

  async function greet(message: WeComInbound, logger: Logger, manager?: EntityManager): Promise<DispatchResult> {
    const sender = await senderOf(message.from, manager ? bindToTransaction(dataSource, manager) : dataSource)
    if (!sender) return { reply: null, status: 'ignored', outcome: 'greeting_unregistered' }
    const featured = registry
      .allowedFor(sender.roles)
      .filter((command) => command.featured !== undefined)
      .sort((a, b) => a.featured! - b.featured!)
      .slice(0, 3)
    const lines = featured.map((command) => `- \`${command.usage}\` ${command.summary}`)
    const at = now()
    const greeting = (manager: EntityManager) =>
      enqueue(
        manager,
        {
          dedupeKey: `greeting:${sender.person.userid}:${beijingDate(at)}`,
          subject: { kind: 'reply', id: null, person: sender.person.id },
          to: { users: [sender.person.userid] },
          message: markdown(`${inertText(sender.person.name)}，您好！我是专项治理督办助手。常用命令：\n${lines.join('\n')}`),
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

  async function runText(content: string, from: string, logger: Logger, outer?: EntityManager): Promise<DispatchResult> {
    const db = outer ? bindToTransaction(dataSource, outer) : dataSource
    const sender = await senderOf(from, db)
    if (!sender) {
      const contacts = (await orgAdmins(db)).map((admin) => admin.name)
      const who = contacts.length > 0 ? `县委组织部干部监督科（${contacts.join('、')}）` : '县委组织部干部监督科'
      metrics.command('none', 'unregistered')
      return {
        reply: text(`您的企业微信账号（${from}）尚未登记在专项治理花名册中，暂时不能使用命令。请联系${who}登记。`),
        status: 'unregistered',
        outcome: 'unregistered',
      }
    }
    const { word, args } = splitMessage(content)
    if (word === '') return { reply: text('请发送命令，例如「帮助」。'), status: 'processed', outcome: 'empty' }
    const command = registry.find(word)
    if (!command) {
      const guess = registry.suggest(word)
      const hint = guess ? `您是不是想用「${guess.name}」（${guess.usage}）？` : ''
      metrics.command('none', 'unknown_command')
      return {
        reply: text(`没有「${word.slice(0, 20)}」这个命令。${hint}发送「帮助」查看可用命令。`),
        status: 'processed',
        outcome: 'unknown_command',
      }
    }
    if (!registry.isAllowed(command, sender.roles)) {
      const allowed = command.roles === 'everyone' ? [] : command.roles.map((role) => ROLE_NAMES[role])
      metrics.command(command.name, 'denied')
      return {
        reply: text(`「${command.name}」只有${allowed.join('、')}可以使用。发送「帮助」查看您可用的命令。`),
        status: 'processed',
        outcome: `denied:${command.name}`,
      }
    }
    let answer: AppMessage | null = null
    let attachment: Attachment | undefined
    const context: CommandContext = {
      sender: sender.person,
      roles: sender.roles,
      actor: sender,
      args,
      reply: (message, file) => {
        answer = typeof message === 'string' ? text(message) : message
        attachment = file
      },
      logger: logger.child({ command: command.name }),
      dataSource,
      registry,
      robotNames,
      now,
    }
    // The command's writes are a savepoint of the message's transaction: a refusal or a failure
    // takes back whatever it wrote, and the outcome is still recorded.
    const run = (manager: EntityManager) =>
      manager.transaction(async (savepoint) => command.run({ ...context, dataSource: bindToTransaction(dataSource, savepoint) }, command.parse(args)))
    try {
      await (outer ? run(outer) : dataSource.transaction(run))
    } catch (error) {
      if (error instanceof UserFacingError) {
        metrics.command(command.name, 'bad_arguments')
        return {
          reply: text(error instanceof StateConflictError ? error.message : `${error.message}\n用法：${command.usage}\n示例：${command.example}`),
          status: 'processed',
          outcome: `bad_arguments:${command.name}`,
        }
      }
      // A deadlock victim is run again whole (the callback's transaction): counted once, then.
      if (!isTransientDatabaseError(error)) metrics.command(command.name, 'failed')
      throw error
    }
    metrics.command(command.name, 'ok')
    return { reply: answer, ...(attachment ? { attachment } : {}), status: 'processed', outcome: `command:${command.name}` }
  }

  return {
    async dispatch(message, logger, manager) {
      switch (message.kind) {
        case 'text':
          return runText(message.content, message.from, logger, manager)
        case 'event':
          if (message.event === 'enter_agent' || message.event === 'subscribe') return greet(message, logger, manager)
          return { reply: null, status: 'ignored', outcome: `event:${message.event}` }
        case 'other':
          return { reply: text(ONLY_TEXT), status: 'ignored', outcome: `unsupported:${message.msgType}` }
      }
    },
  }
}
