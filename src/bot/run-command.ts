import type { DataSource, EntityManager } from 'typeorm'
import { bindToTransaction } from '../db/bind-to-transaction.js'
import { isTransientDatabaseError } from '../db/retry-on-deadlock.js'
import type { Attachment } from '../outbox/stored-files.js'
import { RefusalError, StateConflictError, UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import { text, type AppMessage } from '../wecom/messages.js'
import { splitMessage, type CommandArgs } from './command-args.js'
import { ROLE_NAMES, type CommandRegistry } from './command-registry.js'
import { typedVerb, usageLines, type AnyCommand, type CommandContext } from './define-command.js'
import type { DispatchResult, DispatcherContext } from './dispatcher-context.js'
import type { Sender } from './load-sender.js'

/** A text read as a command of the sender's: found, allowed, then run (a question's answer comes here too). */
export async function runCommandText(context: DispatcherContext, sender: Sender, content: string, logger: Logger, outer?: EntityManager): Promise<DispatchResult> {
  const { registry } = context
  const { word, args, command } = readCommand(registry, content)
  if (word === '') return { reply: text('请发送命令，例如「帮助」。'), status: 'processed', outcome: 'empty' }
  if (!command) return unknownCommand(context, word)
  if (!registry.isAllowed(command, sender.roles)) return denied(context, command)
  // A sub-verb of others' (会议 新建 typed by a responsible person) is refused before its arguments are read.
  const verb = typedVerb(command, args.tokens[0])
  if (verb?.roles && !verb.roles.some((role) => sender.roles.includes(role))) return denied(context, command, verb.roles, `${command.name} ${args.tokens[0]}`)
  return runCommand(context, command, sender, args, logger, outer)
}

/**
 * The command a text names, read as every text is (docs/chat-input.md): glued to its number
 * (进度12), after a "/", before punctuation (「收到。」「待办！」「收到，谢谢」); undefined when none.
 */
export function readCommand(registry: CommandRegistry, content: string): { word: string; args: CommandArgs; command: AnyCommand | undefined } {
  const { word, args } = splitMessage(content, (typed) => registry.find(typed) !== undefined)
  const command = word === '' ? undefined : (registry.find(word) ?? registry.find(word.split(/[。！!？?，,、~～…]/)[0] ?? ''))
  return { word, args, command }
}

function unknownCommand(context: DispatcherContext, word: string): DispatchResult {
  const guess = context.registry.suggest(word)
  const hint = guess ? `您是不是想用「${guess.name}」（${guess.usage}）？` : ''
  context.metrics.command('none', 'unknown_command')
  return {
    reply: text(`没有「${word.slice(0, 20)}」这个命令。${hint}发送「帮助」查看可用命令。`),
    status: 'processed',
    outcome: 'unknown_command',
  }
}

function denied(context: DispatcherContext, command: AnyCommand, roles = command.roles, what = command.name): DispatchResult {
  const allowed = roles === 'everyone' ? [] : roles.map((role) => ROLE_NAMES[role])
  context.metrics.command(command.name, 'denied')
  return {
    reply: text(`「${what}」只有${allowed.join('、')}可以使用。发送「帮助」查看您可用的命令。`),
    status: 'processed',
    outcome: `denied:${command.name}`,
    refused: 'denied',
  }
}

/** What the command passed to `reply` (the last call wins). */
interface Answer {
  message: AppMessage | null
  attachment?: Attachment | undefined
}

async function runCommand(context: DispatcherContext, command: AnyCommand, sender: Sender, args: CommandArgs, logger: Logger, outer?: EntityManager): Promise<DispatchResult> {
  const { dataSource, metrics } = context
  const answer: Answer = { message: null }
  const commandContext = commandContextFor(context, command, sender, args, logger, answer)
  // The command's writes are a savepoint of the message's transaction: a refusal or a failure
  // takes back whatever it wrote, and the outcome is still recorded.
  const run = (manager: EntityManager) =>
    manager.transaction(async (savepoint) => command.run({ ...commandContext, dataSource: bindToTransaction(dataSource, savepoint) }, command.parse(args)))
  try {
    await (outer ? run(outer) : dataSource.transaction(run))
  } catch (error) {
    if (error instanceof UserFacingError) {
      // What a refusal still writes (its own savepoint, or its own transaction without a message's).
      const afterwards = error instanceof RefusalError ? error.afterwards : undefined
      if (afterwards) await (outer ? outer.transaction((m) => afterwards(bindToTransaction(dataSource, m))) : dataSource.transaction((m) => afterwards(bindToTransaction(dataSource, m))))
      return refused(context, command, error, usageLines(command, sender.roles, args.tokens[0]))
    }
    // A deadlock victim is run again whole (the callback's transaction): counted once, then.
    if (!isTransientDatabaseError(error)) metrics.command(command.name, 'failed')
    throw error
  }
  metrics.command(command.name, 'ok')
  const { attachment } = answer
  return { reply: answer.message, ...(attachment ? { attachment } : {}), status: 'processed', outcome: `command:${command.name}` }
}

function commandContextFor(context: DispatcherContext, command: AnyCommand, sender: Sender, args: CommandArgs, logger: Logger, answer: Answer): CommandContext {
  return {
    sender: sender.person,
    roles: sender.roles,
    actor: sender,
    args,
    reply: (message, file) => {
      answer.message = typeof message === 'string' ? text(message) : message
      answer.attachment = file
    },
    logger: logger.child({ command: command.name }),
    dataSource: context.dataSource,
    registry: context.registry,
    robotNames: context.robotNames,
    quietHours: context.quietHours,
    links: context.links,
    now: context.now,
  }
}

/**
 * The person typed something that could not be read: what was wrong, the usage and an example.
 * A refusal of something read well (the item is closed, not theirs, the date past) says why
 * alone: the usage would suggest they mistyped (docs/chat-input.md).
 */
function refused(context: DispatcherContext, command: AnyCommand, error: UserFacingError, usage: { usage: string; example: string }): DispatchResult {
  context.metrics.command(command.name, 'bad_arguments')
  return {
    reply: text(error instanceof RefusalError ? error.message : withUsage(error.message, usage)),
    status: 'processed',
    outcome: `bad_arguments:${command.name}`,
    refused: !(error instanceof RefusalError) ? 'input' : error.code === 'denied' ? 'denied' : error instanceof StateConflictError ? 'state' : 'said',
    refusalCode: error.code,
  }
}

/** The answer with 用法 and 示例, unless it already shows a multi-line example (a template such as 登记's is shown once). */
function withUsage(message: string, { usage, example }: { usage: string; example: string }): string {
  return example.includes('\n') && message.includes(example) ? message : `${message}\n用法：${usage}\n示例：${example}`
}
