import { appendFileSync } from 'node:fs'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll } from 'vitest'
import { enqueueMany } from '../../../src/outbox/enqueue.js'
import { text } from '../../../src/wecom/messages.js'
import { createWeComClient, type WeComClient } from '../../../src/wecom/wecom-client.js'
import { startFakeWeCom, type DeliveredMessage, type FakeWeCom } from '../../fakes/fake-wecom-server.js'
import { SECRETS } from '../../helpers/wecom-callback-client.js'
import { spawnService, type ServiceProcess } from '../../helpers/service-process.js'
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/test-database.js'

/**
 * Shared parts of the fault suite (test/faults/*.fault.ts, `npm run test:faults`): the fake
 * WeCom server the child processes deliver to, their environment, the delivery-worker process,
 * seeded randomness, waiting with a bound, and the figures each test reports.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const WECOM = { corpId: SECRETS.corpId, secret: 'fault-suite-secret', agentId: 1000002 }

export interface FaultRig {
  db: MigratedDatabase
  fake: FakeWeCom
}

/**
 * A fresh database (SQLite, or MariaDB with TEST_MYSQL_URL) and the fake WeCom server for one
 * file's tests, seeded by `prepare` and closed after them. The processes a test started are
 * killed after it by test/helpers/service-process.ts, whether it passed or not.
 */
export function useFaultRig(prepare: (rig: FaultRig) => Promise<void>): FaultRig {
  const rig = {} as FaultRig
  beforeAll(async () => {
    rig.db = await createMigratedDatabase()
    rig.fake = await startFaultWeCom()
    await prepare(rig)
  })
  afterAll(async () => {
    await rig.fake?.close()
    await rig.db?.close()
  })
  return rig
}

/** The fake WeCom API server, with the credentials faultEnv() gives the child processes. */
export function startFaultWeCom(): Promise<FakeWeCom> {
  return startFakeWeCom(WECOM)
}

/** A WeCom client of the test itself, with the processes' credentials (to create an app group chat, say). */
export function faultClient(fake: FakeWeCom): WeComClient {
  return createWeComClient({ baseUrl: fake.url, corpId: WECOM.corpId, agentId: WECOM.agentId, secret: WECOM.secret })
}

/**
 * The environment of a service or worker process under test: WeCom credentials pointing at the
 * fake, no quiet hours (the suite passes at any hour), no demo data, quiet logs.
 */
export function faultEnv(databaseUrl: string, fake: FakeWeCom, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    QUIET_HOURS: 'off',
    DEMO_DATA: 'off',
    LOG_LEVEL: 'warn',
    WECOM_CORP_ID: WECOM.corpId,
    WECOM_AGENT_ID: String(WECOM.agentId),
    WECOM_SECRET: WECOM.secret,
    WECOM_TOKEN: SECRETS.token,
    WECOM_AES_KEY: SECRETS.aesKey,
    WECOM_API_BASE: fake.url,
    ...extra,
  }
}

/** Starts test/faults/support/delivery-worker-process.ts and waits until it is delivering. */
export async function startDeliveryWorker(env: Record<string, string>): Promise<ServiceProcess> {
  const worker = spawnService(env, 'test/faults/support/delivery-worker-process.ts')
  await worker.waitFor(/delivery worker ready/, 60_000)
  return worker
}

/** The process's exit code, or a failure if it has not exited within `timeoutMs`. */
export async function exitWithin(process: ServiceProcess, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms; output:\n${process.output().slice(-2000)}`)), timeoutMs)
  })
  try {
    return await Promise.race([process.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Waits for `done()` to be true, checking every `everyMs`; fails after `timeoutMs` saying what it waited for. */
export async function waitUntil(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

/**
 * A seeded random source (mulberry32), so a failing run can be repeated: FAULT_SEED=… reruns
 * with the seed a report printed.
 */
export function seededRandom(seed = Number(process.env.FAULT_SEED ?? Date.now() % 2 ** 31)): { seed: number; next: () => number } {
  let state = seed >>> 0
  return {
    seed,
    next() {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    },
  }
}

/**
 * `count` distinct app messages, "故障测试 <tag> 第N条", to `members` recipients in turn, stored
 * as the sweeps store them (one transaction, enqueueMany). Their content identifies them in
 * what the fake received.
 */
export async function enqueueNumbered(dataSource: DataSource, tag: string, count: number, members = 100): Promise<void> {
  const messages = Array.from({ length: count }, (_, i) => ({
    dedupeKey: `fault:${tag}:${i}`,
    subject: { kind: 'other' as const, id: null },
    to: { users: [`member${i % members}`] },
    message: text(`故障测试 ${tag} 第${i + 1}条`),
  }))
  await dataSource.transaction((manager) => enqueueMany(manager, messages, new Date(Date.now() - 1000)))
}

/** What reached WeCom, per message content: how often it arrived and how often the duplicate check dropped it. */
export function deliveriesByContent(delivered: readonly DeliveredMessage[]): Map<string, DeliveredMessage[]> {
  const byContent = new Map<string, DeliveredMessage[]>()
  for (const message of delivered) {
    const content = String((message.body.text as { content?: string } | undefined)?.content ?? (message.body.markdown as { content?: string } | undefined)?.content)
    byContent.set(content, [...(byContent.get(content) ?? []), message])
  }
  return byContent
}

/**
 * Prints one line of figures for the report (and appends it to FAULT_FIGURES_FILE when set):
 * `[fault] <test> <database>: key=value …`.
 */
export function reportFigures(test: string, database: string, figures: Record<string, string | number>): void {
  const line = `[fault] ${test} (${database}): ${Object.entries(figures).map(([key, value]) => `${key}=${value}`).join(' ')}`
  console.log(line)
  if (process.env.FAULT_FIGURES_FILE) appendFileSync(process.env.FAULT_FIGURES_FILE, `${line}\n`)
}
