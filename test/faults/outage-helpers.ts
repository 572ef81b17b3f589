import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { DataSource } from 'typeorm'
import type { DatabaseTarget } from '../../src/config/database-url.js'
import { createDataSource } from '../../src/db/create-data-source.js'
import { commands } from '../../commands/index.js'
import { createCommandRegistry } from '../../src/bot/command-registry.js'
import { createDispatcher } from '../../src/bot/dispatcher.js'
import { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from '../../src/delivery/delivery-worker.js'
import { createWeComTransport } from '../../src/delivery/wecom-transport.js'
import { createApp } from '../../src/http/create-app.js'
import { createLogger, type Logger } from '../../src/logger.js'
import { createWeComClient } from '../../src/wecom/wecom-client.js'
import { LedgerItemSchema, PersonSchema, type LedgerItem } from '../../src/db/entities/index.js'
import { seedLedger } from '../helpers/ledger-fixture.js'
import { openPassiveReply, post, SECRETS, sign, textXml } from '../helpers/wecom-callback-client.js'

/** The checkout, where the lock holder finds better-sqlite3. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Simulated time for the outage tests: it runs `speed` times faster than the real clock from
 * `start`, so that two minutes of outage take twelve real seconds at 10×, while every part that
 * is given the clock (the callback, the commands, the worker, the client's rate limits, the fake
 * WeCom server) sees production's durations. What must really take time (a hung request and
 * the client's timeout, the callbacks' latency) is measured on the real clock.
 */
export interface SimulatedClock {
  now(): number
  date(): Date
  /** Real milliseconds that `simulatedMs` of simulated time take. */
  real(simulatedMs: number): number
}

export function simulatedClock(start: string, speed: number): SimulatedClock {
  const simulatedStart = Date.parse(start)
  const realStart = performance.now()
  const now = () => simulatedStart + Math.round((performance.now() - realStart) * speed)
  return { now, date: () => new Date(now()), real: (simulatedMs) => simulatedMs / speed }
}

export interface OutageBot {
  /** The callback URL. */
  url: string
  worker: DeliveryWorker
  close(): Promise<void>
}

export interface OutageBotOptions {
  dataSource: DataSource
  /** Default: silent, or at FAULT_LOG_LEVEL when set. */
  logger?: Logger
  clock: SimulatedClock
  /** The fake WeCom server's URL. */
  wecomUrl: string
  /** The WeCom client's request timeout in real milliseconds. */
  timeoutMs: number
  worker?: Partial<Pick<DeliveryWorkerOptions, 'pollIntervalMs' | 'backoff' | 'claimTimeoutMs'>>
}

/**
 * The service as start-service.ts wires it (koa app with the callback, dispatcher and commands,
 * the outbox worker with the WeCom transport and client) in this process, on the simulated
 * clock, so a test can drive time and read the fakes' records directly.
 */
export async function startOutageBot(options: OutageBotOptions): Promise<OutageBot> {
  const { dataSource, clock } = options
  const logger = options.logger ?? createLogger((process.env.FAULT_LOG_LEVEL ?? 'silent') as 'silent')
  const now = clock.date
  const app = createApp({
    dataSource,
    logger,
    deliveryMode: 'wecom',
    now,
    callback: {
      path: '/wecom/callback',
      secrets: SECRETS,
      dispatcher: createDispatcher({ dataSource, registry: createCommandRegistry(commands), now }),
      timestampWindowSeconds: 300,
    },
  })
  const server: Server = createServer(app.callback())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const client = createWeComClient({ baseUrl: options.wecomUrl, corpId: SECRETS.corpId, agentId: 1000002, secret: 'fake-secret', timeoutMs: options.timeoutMs, now: clock.now })
  const worker = createDeliveryWorker({
    dataSource,
    transport: createWeComTransport(client, {}, { dataSource, now }),
    logger,
    quietHours: { startMinute: 21 * 60, endMinute: 8 * 60 },
    now,
    ...options.worker,
  })
  worker.start()
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`,
    worker,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await worker.stop()
    },
  }
}

export interface CallbackOutcome {
  status: number
  /** Real milliseconds from sending to the whole answer read. */
  ms: number
  /** The passive reply's text, if the answer carried one. */
  reply: string | null
}

/** Sends a text message as WeCom would (signed and encrypted at the simulated time) and times the answer. */
export async function sendText(url: string, clock: SimulatedClock, from: string, content: string, msgId?: string): Promise<CallbackOutcome> {
  const at = clock.date()
  const started = performance.now()
  const response = await post(url, sign(textXml(from, content, { at, msgId }), { at }))
  const body = await response.text()
  const ms = performance.now() - started
  return { status: response.status, ms, reply: response.status === 200 && body !== '' ? openPassiveReply(body).content : null }
}

/** Polls `check` every 50 ms until it holds; throws with `what` after `timeoutMs` real milliseconds. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await sleep(50)
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The most events in any window of `windowMs` (times in ms, any order). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let start = 0, end = 0; end < sorted.length; end += 1) {
    while (sorted[end]! - sorted[start]! >= windowMs) start += 1
    most = Math.max(most, end - start + 1)
  }
  return most
}

/** A figure line the fault report quotes: `[fault] name key=value …`. */
export function reportFigures(name: string, figures: Record<string, string | number>): void {
  console.log(`[fault] ${name} ${Object.entries(figures).map(([key, value]) => `${key}=${value}`).join(' ')}`)
}

/** A database outage a test can switch on and off. */
export interface DatabaseOutage {
  /** What the outage is, for the test's name and figures. */
  kind: string
  cut(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

/**
 * A TCP proxy on loopback between the service and MariaDB. `cut()` is the server going down:
 * the listener closes (new connections are refused) and every connection through the proxy is
 * destroyed; `restore()` listens again on the same port. Only connections this proxy opened
 * are ever closed: the MariaDB server is shared and is never stopped or told to kill anything.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<DatabaseOutage & { port: number; opened(): number; freeze(): void; thaw(): void }> {
  const sockets = new Set<Socket>()
  const pairs = new Set<{ client: Socket; upstream: Socket }>()
  /** Connections accepted while frozen: wired to MariaDB on thaw. */
  const waiting: (() => void)[] = []
  let frozen = false
  let opened = 0
  let server: NetServer | undefined
  const flow = ({ client, upstream }: { client: Socket; upstream: Socket }) => client.pipe(upstream).pipe(client)
  const wire = (client: Socket) => {
    const upstream = connect(target.port, target.host)
    const pair = { client, upstream }
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.once('close', () => {
        sockets.delete(socket)
        pairs.delete(pair)
      })
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    pairs.add(pair)
    flow(pair)
  }
  const listen = (port: number) =>
    new Promise<NetServer>((resolve, reject) => {
      const listener = createNetServer((client) => {
        opened += 1
        if (!frozen) return wire(client)
        client.pause()
        sockets.add(client)
        client.on('error', () => client.destroy())
        client.once('close', () => sockets.delete(client))
        waiting.push(() => (client.destroyed ? undefined : wire(client)))
      })
      listener.once('error', reject)
      listener.listen(port, '127.0.0.1', () => resolve(listener))
    })
  const stop = async () => {
    const closing = server
    server = undefined
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()))
  }
  server = await listen(0)
  const port = (server.address() as AddressInfo).port
  return {
    kind: 'MariaDB down (connections through a loopback proxy dropped, new ones refused)',
    port,
    opened: () => opened,
    async cut() {
      const closing = stop()
      for (const socket of sockets) socket.destroy()
      await closing
    },
    async restore() {
      server = await listen(port)
    },
    /** A network partition: nothing passes either way and nothing is closed; new connections get no answer. */
    freeze() {
      frozen = true
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.pause()
        upstream.pause()
      }
    },
    /** The partition heals: what was held back flows on. */
    thaw() {
      frozen = false
      for (const pair of pairs) flow(pair)
      for (const connectWaiting of waiting.splice(0)) connectWaiting()
    },
    async close() {
      const closing = stop()
      for (const socket of sockets) socket.destroy()
      await closing
    },
  }
}

/**
 * The service's own connection to `target` (initialized) and the outage a test switches on it: on
 * MariaDB a proxy the service reaches it through (the test reads the database directly), on SQLite
 * another process holding the write lock.
 */
export async function serviceBehindOutage(target: DatabaseTarget): Promise<{ outage: DatabaseOutage; service: DataSource }> {
  let outage: DatabaseOutage
  let service: DataSource
  if (target.kind === 'mysql') {
    const proxy = await startTcpProxy(target)
    outage = proxy
    service = await createDataSource({ ...target, host: '127.0.0.1', port: proxy.port })
  } else {
    outage = sqliteLockHolder(target.path)
    service = await createDataSource(target)
  }
  await service.initialize()
  return { outage, service }
}

/**
 * The embedded database's outage: another process (an administrator's sqlite3 shell, a backup,
 * a long CLI import) holds SQLite's write lock on the file. Readers go on (WAL); writers wait for
 * the busy timeout and then fail with SQLITE_BUSY. `restore()` ends that process, which frees the lock.
 */
export function sqliteLockHolder(path: string): DatabaseOutage {
  let holder: ChildProcess | undefined
  const script = `const db = require('better-sqlite3')(process.argv[1]); db.exec('BEGIN EXCLUSIVE'); console.log('locked'); setInterval(() => {}, 1000)`
  const end = async () => {
    const child = holder
    holder = undefined
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  return {
    kind: 'SQLite write lock held by another process',
    async cut() {
      const child = spawn(process.execPath, ['-e', script, path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
      holder = child
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve())
        child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before taking the lock`)))
      })
    },
    restore: end,
    close: end,
  }
}

/**
 * `count` ledger items of 城关镇 in progress at 50%, with 赵磊 (zhaolei) responsible, for a test
 * to report progress on; `label` names them.
 */
export async function seedItemsInProgress(dataSource: DataSource, count: number, label: string): Promise<LedgerItem[]> {
  const { chengguan } = await seedLedger(dataSource)
  const zhaolei = await dataSource.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhaolei' })
  const ledger = dataSource.getRepository(LedgerItemSchema)
  const { id: _id, ...fields } = await ledger.findOneByOrFail({ unitId: chengguan })
  const items: LedgerItem[] = []
  for (let i = 0; i < count; i += 1) items.push(await ledger.save({ ...fields, problem: `${label}第 ${i + 1} 项`, responsiblePersonId: zhaolei.id, status: 'in_progress', progress: 50 } as LedgerItem))
  return items
}
