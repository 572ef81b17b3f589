import { Command, CommanderError, Help } from 'commander'
import { loadConfig, type Config } from '../config/load-config.js'
import { withEnvFile } from '../config/read-env-file.js'
import { createLogger, type Logger } from '../logger.js'
import { configureOfficeHours } from '../time/office-hours.js'

/** commander's section titles, in Chinese. */
const TITLES: Record<string, string> = { 'Usage:': '用法：', 'Arguments:': '参数：', 'Options:': '选项：', 'Commands:': '命令：', 'Global Options:': '全局选项：' }

/**
 * commander's own error messages (English, fixed texts in its source), in Chinese, in the
 * words the hand-written parsing used before. Anything not listed keeps its English text
 * without the "error:" prefix.
 */
const ERRORS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^error: unknown command '(.*?)'/, '未知的命令「$1」。'],
  [/^error: unknown option '(.*?)'/, '参数有误：不认识的选项 $1。'],
  [/^error: option '(.*?)' argument missing/, '参数有误：选项 $1 后面缺少值。'],
  [/^error: missing required argument '(.*?)'/, '参数有误：缺少 <$1>。'],
  [/^error: required option '(.*?)' not specified/, '参数有误：缺少选项 $1。'],
  [/^error: too many arguments(?: for '.*?')?\. Expected (\d+) arguments? but got (\d+)\./, '参数有误：多余的参数（应有 $1 个，收到 $2 个）。'],
  [/\n\(Did you mean (?:one of )?(.*?)\?\)/, '\n（是不是要输入 $1？）'],
  [/^error: /, ''],
]

/** One of commander's error messages (as its outputError receives them) in Chinese. */
export function chineseError(message: string): string {
  return ERRORS.reduce((text, [pattern, chinese]) => text.replace(pattern, chinese), message)
}

/** Terminal columns: a Chinese character takes two, so that the help's columns line up. */
function displayWidth(text: string): number {
  const plain = text.replace(/\x1b\[\d*(;\d*)*m/g, '')
  return plain.length + (plain.match(/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/g)?.length ?? 0)
}

/**
 * The root of a command line (`npm run cli --`, `npm run chat --`) whose help and errors are in
 * Chinese. Subcommands made with `.command()` inherit all of it. Nothing exits the process from
 * inside commander: a refusal throws a CommanderError (already printed, followed by the help of
 * the command concerned) that runCli turns into the exit code; an unknown command exits 2, as
 * the hand-written parsing did, every other refusal 1, `--help` 0. Options have no commander
 * defaults (their help line would say "default:"): a description says the default instead.
 * A program with subcommands adds `.helpCommand('help [命令]', …)` itself (it would make a leaf
 * program like the chat simulator take the word "help" as a command).
 */
export function chineseProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .helpOption('-h, --help', '显示帮助')
    .configureHelp({
      styleTitle: (title) => TITLES[title] ?? title,
      commandUsage: (command) => new Help().commandUsage(command).replace('[options]', '[选项]').replace('[command]', '[命令]'),
      subcommandTerm: (command) => new Help().subcommandTerm(command).replace(' [options]', ' [选项]'),
      displayWidth,
      // Chinese has no spaces to break a line at: a description stays on one line.
      boxWrap: (text) => text,
    })
    .configureOutput({ outputError: (text, write) => write(chineseError(text)) })
    .showHelpAfterError()
    .showSuggestionAfterError()
    .exitOverride((error) => {
      throw error.code === 'commander.unknownCommand' ? new CommanderError(2, error.code, error.message) : error
    })
}

/**
 * The group named by the whole command line (`npm run cli`, `npm run cli -- meeting`): asked
 * without a subcommand, it answers with its help on stdout and exit code 0, where commander would
 * print it as an error.
 */
export function bareGroup(program: Command, argv: readonly string[]): Command | undefined {
  let command = program
  for (const word of argv) {
    const sub = command.commands.find((c) => c.name() === word)
    if (!sub) return undefined
    command = sub
  }
  return command.commands.length > 0 ? command : undefined
}

/** An action whose result is the process's exit code (the command line's runCli exits with it). */
export function exitCode<A extends unknown[]>(action: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await action(...args)
  }
}

/** What every admin command gets. The configuration is read on first use: `--help` needs none. */
export interface CliContext {
  config(): Readonly<Config>
  logger(): Logger
  print(line: string): void
}

export function cliContext(): CliContext {
  let config: Readonly<Config> | undefined
  let logger: Logger | undefined
  const context: CliContext = {
    config: () => {
      if (!config) configureOfficeHours((config = loadConfig(withEnvFile(process.env))).officeHours)
      return config
    },
    // The CLI's own output is what a person reads: the log says only what went wrong.
    logger: () => (logger ??= createLogger(context.config().logLevel === 'info' ? 'warn' : context.config().logLevel)),
    print: (line) => process.stdout.write(`${line}\n`),
  }
  return context
}
