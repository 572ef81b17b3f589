import { isOperatorFacing, UserFacingError } from '../errors.js'

/**
 * Runs a command-line entry point and exits with its code. A problem meant for the person at the
 * terminal (bad arguments, configuration, an unreachable database) is printed as its message
 * alone; anything else with its stack, since that is a bug.
 */
export function runCli(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (isOperatorFacing(error) || error instanceof UserFacingError) process.stderr.write(`${error.message}\n`)
      else process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`)
      process.exit(1)
    },
  )
}
