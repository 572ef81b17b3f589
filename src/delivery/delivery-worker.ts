import { inertText } from '../wecom/inert-text.js'
import { randomUUID } from 'node:crypto'
import { IsNull, type DataSource } from 'typeorm'
import type { QuietHours } from '../config/load-config.js'
import { OutboxMessageSchema, PersonSchema, type OutboxMessage } from '../domain/entities/index.js'
import type { Logger } from '../logger.js'
import { RateLimitedError } from '../wecom/errors.js'
import { markdown } from '../wecom/messages.js'
import { orgAdmins } from '../domain/roster/org-admins.js'
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from './backoff.js'
import { claimDue, reclaimStale } from './claim.js'
import { enqueue } from './enqueue.js'
import { isQuietTime } from './quiet-hours.js'
import type { DeliveryReceipt, Transport } from './transport.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'

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

export interface DeliveryWorker {
  /** Claims and sends one batch. */
  runOnce(): Promise<BatchResult>
  /** Polls continuously until stop(). */
  start(): void
  /** Finishes the sends in flight, releases the rows claimed but not begun, then resolves. */
  stop(): Promise<void>
}

/** The longest pause between batches while the database keeps failing. */
export const FAILURE_PAUSE_MAX_MS = 10_000

/** Keys of the bot's own operational alerts: their failure is logged, never alerted about again. */
export const ALERT_KEY_PREFIX = 'alert:'

/**
 * The outbox worker: claims due rows, sends them, records `sent` with WeCom's msgid. A
 * retryable failure comes back later with exponential backoff and jitter until the attempts run
 * out, then the row is `dead` and the administrators get one alert listing the dead rows. A
 * per-member rate limit defers a row without counting an attempt. Outside urgent rows, nothing
 * is sent in quiet hours.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { dataSource, transport } = options
  const now = options.now ?? (() => new Date())
  const random = options.random ?? Math.random
  const workerId = options.workerId ?? `worker-${process.pid}-${randomUUID().slice(0, 8)}`
  const batchSize = options.batchSize ?? 50
  const concurrency = options.concurrency ?? 4
  const pollIntervalMs = options.pollIntervalMs ?? 1000
  const claimTimeoutMs = options.claimTimeoutMs ?? 5 * 60_000
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  const metrics = options.metrics ?? NO_METRICS
  const logger = options.logger.child({ component: 'delivery', workerId, transport: transport.name })
  const outbox = dataSource.getRepository(OutboxMessageSchema)
  let claims = 0
  let running: Promise<void> | undefined
  let stopping = false
  let wake: (() => void) | undefined

  /**
   * What the database must still be told after it failed: outcomes of sends that happened
   * (written before anything new is claimed, so a sent row is never sent again), then claims
   * whose rows were not begun (pending again at once, not after the claim timeout).
   */
  const unrecorded = new Set<{ row: OutboxMessage; claimToken: string; values: Partial<OutboxMessage> }>()
  const unreleased = new Set<string>()

  /** Updates a row this worker still holds; a row reclaimed by another worker is left alone. */
  async function settle(row: OutboxMessage, claimToken: string, values: Partial<OutboxMessage>): Promise<void> {
    await outbox.update({ id: row.id, claimedBy: claimToken, status: 'sending' }, { ...values, claimedBy: null, claimedAt: null })
  }

  /** Records a send's outcome; when the database fails, keeps it for the next batch to record first. */
  async function record(row: OutboxMessage, claimToken: string, values: Partial<OutboxMessage>): Promise<void> {
    try {
      await settle(row, claimToken, values)
    } catch (error) {
      unrecorded.add({ row, claimToken, values })
      logger.warn({ outboxId: row.id, status: values.status, err: error }, 'recording a delivery outcome failed; kept to record when the database answers')
      throw error
    }
  }

  /** Writes what a failed database could not take; throws (nothing new is claimed) while it still fails. */
  async function catchUp(): Promise<OutboxMessage[]> {
    const dead: OutboxMessage[] = []
    for (const pending of unrecorded) {
      await settle(pending.row, pending.claimToken, pending.values)
      unrecorded.delete(pending)
      if (pending.values.status === 'dead') dead.push({ ...pending.row, ...pending.values })
    }
    for (const claimToken of unreleased) {
      const released = (await outbox.update({ claimedBy: claimToken, status: 'sending' }, { status: 'pending', claimedBy: null, claimedAt: null })).affected ?? 0
      unreleased.delete(claimToken)
      if (released > 0) logger.info({ claimToken, released }, 'rows claimed when the database failed are pending again')
    }
    return dead
  }

  async function deliver(row: OutboxMessage, claimToken: string, result: BatchResult, dead: OutboxMessage[]): Promise<void> {
    const at = now()
    // Renew the claim right before sending: if this worker was slow enough for another to
    // reclaim the row after the claim timeout, the row is no longer ours and is not sent again.
    const held = await outbox.update({ id: row.id, claimedBy: claimToken, status: 'sending' }, { claimedAt: at })
    if (!held.affected) {
      result.skipped += 1
      metrics.delivery('skipped')
      logger.warn({ outboxId: row.id }, 'claim taken over by another worker; not sending')
      return
    }
    // The send's outcome is decided first and recorded after: a database failure while
    // recording is not a failed send (the message went out, or WeCom refused it, either way).
    let receipt: DeliveryReceipt
    try {
      receipt = await transport.send(row)
    } catch (error) {
      if (error instanceof RateLimitedError) {
        await record(row, claimToken, { status: 'pending', nextAttemptAt: error.retryAt })
        result.deferred += 1
        metrics.delivery('deferred')
        metrics.rateLimitDelay(row.channel === 'webhook' ? 'robot' : 'member', Math.max(0, (error.retryAt.getTime() - at.getTime()) / 1000))
        return
      }
      const attempts = row.attempts + 1
      const retryable = (error as { retryable?: boolean }).retryable === true
      const message = String((error as Error).message ?? error).slice(0, 2000)
      if (retryable && attempts < backoff.maxAttempts) {
        const nextAttemptAt = new Date(at.getTime() + retryDelayMs(attempts, backoff, random))
        logger.warn({ outboxId: row.id, attempts, nextAttemptAt, err: message }, 'delivery failed, will retry')
        await record(row, claimToken, { status: 'pending', attempts, nextAttemptAt, lastError: message })
        result.retried += 1
        metrics.delivery('retried')
      } else {
        logger.error({ outboxId: row.id, attempts, err: message }, 'delivery failed for good')
        await record(row, claimToken, { status: 'dead', attempts, lastError: message })
        result.dead += 1
        metrics.delivery('dead')
        dead.push({ ...row, attempts, lastError: message })
      }
      return
    }
    const undelivered = describeUndelivered(receipt)
    await record(row, claimToken, {
      status: 'sent',
      sentAt: at,
      attempts: row.attempts + 1,
      wecomMsgid: receipt.msgids.join(',').slice(0, 128) || null,
      lastError: undelivered,
    })
    result.sent += 1
    metrics.delivery('sent')
    // The message went out; failing to record who did not get it must not count as a failed send.
    if (undelivered) await recordUndeliverable(receipt, at).catch((error: unknown) => logger.error({ err: error, outboxId: row.id }, 'recording undeliverable recipients failed'))
  }

  /** Marks members WeCom refused and tells the administrators, once per member. */
  async function recordUndeliverable(receipt: DeliveryReceipt, at: Date): Promise<void> {
    const kinds = [
      ...receipt.invalidUsers.map((userid) => ({ userid, kind: 'invaliduser' })),
      ...receipt.unlicensedUsers.map((userid) => ({ userid, kind: 'unlicenseduser' })),
    ]
    await dataSource.transaction(async (manager) => {
      const fresh: { userid: string; kind: string; name: string }[] = []
      for (const { userid, kind } of kinds) {
        const person = await manager.findOneBy(PersonSchema, { userid, undeliverable: IsNull() })
        if (!person) continue
        await manager.update(PersonSchema, { id: person.id }, { undeliverable: kind, undeliverableSince: at })
        fresh.push({ userid, kind, name: inertText(person.name) })
      }
      const admins = (await orgAdmins(manager)).map((admin) => admin.userid)
      if (fresh.length === 0 || admins.length === 0) return
      const lines = fresh.map((p) =>
        p.kind === 'invaliduser'
          ? `- ${p.name}（${p.userid}）：不在应用可见范围或已不在企业（invaliduser）`
          : `- ${p.name}（${p.userid}）：没有接口许可（unlicenseduser）`,
      )
      await enqueue(
        manager,
        {
          dedupeKey: `${ALERT_KEY_PREFIX}undeliverable:${fresh.map((p) => `${p.userid}/${p.kind}`).join(',')}`.slice(0, 160),
          to: { users: admins },
          message: markdown(
            `**企业微信消息未送达**\n以下人员收不到机器人消息：\n${lines.join('\n')}\n请在管理后台调整应用可见范围或许可，或更新花名册。`,
          ),
        },
        at,
      )
    })
  }

  /** One alert for the rows that died in a batch (never for the alerts themselves). */
  async function alertDead(dead: OutboxMessage[]): Promise<void> {
    const reportable = dead.filter((row) => !row.dedupeKey.startsWith(ALERT_KEY_PREFIX))
    if (reportable.length === 0) return
    await dataSource.transaction(async (manager) => {
      const admins = (await orgAdmins(manager)).map((admin) => admin.userid)
      if (admins.length === 0) {
        logger.error({ outboxIds: reportable.map((r) => r.id) }, 'dead messages and no org_admin to alert')
        return
      }
      const lines = reportable.slice(0, 10).map((row) => `- #${row.id} ${summarizeRecipients(row)}：${(row.lastError ?? '').slice(0, 80)}`)
      if (reportable.length > 10) lines.push(`- 另有 ${reportable.length - 10} 条`)
      await enqueue(
        manager,
        {
          dedupeKey: `${ALERT_KEY_PREFIX}dead:${reportable.map((r) => r.id).join(',')}`.slice(0, 160),
          to: { users: admins },
          message: markdown(
            `**${reportable.length} 条消息多次发送失败，已停止重试**\n${lines.join('\n')}\n查看：npm run cli -- outbox status；处理后重试：npm run cli -- outbox retry --dead`,
          ),
        },
        now(),
      )
    })
  }

  async function runOnce(): Promise<BatchResult> {
    const dead = await catchUp()
    if (dead.length > 0) await alertDead(dead)
    const at = now()
    await reclaimStale(dataSource, new Date(at.getTime() - claimTimeoutMs))
    claims += 1
    const claimToken = `${workerId}#${claims}`
    let rows: OutboxMessage[]
    try {
      rows = await claimDue(dataSource, {
        claimToken,
        now: at,
        limit: batchSize,
        urgentOnly: isQuietTime(at, options.quietHours),
      })
    } catch (error) {
      // The claim may have been committed with its answer lost: its rows go back once the database answers.
      unreleased.add(claimToken)
      throw error
    }
    const result: BatchResult = { claimed: rows.length, sent: 0, retried: 0, deferred: 0, dead: 0, skipped: 0, released: 0 }
    // Rows to the same recipients go in order (numbered parts); different recipients in parallel.
    const lanes = new Map<string, OutboxMessage[]>()
    for (const row of rows) lanes.set(row.recipients, [...(lanes.get(row.recipients) ?? []), row])
    const queue = [...lanes.values()]
    // The first database failure stops every lane from beginning another row; the sends in
    // flight finish and are recorded (or kept to record) before the batch fails.
    let failure: { error: unknown } | undefined
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let lane = queue.shift(); lane && !stopping && !failure; lane = queue.shift()) {
          for (const row of lane) {
            if (stopping || failure) break
            try {
              await deliver(row, claimToken, result, dead)
            } catch (error) {
              failure ??= { error }
            }
          }
        }
      }),
    )
    if (failure) {
      unreleased.add(claimToken)
      throw failure.error
    }
    // Stopping: the sends in flight have finished; the rows not begun go back for the next
    // worker at once instead of waiting out the claim timeout.
    if (stopping) result.released = (await outbox.update({ claimedBy: claimToken, status: 'sending' }, { status: 'pending', claimedBy: null, claimedAt: null })).affected ?? 0
    if (dead.length > 0) await alertDead(dead)
    if (rows.length > 0) logger.debug({ ...result }, 'batch delivered')
    return result
  }

  async function loop(): Promise<void> {
    let failures = 0
    while (!stopping) {
      let result: BatchResult | undefined
      try {
        result = await runOnce()
        failures = 0
      } catch (error) {
        failures += 1
        logger.error({ err: error, failures }, 'delivery batch failed')
      }
      if (stopping) break
      if (!result || result.claimed < batchSize) {
        // A batch fails when the database does (its rows are safe in it): ask it again ever less
        // often, up to FAILURE_PAUSE_MAX_MS, so that a locked SQLite file, which blocks the
        // process while it waits, leaves the callbacks the time to answer.
        const pause = failures === 0 ? pollIntervalMs : Math.min(FAILURE_PAUSE_MAX_MS, pollIntervalMs * 2 ** failures)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pause)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        wake = undefined
      }
    }
  }

  return {
    runOnce,
    start() {
      if (running) return
      stopping = false
      running = loop()
    },
    async stop() {
      stopping = true
      wake?.()
      await running
      running = undefined
      if (unrecorded.size === 0 && unreleased.size === 0) return
      // One last try; what the database still refuses is sent again after the claim timeout,
      // byte-identical, so WeCom's duplicate check suppresses it.
      await catchUp().catch((error: unknown) => logger.error({ err: error, unrecorded: unrecorded.size, claims: [...unreleased] }, 'delivery outcomes not recorded at stop; rows are retried after the claim timeout'))
    },
  }
}

function describeUndelivered(receipt: DeliveryReceipt): string | null {
  const parts = []
  if (receipt.invalidUsers.length > 0) parts.push(`未送达（invaliduser）：${receipt.invalidUsers.join('、')}`)
  if (receipt.unlicensedUsers.length > 0) parts.push(`未送达（unlicenseduser）：${receipt.unlicensedUsers.join('、')}`)
  return parts.length > 0 ? parts.join('；') : null
}

function summarizeRecipients(row: OutboxMessage): string {
  const r = JSON.parse(row.recipients) as { touser?: string[]; chatid?: string; robot?: string; msgid?: string }
  if (r.msgid) return `撤回消息 ${r.msgid}`
  if (r.chatid) return `群聊 ${r.chatid}`
  if (r.robot) return `群机器人 ${r.robot}`
  const users = r.touser ?? []
  return users.length > 3 ? `${users.slice(0, 3).join('、')} 等 ${users.length} 人` : users.join('、')
}

