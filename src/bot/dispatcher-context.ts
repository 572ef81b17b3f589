import type { DataSource, EntityManager } from 'typeorm'
import { bindToTransaction } from '../db/bind-to-transaction.js'
import type { InboundStatus } from '../db/entities/index.js'
import type { Attachment } from '../outbox/stored-files.js'
import type { AppMessage } from '../wecom/messages.js'
import type { CommandRegistry } from './command-registry.js'
import { loadSender, type Sender } from './load-sender.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'
import type { QuietHours } from '../config/load-config.js'
import type { DashboardLinks } from '../domain/dashboard-links.js'

const NO_QUIET_HOURS: QuietHours = { startMinute: 0, endMinute: 0 }

export interface DispatchResult {
  /** The answer to the sender, if any. */
  reply: AppMessage | null
  /** A file sent right after the answer (e.g. the monthly workbook for 月报 汇总). */
  attachment?: Attachment
  status: InboundStatus
  /** For the log line: what happened, e.g. "command:帮助", "unknown_command". */
  outcome: string
  /**
   * Set when a command was not carried out: 'input' (it could not be read), 'said' (read well,
   * but refused for what it says: 进度 100%, a date not later), 'state' (someone else got there
   * first: the item, request or meeting changed), 'denied' (not the sender's to do). A tap and
   * the answer to a question act on it (docs/cards.md).
   */
  refused?: 'input' | 'said' | 'state' | 'denied'
  /** The refusal's code (RefusalError.code), e.g. 'closed', 'decided'. */
  refusalCode?: string
}

export interface DispatcherDependencies {
  dataSource: DataSource
  registry: CommandRegistry
  now?: () => Date
  /**
   * How long a sender's roster entry and roles are reused, default 10 s: every message looks
   * them up, and the roster changes by import or by hand, rarely. A change applies within this.
   */
  senderCacheMs?: number
  /** The configured group robots' names (WECOM_ROBOTS), default none. */
  robotNames?: readonly string[]
  /** The configured quiet window (QUIET_HOURS), default none. */
  quietHours?: QuietHours
  /** Counts commands by name and outcome, default none. */
  metrics?: Metrics
  /** The dashboard's pages, for answers and cards that link to them; default none (the dashboard is off). */
  links?: DashboardLinks | null
}

/** What every part of the dispatcher shares: its dependencies, and the senders it looked up lately. */
export interface DispatcherContext {
  readonly dataSource: DataSource
  readonly registry: CommandRegistry
  readonly now: () => Date
  readonly senderCacheMs: number
  readonly robotNames: readonly string[]
  readonly quietHours: QuietHours
  readonly metrics: Metrics
  readonly links: DashboardLinks | null
  /** Roster entries and roles by userid, each reused until `until` (epoch ms). */
  readonly senders: Map<string, { value: Sender | null; until: number }>
}

export function createDispatcherContext({ dataSource, registry, now = () => new Date(), senderCacheMs = 10_000, robotNames = [], quietHours = NO_QUIET_HOURS, metrics = NO_METRICS, links = null }: DispatcherDependencies): DispatcherContext {
  return { dataSource, registry, now, senderCacheMs, robotNames, quietHours, metrics, links, senders: new Map() }
}

/**
 * Every read goes through this: inside the message's transaction that is its own connection,
 * never a second one from the pool (ten transactions each waiting for an eleventh connection
 * would wait for ever).
 */
export function readerFor(context: DispatcherContext, manager?: EntityManager): DataSource {
  return manager ? bindToTransaction(context.dataSource, manager) : context.dataSource
}

/** The sender's roster entry and roles, from the cache while it is fresh. */
export async function senderOf(context: DispatcherContext, userid: string, db: DataSource): Promise<Sender | null> {
  const { senders } = context
  const cached = senders.get(userid)
  if (cached && cached.until > Date.now()) return cached.value
  const value = await loadSender(db, userid)
  if (senders.size > 10_000) senders.clear()
  senders.set(userid, { value, until: Date.now() + context.senderCacheMs })
  return value
}
