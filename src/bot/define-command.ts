import type { DataSource } from 'typeorm'
import type { QuietHours } from '../config/load-config.js'
import type { Attachment } from '../outbox/stored-files.js'
import type { Person, Role } from '../db/entities/index.js'
import type { DashboardLinks } from '../domain/dashboard-links.js'
import type { Actor } from '../domain/ledger/ledger-access.js'
import type { Logger } from '../logger.js'
import type { AppMessage } from '../wecom/messages.js'
import type { CommandArgs } from './command-args.js'

/** The small typed context every command gets (docs/architecture.md, How the code is built): never raw HTTP. */
export interface CommandContext {
  /** The verified sender, resolved to the roster. */
  sender: Person
  /** The roles the sender holds. */
  roles: readonly Role[]
  /** The sender with the units their roles apply to, for permission checks on items. */
  actor: Actor
  /** Everything after the command word. */
  args: CommandArgs
  /**
   * The answer to send back: text, or a markdown message, and optionally a file sent right
   * after it (stored with the answer, in the same transaction). The last call wins.
   */
  reply(message: string | AppMessage, attachment?: Attachment): void
  logger: Logger
  dataSource: DataSource
  registry: CommandRegistry
  /** The names of the configured group robots (WECOM_ROBOTS), for audiences such as 群 lianxi. */
  robotNames: readonly string[]
  /** The service's quiet window (QUIET_HOURS): statuses say when held messages go (docs/delivery.md). */
  quietHours: QuietHours
  /** The dashboard's pages when it is on (docs/dashboard.md, Links), else null. */
  links: DashboardLinks | null
  now(): Date
}

/**
 * One sub-verb of a command with several (会议 新建, 通报 撤回): help shows a person only the
 * verbs their roles allow (docs/chat.md, Help).
 */
export interface CommandVerb {
  /** How to type it, e.g. "会议 改期 编号 日期 时刻". */
  usage: string
  /** A real example. */
  example: string
  /** Who may use it; default: whoever may use the command. */
  roles?: readonly Role[]
}

export interface CommandDefinition<Parsed = unknown> {
  /** The Chinese name people type, e.g. "帮助". */
  name: string
  /** Other words for it, e.g. "help", "?". */
  aliases: readonly string[]
  /** One line for the help list. */
  summary: string
  /** How to type it, e.g. "帮助 [命令]". */
  usage: string
  /** A real example, e.g. "帮助 进度". */
  example: string
  /** Who may run it. */
  roles: readonly Role[] | 'everyone'
  /** The command's sub-verbs, when it has several; `usage` is then their short form for the help list. */
  verbs?: readonly CommandVerb[]
  /**
   * The first argument, when given, is always one of the verbs (会议, 通报): a verb the sender may
   * not use is refused before its arguments are read. Not so for 月报, whose report may begin
   * with 汇总.
   */
  verbFirst?: boolean
  /** Shown first in greetings and help (lower first); unset: not featured. */
  featured?: number
  /** Turns the arguments into what `run` needs; throws UserFacingError with what was wrong. */
  parse(args: CommandArgs): Parsed
  run(context: CommandContext, parsed: Parsed): Promise<void>
}

/** A command whatever its parsed arguments: the registry holds commands of every shape. */
// biome-ignore lint: the parsed type differs per command and only the command itself reads it.
export type AnyCommand = CommandDefinition<any>

/** The sub-verbs a person with these roles may use (all verbs the command has when it has none: the command itself). */
export function verbsFor(command: AnyCommand, roles: readonly Role[]): CommandVerb[] {
  const verbs = command.verbs ?? [{ usage: command.usage, example: command.example }]
  return verbs.filter((verb) => !verb.roles || verb.roles.some((role) => roles.includes(role)))
}

/**
 * How a command reads in the help list: its usage, or for a command with sub-verbs, the verbs
 * this person may use (`会议 列表|详情`), whose arguments 「帮助 会议」 shows.
 */
export function shortUsage(command: AnyCommand, roles: readonly Role[]): string {
  if (!command.verbs) return command.usage
  const verbs = verbsFor(command, roles)
  if (verbs.length === 1) return stripNote(verbs[0]!.usage)
  return `${command.name} ${verbs.map(verbWord).join('|')}`
}

/** "会议 新建（换行写…）" → "会议 新建": the note in brackets is for the full usage only. */
const stripNote = (usage: string) => usage.replace(/（.*$/, '')

/**
 * The 用法/示例 lines added to an answer when the arguments were wrong: for a command with
 * sub-verbs, the verb typed (if the sender may use it), else the verbs the sender may use.
 */
export function usageLines(command: AnyCommand, roles: readonly Role[], typedVerb: string | undefined): { usage: string; example: string } {
  if (!command.verbs) return { usage: command.usage, example: command.example }
  const verbs = verbsFor(command, roles)
  const typed = verbs.find((verb) => verbWord(verb) === typedVerb)
  if (typed) return { usage: typed.usage, example: typed.example }
  return { usage: verbs.map((verb) => verb.usage).join('；'), example: verbs[0]?.example ?? command.example }
}

/** The sub-verb typed as the first argument ("会议 新建 …" → 新建) of a verbFirst command. */
export function typedVerb(command: AnyCommand, token: string | undefined): CommandVerb | undefined {
  return token === undefined || !command.verbFirst ? undefined : command.verbs?.find((verb) => verbWord(verb) === token)
}

/** "会议 新建（换行写…）" → "新建". */
const verbWord = (verb: CommandVerb) => stripNote(verb.usage.split(/\s+/)[1] ?? '')

/** Declares a chat command as data (one file per command in commands/). */
export function defineCommand<Parsed>(definition: CommandDefinition<Parsed>): CommandDefinition<Parsed> {
  return Object.freeze(definition)
}

/** The commands, as the dispatcher and 帮助 see them (built by createCommandRegistry). */
export interface CommandRegistry {
  readonly all: readonly AnyCommand[]
  /** By name or alias, case-insensitive. */
  find(word: string): AnyCommand | undefined
  /** The closest command to a mistyped word, if any is close enough. */
  suggest(word: string): AnyCommand | undefined
  /** The commands a person with these roles may run. */
  allowedFor(roles: readonly Role[]): AnyCommand[]
  isAllowed(command: AnyCommand, roles: readonly Role[]): boolean
}
