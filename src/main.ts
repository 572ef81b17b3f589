import { loadConfig } from './config/load-config.js'
import { withEnvFile } from './config/read-env-file.js'
import { isOperatorFacing } from './errors.js'
import { createLogger } from './logger.js'
import { formatBanner } from './service/banner.js'
import { startService } from './service/start-service.js'

/** How long shutdown may take before the process exits anyway (under the usual 30 s SIGKILL grace). */
const SHUTDOWN_DEADLINE_MS = 25_000

/** Entry point of `npm start`: wires config, logger and service, and shuts down on Ctrl-C / SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig(withEnvFile(process.env))
  const logger = createLogger(config.logLevel)
  const service = await startService(config, logger)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    // A send or a command that hangs must not keep the process: WeCom answers within its 10 s
    // request timeout, so this is reached only when something is stuck. Rows still claimed are
    // taken again by the next instance after the claim timeout.
    setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting')
      process.exit(1)
    }, SHUTDOWN_DEADLINE_MS).unref()
    try {
      await service.close()
      logger.info('shut down cleanly')
      process.exit(0)
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    }
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
  // Only now that Ctrl-C is handled does the banner say the service is up.
  process.stdout.write(formatBanner(config, service.port, service.demo, service.adminPort))
  logger.info({ port: service.port, delivery: config.wecom ? 'wecom' : 'console' }, 'service started')
}

main().catch((error: unknown) => {
  if (isOperatorFacing(error)) {
    process.stderr.write(`\n启动失败 (start-up failed): ${error.message}\n\n`)
  } else {
    process.stderr.write(`\n启动失败 (start-up failed): ${String((error as Error)?.stack ?? error)}\n\n`)
  }
  process.exit(1)
})
