import type { DataSource } from 'typeorm'
import type { Attachment } from '../outbox/stored-files.js'
import type { Person, Role } from '../db/entities/index.js'
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
  now(): Date
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
  /** Shown first in greetings and help (lower first); unset: not featured. */
  featured?: number
  /** Turns the arguments into what `run` needs; throws UserFacingError with what was wrong. */
  parse(args: CommandArgs): Parsed
  run(context: CommandContext, parsed: Parsed): Promise<void>
}

/** A command whatever its parsed arguments: the registry holds commands of every shape. */
// biome-ignore lint: the parsed type differs per command and only the command itself reads it.
export type AnyCommand = CommandDefinition<any>

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
