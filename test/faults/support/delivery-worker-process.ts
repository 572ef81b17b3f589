/**
 * A process that runs only the outbox delivery worker, wired as `npm start` wires it (the same
 * config loading, database opening, transport and worker), for the fault tests to kill and
 * restart cheaply. The environment is the service's; FAULT_CLAIM_TIMEOUT_MS and FAULT_POLL_MS
 * shorten the worker's claim timeout (default 5 min) and poll interval (default 1 s) so that a
 * test does not wait minutes for rows a killed worker held. SIGTERM stops it as the service does.
 */
import { loadConfig } from '../../../src/config/load-config.js'
import { openDatabase } from '../../../src/db/open-database.js'
import { createDeliveryWorker } from '../../../src/delivery/delivery-worker.js'
import { createLogger } from '../../../src/logger.js'
import { createTransport } from '../../../src/delivery/create-transport.js'

const config = loadConfig(process.env)
const logger = createLogger(config.logLevel)
const dataSource = await openDatabase(config.database, logger)
const worker = createDeliveryWorker({
  dataSource,
  transport: createTransport(config, dataSource, (text) => void process.stdout.write(text)),
  logger,
  quietHours: config.quietHours,
  concurrency: config.deliveryConcurrency,
  claimTimeoutMs: Number(process.env.FAULT_CLAIM_TIMEOUT_MS ?? 5 * 60_000),
  pollIntervalMs: Number(process.env.FAULT_POLL_MS ?? 1000),
})
worker.start()
process.once('SIGTERM', () => {
  void worker
    .stop()
    .then(() => dataSource.destroy())
    .then(() => process.exit(0))
})
process.stdout.write(`delivery worker ready (pid ${process.pid})\n`)
