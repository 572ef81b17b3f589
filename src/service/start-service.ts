import { configureOfficeHours } from '../time/office-hours.js'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DataSource } from 'typeorm'
import { commands } from '../../commands/index.js'
import { createCommandRegistry } from '../bot/command-registry.js'
import { createDispatcher } from '../bot/dispatcher.js'
import { dashboardLinks } from '../domain/dashboard-links.js'
import { currentCampaign } from '../domain/campaign/current-campaign.js'
import { runStartupCatchUps, scheduledJobs } from '../jobs/index.js'
import { lastCoveredYear } from '../time/work-calendar.js'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { StartupError } from '../errors.js'
import { createDeliveryWorker, type DeliveryWorker } from '../delivery/delivery-worker.js'
import { consoleFetcher, fetchRefusal, wecomFetcher } from '../domain/evidence/media-fetchers.js'
import { createEvidenceWorker } from '../jobs/evidence-downloads.js'
import { createClient, createTransport } from '../delivery/create-transport.js'
import { isDatabaseEmpty, seedDemo, type DemoSummary } from '../domain/demo/seed-demo.js'
import { loadPlan } from '../domain/plan/load-plan.js'
import { createApp } from '../http/create-app.js'
import { createAdminApp } from '../http/create-admin-app.js'
import { createReadinessCheck } from '../http/check-readiness.js'
import { createInFlight } from '../http/in-flight.js'
import { createMetrics } from './create-metrics.js'
import type { Logger } from '../logger.js'
import { createScheduler, type Scheduler } from '../scheduler/create-scheduler.js'
import { beijingDate } from '../time/calendar-date.js'
import type { CallbackSecrets } from '../wecom/callback/open-callback.js'
import { loadOrCreateDevSecrets, recordDevCallbackUrl } from './dev-callback-secrets.js'
import { randomBytes } from 'node:crypto'
import type { DashboardSettings } from '../http/dashboard/register-dashboard.js'
import type { WeComClient } from '../wecom/wecom-client.js'

export interface RunningService {
  port: number
  /** The admin listener's port (/healthz, /readyz, /metrics); null when ADMIN_PORT=off. */
  adminPort: number | null
  dataSource: DataSource
  demo: DemoSummary | null
  scheduler: Scheduler
  worker: DeliveryWorker
  close(): Promise<void>
}

export interface ServiceOptions {
  now?: () => Date
  /** Where console delivery mode prints messages (default stdout). */
  print?: (text: string) => void
}

/**
 * The dashboard's settings (docs/dashboard.md): with WeCom, on when DASHBOARD_URL and
 * DASHBOARD_SECRET are set, signing in through WeCom; in console mode always on, on this
 * listener, with the development login and a secret made now (sessions end with the process).
 */
function dashboardOptions(config: Readonly<Config>, client: WeComClient | null): DashboardSettings | undefined {
  const { url, secret } = config.dashboard
  if (config.wecom && client) {
    if (!url || !secret) return undefined
    return { publicUrl: url, secret, wecom: { corpId: config.wecom.corpId, agentId: config.wecom.agentId, identify: (code) => client.loginIdentity(code) } }
  }
  return { publicUrl: url ?? `http://localhost:${config.port}`, secret: secret ?? randomBytes(32).toString('hex'), wecom: null }
}

/**
 * Starts everything in order: plan check, database (migrated), demo data when the database
 * is empty and nothing real is configured, HTTP server, scheduler. `close()` undoes it in
 * reverse: HTTP closed (work in flight finished), scheduler and worker stopped, database closed.
 */
export async function startService(config: Readonly<Config>, logger: Logger, options: ServiceOptions = {}): Promise<RunningService> {
  const now = options.now ?? (() => new Date())
  const print = options.print ?? ((text: string) => void process.stdout.write(text))
  const plan = loadPlan(config.plan)
  configureOfficeHours(config.officeHours)
  const dataSource = await openDatabase(config.database, logger)
  const servers: Server[] = []
  const inFlight = createInFlight()
  let closing = false
  try {
    const demo = (await shouldSeedDemo(config, dataSource)) ? await seedDemo(dataSource, plan, beijingDate(now())) : null
    if (demo) logger.info({ campaignId: demo.campaignId, people: demo.people, ledgerItems: demo.ledgerItems }, 'demo data seeded')
    const { metrics, registry } = createMetrics({ dataSource, logger, quietHours: config.quietHours, now })
    const client = createClient(config, metrics, now)
    const dashboard = dashboardOptions(config, client)
    // Console mode's dashboard is on this listener, at whatever port it gets (PORT=0 in tests).
    let bound: number | null = null
    const links = dashboard ? dashboardLinks(config.wecom ? dashboard.publicUrl : (config.dashboard.url ?? (() => `http://localhost:${bound ?? config.port}`))) : null

    const app = createApp({
      dataSource,
      logger,
      deliveryMode: config.wecom ? 'wecom' : 'console',
      now,
      callback: {
        path: config.callbackPath,
        secrets: callbackSecrets(config),
        dispatcher: createDispatcher({ dataSource, registry: createCommandRegistry(commands), now, robotNames: Object.keys(config.robots), quietHours: config.quietHours, metrics, links }),
        timestampWindowSeconds: config.callbackWindowSeconds,
        metrics,
        inFlight,
      },
      dashboard,
      trustProxy: config.trustProxy,
    })
    const handler = app.callback()
    const server = await listen((req, res) => {
      // Shutting down: no new work. WeCom retries a callback it got no 200 for (docs/architecture.md, How the code is built).
      if (closing) return void res.writeHead(503, { connection: 'close', 'retry-after': '5' }).end()
      inFlight.track(new Promise((resolve) => res.once('close', resolve)))
      void handler(req, res)
    }, config.host, config.port)
    servers.push(server)
    bound = (server.address() as AddressInfo).port
    // Console mode: `npm run chat` finds this service, on whatever port it got, through the dev callback file.
    if (!config.wecom) recordDevCallbackUrl(config.devCallbackFile, `http://${localAddress(config.host)}:${(server.address() as AddressInfo).port}${config.callbackPath}`)
    let adminServer: Server | null = null
    if (config.adminPort !== null) {
      const admin = createAdminApp({ logger, deliveryMode: client ? 'wecom' : 'console', readiness: createReadinessCheck({ dataSource, wecom: client }), registry, token: config.adminToken, now })
      adminServer = await listen(admin.callback(), config.adminHost, config.adminPort, ADMIN_NAMES)
      servers.push(adminServer)
      if (!config.adminToken && !isLoopback(config.adminHost)) logger.warn({ adminHost: config.adminHost }, 'the admin endpoints listen beyond loopback without ADMIN_TOKEN: anyone who can reach them reads /metrics and /readyz')
    }
    const worker = createDeliveryWorker({ dataSource, transport: createTransport(config, dataSource, print, client, now), logger, quietHours: config.quietHours, now, metrics, concurrency: config.deliveryConcurrency })
    worker.start()
    // Evidence people send is downloaded while WeCom keeps it (docs/evidence.md, Keeping); console mode reads the simulator's folder.
    const fetch = client ? wecomFetcher(client) : consoleFetcher(config.consoleMediaDirectory)
    const evidence = createEvidenceWorker(dataSource, { fetch, refusal: fetchRefusal, maxBytes: config.evidenceMaxBytes, logger: logger.child({ component: 'evidence' }) }, now)
    evidence.start()
    // Every scheduled job is listed in src/jobs/index.ts.
    const jobContext = { dataSource, logger, config, metrics }
    const scheduler = createScheduler(scheduledJobs(jobContext), logger)
    await runStartupCatchUps(jobContext, now())
    warnIfCalendarRunsOut(dataSource, logger, now())
    const port = (server.address() as AddressInfo).port
    return {
      port,
      adminPort: adminServer ? (adminServer.address() as AddressInfo).port : null,
      dataSource,
      demo,
      scheduler,
      worker,
      async close() {
        // New connections and requests are refused; the requests being answered, the commands
        // still running after theirs was answered and the sends in flight finish; rows claimed
        // but not begun go back to the outbox at once; then the database is closed.
        closing = true
        const closed = servers.map((open) => new Promise<void>((resolve) => open.close(() => resolve())))
        for (const open of servers) open.closeIdleConnections()
        await Promise.all([inFlight.settled(), scheduler.stop(), worker.stop(), evidence.stop()])
        for (const open of servers) open.closeAllConnections()
        await Promise.all(closed)
        await dataSource.destroy()
      },
    }
  } catch (error) {
    for (const open of servers) open.close()
    await dataSource.destroy()
    throw error
  }
}

/** Working days are known only as far as the holiday calendar goes: say so when a campaign runs past it. */
function warnIfCalendarRunsOut(dataSource: DataSource, logger: Logger, now: Date): void {
  void currentCampaign(dataSource, beijingDate(now)).then((campaign) => {
    if (campaign && Number(campaign.endDate.slice(0, 4)) > lastCoveredYear()) {
      logger.warn(
        { campaignEnd: campaign.endDate, calendarUntil: lastCoveredYear() },
        `节假日数据只到 ${lastCoveredYear()} 年：之后按周一至周五计算工作日，请升级 chinese-days（npm update chinese-days）`,
      )
    }
  }, (error: unknown) => logger.warn({ err: error }, 'could not check the holiday calendar against the campaign'))
}

/** The app's callback credentials; in console mode, local ones for `npm run chat`. */
export function callbackSecrets(config: Readonly<Config>): CallbackSecrets {
  return config.wecom
    ? { token: config.wecom.token, aesKey: config.wecom.aesKey, corpId: config.wecom.corpId }
    : loadOrCreateDevSecrets(config.devCallbackFile)
}

/** Where this machine reaches a listener on `host`: loopback for the wildcard addresses. */
function localAddress(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

async function shouldSeedDemo(config: Readonly<Config>, dataSource: DataSource): Promise<boolean> {
  if (config.demoData === 'off') return false
  // Never seed demo people into a real WeCom deployment unless asked to explicitly.
  if (config.demoData === 'auto' && config.wecom) return false
  return isDatabaseEmpty(dataSource)
}

const PUBLIC_NAMES = { host: 'HOST', port: 'PORT' }
const ADMIN_NAMES = { host: 'ADMIN_HOST', port: 'ADMIN_PORT' }

function listen(handler: RequestListener, host: string, port: number, names = PUBLIC_NAMES): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler)
    server.once('error', (error: NodeJS.ErrnoException) => {
      const fixes: Record<string, string> = {
        EADDRINUSE: `端口 ${port} 已被占用：停止占用它的程序，或把 ${names.port} 设为其他端口（0 表示任选空闲端口）`,
        EACCES: `没有权限监听端口 ${port}：使用 1024 以上的端口，或以有权限的用户运行`,
        ENOTFOUND: `${names.host}「${host}」无法解析：设为本机地址，例：0.0.0.0 或 127.0.0.1`,
        EADDRNOTAVAIL: `${names.host}「${host}」不是本机地址：设为 0.0.0.0 或 127.0.0.1`,
      }
      reject(
        new StartupError('listen_failed', `无法在 ${host}:${port} 上启动 HTTP 服务（${error.code ?? error.message}）。${fixes[error.code ?? ''] ?? `请检查 ${names.host} 与 ${names.port}`}。`, { cause: error }),
      )
    })
    server.listen(port, host, () => resolve(server))
  })
}
