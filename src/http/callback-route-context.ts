import type { DataSource, Repository } from 'typeorm'
import type { Dispatcher } from '../bot/dispatcher.js'
import { createInboundWriter, type InboundWriter, type InboundWriterOptions } from '../bot/inbound-writer.js'
import { InboundMessageSchema, type InboundMessage } from '../db/entities/index.js'
import type { Logger } from '../logger.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'
import type { CallbackSecrets } from '../wecom/callback/open-callback.js'
import type { InFlight } from './in-flight.js'

export interface CallbackRouteOptions {
  path: string
  secrets: CallbackSecrets
  dataSource: DataSource
  dispatcher: Dispatcher
  logger: Logger
  now?: () => Date
  /** How long the answer may take to go back in the HTTP response (passive reply), default 1.5 s. */
  replyBudgetMs?: number
  /** Largest body accepted, default 64 KiB. */
  bodyLimit?: number
  /** Accepted clock difference of the timestamp, default 300 s. */
  timestampWindowSeconds?: number
  /** Counts callbacks by outcome, default none. */
  metrics?: Metrics
  /** Shutdown waits for commands still running after their request was answered (default: not tracked). */
  inFlight?: InFlight
  /**
   * How long storing a message may take before WeCom is answered 503 (it retries), default
   * 2.5 s: a database that does not answer at all (a network partition) must not hold the
   * request past WeCom's 5 s. If the message is stored after all, it is handled then, its answer
   * through the outbox, and WeCom's retry is a duplicate.
   */
  storeDeadlineMs?: number
  /** How new messages are written together (group commit, docs/callback-speed.md); defaults in InboundWriterOptions. */
  groupCommit?: InboundWriterOptions
}

/** What every part of the WeCom callback route shares: its settings with their defaults. */
export interface CallbackRoute {
  readonly secrets: CallbackSecrets
  readonly dataSource: DataSource
  readonly dispatcher: Dispatcher
  readonly logger: Logger
  readonly metrics: Metrics
  readonly now: () => Date
  readonly inbound: Repository<InboundMessage>
  /** Stores new messages, several in one statement under load. */
  readonly inboundWriter: InboundWriter
  readonly inFlight: InFlight | undefined
  /** How long the answer may take to go back in the HTTP response (passive reply). */
  readonly replyBudgetMs: number
  /** How long storing a message may take before WeCom is answered 503. */
  readonly storeDeadlineMs: number
  readonly bodyLimit: number
  readonly timestampWindowSeconds: number
}

export function createCallbackRoute(options: CallbackRouteOptions): CallbackRoute {
  const { secrets, dataSource, dispatcher, logger } = options
  return {
    secrets,
    dataSource,
    dispatcher,
    logger,
    metrics: options.metrics ?? NO_METRICS,
    now: options.now ?? (() => new Date()),
    inbound: dataSource.getRepository(InboundMessageSchema),
    inboundWriter: createInboundWriter(dataSource, options.groupCommit),
    inFlight: options.inFlight,
    replyBudgetMs: options.replyBudgetMs ?? 1500,
    storeDeadlineMs: options.storeDeadlineMs ?? 2500,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    timestampWindowSeconds: options.timestampWindowSeconds ?? 300,
  }
}
