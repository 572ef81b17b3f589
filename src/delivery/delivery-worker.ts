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
import { ALERT_KEY_PREFIX, alertDeadRows } from './dead-row-alert.js'
import { pruneSendSlots, releaseSends, reserveSend, settleSends, type Reservation } from './send-budget.js'
import { deliveredNothing, mayHaveArrived, unknownOutcomeNote } from './unknown-outcome.js'
import type { DeliveryReceipt, Transport } from './transport.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'
import { describeError } from '../db/describe-error.js'

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

export { ALERT_KEY_PREFIX } from './dead-row-alert.js'

/** How often a worker deletes send slots older than the duplicate-check interval. */
const PRUNE_EVERY_MS = 10 * 60_000

/**
 * The outbox worker: claims due rows, sends them, records `sent` with WeCom's msgid. A
 * retryable failure comes back later with exponential backoff and jitter until the attempts run
 * out, then the row is `dead` and the administrators get one alert listing the dead rows.
 * Through WeCom, every send first takes a slot of its recipients' budget in the database
 * (send-budget.ts, docs/delivery.md): a full per-member or per-robot window defers the row
 * without counting an attempt, and an app chat or robot message whose send may have reached
 * WeCom unanswered is not sent again blindly. Outside urgent rows, nothing is sent in quiet hours.
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
  // The console sends nowhere: no WeCom limit to keep, no outcome to doubt.
  const budgeted = transport.name === 'wecom'
  let claims = 0
  let prunedAt = 0
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
    /** The send's slots get their answer's time (or are given back, when nothing was delivered) once the outcome is written. */
    slots?: 'settle' | 'release'
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
    if (outcome.slots) await finishSlots(outcome)
    if (result) result[kind] += 1
    metrics.delivery(kind)
    if (kind === 'deferred') metrics.rateLimitDelay(row.channel === 'webhook' ? 'robot' : 'member', Math.max(0, (values.nextAttemptAt!.getTime() - outcome.at.getTime()) / 1000))
    if (kind === 'dead') unalerted.push({ ...row, ...values })
    // The message went out; failing to record who did not get it must not count as a failed send.
    const { receipt } = outcome
    if (receipt && values.lastError) await recordUndeliverable(receipt, outcome.at).catch((error: unknown) => logger.error({ err: error, outboxId: row.id }, 'recording undeliverable recipients failed'))
  }

  /**
   * A settled slot counts from when the answer came; one left unsettled (this failed) counts as
   * if WeCom took the send a little after it began, which is the safe side.
   */
  async function finishSlots({ row, at, slots }: Outcome): Promise<void> {
    try {
      if (slots === 'release') await releaseSends(dataSource, row.id, at)
      else await settleSends(dataSource, row.id, at, now())
    } catch (error) {
      logger.warn({ outboxId: row.id, err: error }, 'settling the send slots failed; they count as unanswered')
    }
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
    // A failed statement's values (a message's text) never reach last_error or the log (docs/logging.md).
    const message = describeError(error).slice(0, 2000)
    if (retryable && attempts < backoff.maxAttempts) {
      const nextAttemptAt = new Date(at.getTime() + retryDelayMs(attempts, backoff, random))
      logger.warn({ outboxId: row.id, attempts, nextAttemptAt, err: error }, 'delivery failed, will retry')
      return { row, claimToken, at, kind: 'retried', values: { status: 'pending', attempts, nextAttemptAt, lastError: message } }
    }
    logger.error({ outboxId: row.id, attempts, err: error }, 'delivery failed for good')
    return { row, claimToken, at, kind: 'dead', values: { status: 'dead', attempts, lastError: message } }
  }

  /** Renews the claim; through WeCom, also takes the send's slots (send-budget.ts). */
  async function reserve(row: OutboxMessage, claimToken: string, at: Date, waiting: number): Promise<Reservation> {
    if (budgeted) return reserveSend(dataSource, row, claimToken, at, waiting + 1)
    const held = await outbox.update({ id: row.id, claimedBy: claimToken, status: 'sending' }, { claimedAt: at })
    return held.affected ? { kind: 'reserved', payload: row.payload } : { kind: 'lost' }
  }

  /** An app chat or robot row whose send may have reached WeCom: held for an administrator, never resent blindly. */
  function unknown(row: OutboxMessage, claimToken: string, at: Date, sendBegunAt = at): Outcome {
    logger.error({ outboxId: row.id, channel: row.channel, sendBegunAt }, 'delivery outcome unknown; not resending a message without duplicate check')
    return { row, claimToken, at, kind: 'dead', values: { status: 'dead', attempts: row.attempts + 1, lastError: unknownOutcomeNote(row.id) } }
  }

  /**
   * Sends one row. When its recipients' budget is full, returns when each of the `waiting` rows
   * to the same recipients behind it may go (they are deferred without asking again).
   */
  async function deliver(row: OutboxMessage, claimToken: string, result: BatchResult, waiting = 0): Promise<Date[] | undefined> {
    const at = now()
    // The claim is renewed right before sending: if this worker was slow enough for another to
    // reclaim the row after the claim timeout, the row is no longer ours and is not sent again.
    const reservation = await reserve(row, claimToken, at, waiting)
    if (reservation.kind === 'lost') {
      result.skipped += 1
      metrics.delivery('skipped')
      logger.warn({ outboxId: row.id }, 'claim taken over by another worker; not sending')
      return undefined
    }
    if (reservation.kind === 'limited') {
      await record({ row, claimToken, at, kind: 'deferred', values: { status: 'pending', nextAttemptAt: reservation.retryAt[0]! } }, result)
      return reservation.retryAt.slice(1)
    }
    if (reservation.kind === 'unknown') {
      await record(unknown(row, claimToken, at, reservation.since), result)
      return undefined
    }
    // The send's outcome is decided first and recorded after: a database failure while
    // recording is not a failed send (the message went out, or WeCom refused it, either way).
    let outcome: Outcome
    try {
      const receipt = await transport.send(reservation.payload === row.payload ? row : { ...row, payload: reservation.payload })
      const values = { status: 'sent' as const, sentAt: at, attempts: row.attempts + 1, wecomMsgid: receipt.msgids.join(',').slice(0, 128) || null, lastError: describeUndelivered(receipt) }
      outcome = { row, claimToken, at, kind: 'sent', values, receipt, slots: budgeted ? 'settle' : undefined }
    } catch (error) {
      const withoutDuplicateCheck = row.channel === 'appchat' || row.channel === 'webhook'
      if (budgeted && withoutDuplicateCheck && mayHaveArrived(error)) outcome = { ...unknown(row, claimToken, at), slots: 'settle' }
      else outcome = { ...failure(row, claimToken, at, error), slots: !budgeted ? undefined : deliveredNothing(error, row) && !reservation.resend ? 'release' : 'settle' }
    }
    await record(outcome, result)
    return undefined
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

  /** One alert for the rows that died in a batch (dead-row-alert.ts). */
  async function alertDead(dead: OutboxMessage[]): Promise<void> {
    await alertDeadRows(dataSource, dead, now(), logger)
  }

  async function runOnce(): Promise<BatchResult> {
    await catchUp()
    const at = now()
    await reclaimStale(dataSource, new Date(at.getTime() - claimTimeoutMs))
    if (budgeted && Math.abs(at.getTime() - prunedAt) >= PRUNE_EVERY_MS) {
      prunedAt = at.getTime()
      await pruneSendSlots(dataSource, at).catch((error: unknown) => logger.warn({ err: error }, 'pruning old send slots failed'))
    }
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
          for (const [index, row] of lane.entries()) {
            if (stopping || failure) break
            try {
              const later = await deliver(row, claimToken, result, lane.length - index - 1)
              if (!later) continue
              // The budget is full: the rest of the lane waits, each until a slot frees for it.
              const at = now()
              for (const [k, waiting] of lane.slice(index + 1).entries()) {
                await record({ row: waiting, claimToken, at, kind: 'deferred', values: { status: 'pending', nextAttemptAt: later[k]! } }, result)
              }
              break
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

