import { randomUUID } from 'node:crypto'
import type { DataSource, Repository } from 'typeorm'
import type { QuietHours } from '../config/load-config.js'
import { OutboxMessageSchema, type OutboxMessage } from '../db/entities/index.js'
import type { Logger } from '../logger.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js'
import type { DeliveryReceipt, Transport } from './transport.js'

export interface DeliveryWorkerOptions {
  dataSource: DataSource
  transport: Transport
  logger: Logger
  quietHours: QuietHours
  now?: () => Date
  random?: () => number
  /** Names this worker in claimed_by; default host-pid-random. */
  workerId?: string
  /** Rows claimed at a time, default 50. */
  batchSize?: number
  /** Sends in flight at once (rows to the same recipients always go one after another), default 4. */
  concurrency?: number
  /** Pause between polls when there was nothing to do, default 1 s. */
  pollIntervalMs?: number
  /** A row `sending` for longer than this is taken to belong to a dead worker, default 5 min. */
  claimTimeoutMs?: number
  backoff?: BackoffPolicy
  /** Counts deliveries by outcome and rate-limit delays, default none. */
  metrics?: Metrics
}

export interface BatchResult {
  claimed: number
  sent: number
  retried: number
  deferred: number
  dead: number
  /** Rows another worker took over while this one was slow: left to it. */
  skipped: number
  /** Rows claimed but not begun when stop() came: pending again. */
  released: number
}

/** A send's outcome, to be written to its row. */
export interface Outcome {
  row: OutboxMessage
  claimToken: string
  kind: 'sent' | 'deferred' | 'retried' | 'dead'
  values: Partial<OutboxMessage>
  at: Date
  receipt?: DeliveryReceipt
  /** The send's slots get their answer's time (or are given back, when nothing was delivered) once the outcome is written. */
  slots?: 'settle' | 'release'
}

/** What every part of one delivery worker shares: its settings, and the little state it keeps. */
export interface WorkerContext {
  readonly dataSource: DataSource
  readonly transport: Transport
  readonly outbox: Repository<OutboxMessage>
  readonly logger: Logger
  readonly metrics: Metrics
  readonly now: () => Date
  readonly random: () => number
  readonly workerId: string
  readonly quietHours: QuietHours
  readonly batchSize: number
  readonly concurrency: number
  readonly pollIntervalMs: number
  readonly claimTimeoutMs: number
  readonly backoff: BackoffPolicy
  /** Through WeCom only: the console sends nowhere, no WeCom limit to keep, no outcome to doubt. */
  readonly budgeted: boolean
  /** Claims made so far, numbering each claim's token. */
  claims: number
  /** When send slots were last pruned (epoch ms). */
  prunedAt: number
  /** stop() was called: no lane begins another row. */
  stopping: boolean
  /** Ends the poll loop's pause early (set while it pauses). */
  wake: (() => void) | undefined
  /**
   * What the database must still be told after it failed, in this order before anything new is
   * claimed: outcomes of sends that happened (so a sent row is not sent again), claims whose
   * rows were not begun (pending again at once, not after the claim timeout), and the alert for
   * rows that died.
   */
  readonly unrecorded: Set<Outcome>
  /** Rows reserved ahead and never begun (outbox id → the reservation's time): their slots are given back before their claims. */
  readonly unbegun: Map<number, Date>
  readonly unreleased: Set<string>
  readonly unalerted: OutboxMessage[]
}

export function createWorkerContext(options: DeliveryWorkerOptions): WorkerContext {
  const { dataSource, transport } = options
  const workerId = options.workerId ?? `worker-${process.pid}-${randomUUID().slice(0, 8)}`
  return {
    dataSource,
    transport,
    outbox: dataSource.getRepository(OutboxMessageSchema),
    logger: options.logger.child({ component: 'delivery', workerId, transport: transport.name }),
    metrics: options.metrics ?? NO_METRICS,
    now: options.now ?? (() => new Date()),
    random: options.random ?? Math.random,
    workerId,
    quietHours: options.quietHours,
    batchSize: options.batchSize ?? 50,
    concurrency: options.concurrency ?? 4,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    claimTimeoutMs: options.claimTimeoutMs ?? 5 * 60_000,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    budgeted: transport.name === 'wecom',
    claims: 0,
    prunedAt: 0,
    stopping: false,
    wake: undefined,
    unrecorded: new Set<Outcome>(),
    unbegun: new Map<number, Date>(),
    unreleased: new Set<string>(),
    unalerted: [],
  }
}
