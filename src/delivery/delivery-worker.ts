import { inertText } from '../wecom/inert-text.js'
import { randomUUID } from 'node:crypto'
import { In, IsNull, type DataSource } from 'typeorm'
import { isDatabaseError } from '../db/database-error.js'
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

  /** A send's outcome, to be written to its row. */
  interface Outcome {
    row: OutboxMessage
    claimToken: string
    kind: 'sent' | 'deferred' | 'retried' | 'dead'
    values: Partial<OutboxMessage>
    at: Date
    receipt?: DeliveryReceipt
  }
  /**
   * What the database must still be told after it failed, in this order before anything new is
   * claimed: outcomes of sends that happened (so a sent row is not sent again), claims whose
   * rows were not begun (pending again at once, not after the claim timeout), and the alert for
   * rows that died.
   */
  const unrecorded = new Set<Outcome>()
  const unreleased = new Set<string>()
  const unalerted: OutboxMessage[] = []

  /**
   * Writes an outcome to the row this worker still holds (a row another worker took over is left
   * alone); what follows from it (counts, undeliverable members, the dead-row alert) only once it
   * is written. When the database fails, the outcome is kept for catchUp().
   */
  async function record(outcome: Outcome, result?: BatchResult): Promise<void> {
    const { row, claimToken, kind, values } = outcome
    let written: number
    try {
      written = (await outbox.update({ id: row.id, claimedBy: claimToken, status: 'sending' }, { ...values, claimedBy: null, claimedAt: null })).affected ?? 0
    } catch (error) {
      unrecorded.add(outcome)
      logger.warn({ outboxId: row.id, outcome: kind, wecomMsgid: values.wecomMsgid, err: error }, 'recording a delivery outcome failed; kept to record when the database answers')
      throw error
    }
    unrecorded.delete(outcome)
    if (written === 0) {
      // Only after the claim timeout: this worker could not reach the database for that long.
      logger.error({ outboxId: row.id, outcome: kind, wecomMsgid: values.wecomMsgid }, 'delivery outcome not recorded: another worker took the row over after the claim timeout and may send it again')
      return
    }
    if (result) result[kind] += 1
    metrics.delivery(kind)
    if (kind === 'deferred') metrics.rateLimitDelay(row.channel === 'webhook' ? 'robot' : 'member', Math.max(0, (values.nextAttemptAt!.getTime() - outcome.at.getTime()) / 1000))
    if (kind === 'dead') unalerted.push({ ...row, ...values })
    // The message went out; failing to record who did not get it must not count as a failed send.
    const { receipt } = outcome
    if (receipt && values.lastError) await recordUndeliverable(receipt, outcome.at).catch((error: unknown) => logger.error({ err: error, outboxId: row.id }, 'recording undeliverable recipients failed'))
  }

  /** Rows a claim still holds, pending again (read first, then updated by id: see reclaimStale). */
  async function release(claimToken: string): Promise<number> {
    const held = await outbox.find({ where: { claimedBy: claimToken, status: 'sending' }, select: { id: true } })
    if (held.length === 0) return 0
    const { affected } = await outbox.update({ id: In(held.map((r) => r.id)), claimedBy: claimToken, status: 'sending' }, { status: 'pending', claimedBy: null, claimedAt: null })
    return affected ?? 0
  }

  /** The alert for the rows that died, kept when it cannot be written. */
  async function alertUnalerted(): Promise<void> {
    if (unalerted.length === 0) return
    const dead = unalerted.splice(0)
    try {
      await alertDead(dead)
    } catch (error) {
      unalerted.unshift(...dead)
      throw error
    }
  }

  /** Writes what a failed database could not take; throws (nothing new is claimed) while it still fails. */
  async function catchUp(): Promise<void> {
    for (const outcome of unrecorded) await record(outcome)
    for (const claimToken of unreleased) {
      const released = await release(claimToken)
      unreleased.delete(claimToken)
      if (released > 0) logger.info({ claimToken, released }, 'rows claimed when the database failed are pending again')
    }
    await alertUnalerted()
  }

  /** What a failed send comes to: deferred (rate limit), retried with backoff, or dead. */
  function failure(row: OutboxMessage, claimToken: string, at: Date, error: unknown): Outcome {
    if (error instanceof RateLimitedError) return { row, claimToken, at, kind: 'deferred', values: { status: 'pending', nextAttemptAt: error.retryAt } }
    const attempts = row.attempts + 1
    // A database error inside the transport (reading a stored file, the console's names) came
    // before anything was sent: try again later, never give the row up for it.
    const retryable = (error as { retryable?: boolean }).retryable === true || isDatabaseError(error)
    const message = String((error as Error).message ?? error).slice(0, 2000)
    if (retryable && attempts < backoff.maxAttempts) {
      const nextAttemptAt = new Date(at.getTime() + retryDelayMs(attempts, backoff, random))
      logger.warn({ outboxId: row.id, attempts, nextAttemptAt, err: message }, 'delivery failed, will retry')
      return { row, claimToken, at, kind: 'retried', values: { status: 'pending', attempts, nextAttemptAt, lastError: message } }
    }
    logger.error({ outboxId: row.id, attempts, err: message }, 'delivery failed for good')
    return { row, claimToken, at, kind: 'dead', values: { status: 'dead', attempts, lastError: message } }
  }

  async function deliver(row: OutboxMessage, claimToken: string, result: BatchResult): Promise<void> {
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
    let outcome: Outcome
    try {
      const receipt = await transport.send(row)
      const values = { status: 'sent' as const, sentAt: at, attempts: row.attempts + 1, wecomMsgid: receipt.msgids.join(',').slice(0, 128) || null, lastError: describeUndelivered(receipt) }
      outcome = { row, claimToken, at, kind: 'sent', values, receipt }
    } catch (error) {
      outcome = failure(row, claimToken, at, error)
    }
    await record(outcome, result)
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
    await catchUp()
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
              await deliver(row, claimToken, result)
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
    if (stopping) result.released = await release(claimToken)
    await alertUnalerted()
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
      if (unrecorded.size === 0 && unreleased.size === 0 && unalerted.length === 0) return
      // One last try. What the database still refuses is lost to this process: its rows are
      // taken again after the claim timeout and resent byte-identical (WeCom's duplicate check
      // drops an app message's copy; a reply, group chat or robot message arrives twice).
      await catchUp().catch((error: unknown) =>
        logger.error(
          {
            err: error,
            unrecorded: [...unrecorded].map((o) => ({ outboxId: o.row.id, outcome: o.kind, wecomMsgid: o.values.wecomMsgid })),
            claims: [...unreleased],
            unalertedDead: unalerted.map((r) => r.id),
          },
          'delivery outcomes not recorded at stop; their rows are taken again after the claim timeout',
        ),
      )
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

