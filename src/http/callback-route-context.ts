import type { DataSource, Repository } from 'typeorm'
import type { Dispatcher } from '../bot/dispatcher.js'
import { InboundMessageSchema, type InboundMessage } from '../domain/entities/index.js'
import type { Logger } from '../logger.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'
import type { CallbackSecrets } from '../wecom/callback/open-callback.js'
import type { InFlight } from './in-flight.js'
import type { CallbackRouteOptions } from './wecom-callback-route.js'

/** What every part of the WeCom callback route shares: its settings with their defaults. */
export interface CallbackRoute {
  readonly secrets: CallbackSecrets
  readonly dataSource: DataSource
  readonly dispatcher: Dispatcher
  readonly logger: Logger
  readonly metrics: Metrics
  readonly now: () => Date
  readonly inbound: Repository<InboundMessage>
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
    inFlight: options.inFlight,
    replyBudgetMs: options.replyBudgetMs ?? 1500,
    storeDeadlineMs: options.storeDeadlineMs ?? 2500,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    timestampWindowSeconds: options.timestampWindowSeconds ?? 300,
  }
}
