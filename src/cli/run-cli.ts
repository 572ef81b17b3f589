import { CommanderError, type Command } from 'commander'
import { isOperatorFacing, UserFacingError } from '../errors.js'
import { bareGroup } from './program.js'

/**
 * Runs a command line (chineseProgram) on this process's arguments and exits with its code: the
 * action's (exitCode), or commander's when it refused the arguments or showed the help (it has
 * printed what was wrong already). A problem meant for the person at the terminal (bad
 * arguments, configuration, an unreachable database) is printed as its message alone; anything
 * else with its stack, since that is a bug.
 */
export function runCli(program: Command, argv: readonly string[] = process.argv.slice(2)): void {
  const group = bareGroup(program, argv)
  const run = group ? Promise.resolve(group.outputHelp()) : program.parseAsync([...argv], { from: 'user' })
  run.then(
    () => process.exit(),
    (error: unknown) => {
      if (error instanceof CommanderError) process.exit(error.exitCode)
      if (isOperatorFacing(error) || error instanceof UserFacingError) process.stderr.write(`${error.message}\n`)
      else process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`)
      process.exit(1)
    },
  )
}
