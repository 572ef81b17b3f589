import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DataSource } from 'typeorm'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { isDatabaseEmpty, seedDemo, type DemoSummary } from '../domain/demo/seed-demo.js'
import { loadPlan } from '../domain/plan/load-plan.js'
import { createApp } from '../http/create-app.js'
import type { Logger } from '../logger.js'
import { createScheduler, type Scheduler } from '../scheduler/create-scheduler.js'
import { beijingDate } from '../time/calendar-date.js'

export interface RunningService {
  port: number
  dataSource: DataSource
  demo: DemoSummary | null
  scheduler: Scheduler
  close(): Promise<void>
}

/**
 * Starts everything in order: plan check, database (migrated), demo data when the database
 * is empty and nothing real is configured, HTTP server, scheduler. `close()` undoes it in
 * reverse: HTTP closed, scheduler stopped, database closed.
 */
export async function startService(config: Readonly<Config>, logger: Logger, now = () => new Date()): Promise<RunningService> {
  const plan = loadPlan(config.plan)
  const dataSource = await openDatabase(config.database, logger)
  try {
    const demo = (await shouldSeedDemo(config, dataSource)) ? await seedDemo(dataSource, plan, beijingDate(now())) : null
    if (demo) logger.info({ campaignId: demo.campaignId, people: demo.people, ledgerItems: demo.ledgerItems }, 'demo data seeded')

    const app = createApp({ dataSource, logger, deliveryMode: config.wecom ? 'wecom' : 'console', now })
    const server = await listen(app.callback(), config.host, config.port)
    // The reminder sweeps and the delivery worker register their jobs here as they are built.
    const scheduler = createScheduler([], logger)
    const port = (server.address() as AddressInfo).port
    return {
      port,
      dataSource,
      demo,
      scheduler,
      async close() {
        await new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeAllConnections()
        await scheduler.stop()
        await dataSource.destroy()
      },
    }
  } catch (error) {
    await dataSource.destroy()
    throw error
  }
}

async function shouldSeedDemo(config: Readonly<Config>, dataSource: DataSource): Promise<boolean> {
  if (config.demoData === 'off') return false
  // Never seed demo people into a real WeCom deployment unless asked to explicitly.
  if (config.demoData === 'auto' && config.wecom) return false
  return isDatabaseEmpty(dataSource)
}

function listen(handler: RequestListener, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler)
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
