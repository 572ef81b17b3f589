import type { EntityManager } from 'typeorm'
import type { OutboxMessage } from '../db/entities/index.js'
import { retryOnDeadlock } from '../db/retry-on-deadlock.js'
import { sqlInstant } from '../db/sql-instant.js'
import { markRemindersDelivered } from '../domain/reminders/reminder-records.js'
import { afterWritten, reachedMembers, record } from './record-outcome.js'
import { releaseSends, settleSends } from './send-budget.js'
import { affectedRows } from './reserve-sends.js'
import type { BatchResult, Outcome, WorkerContext } from './worker-context.js'

/** Thrown inside the transaction to take it back: some row is no longer this worker's. */
class NotAllHeldError extends Error {}

/** Outcomes written in one statement at most (a catch-up after a long outage may hold more). */
const RECORD_AT_ONCE = 100

/** The outcome columns a worker writes, by the property name of OutboxMessage. */
const COLUMNS: readonly (keyof OutboxMessage)[] = ['status', 'attempts', 'nextAttemptAt', 'lastError', 'wecomMsgid', 'sentAt']

/**
 * Writes the outcomes of several finished sends in one transaction (docs/delivery.md,
 * Rounds): one UPDATE … CASE for the rows, still only where this worker holds each
 * (claimed_by), the send slots settled or given back, and the reminders a digest carried marked
 * delivered — all or nothing. When one row is no longer held, the transaction is taken back and
 * each outcome is written alone (record), so the others are still written. When the database
 * fails, every outcome is kept for catchUp(), which writes them the same way.
 */
export async function recordAll<T>(ctx: WorkerContext, outcomes: readonly Outcome[], result?: BatchResult, also?: (manager: EntityManager) => Promise<T>): Promise<T | undefined> {
  let rest = outcomes
  for (; rest.length > RECORD_AT_ONCE; rest = rest.slice(RECORD_AT_ONCE)) await recordTogether(ctx, rest.slice(0, RECORD_AT_ONCE), result)
  return recordTogether(ctx, rest, result, also)
}

/** `also`: more work in the same transaction (the next reservations, deliver-lanes.ts); run alone when the outcomes are written one by one. */
async function recordTogether<T>(ctx: WorkerContext, outcomes: readonly Outcome[], result?: BatchResult, also?: (manager: EntityManager) => Promise<T>): Promise<T | undefined> {
  if (outcomes.length <= 1 && !also) {
    for (const outcome of outcomes) await record(ctx, outcome, result)
    return undefined
  }
  for (const outcome of outcomes) ctx.unrecorded.add(outcome)
  let written: { together: true; value: T | undefined } | { together: false }
  try {
    written = await writeOutcomes(ctx, outcomes, also)
  } catch (error) {
    if (outcomes.length > 0) ctx.logger.warn({ outboxIds: outcomes.map((o) => o.row.id), err: error }, 'recording delivery outcomes failed; kept to record when the database answers')
    throw error
  }
  if (!written.together) {
    for (const outcome of outcomes) await record(ctx, outcome, result)
    return also ? inTransaction(ctx, also) : undefined
  }
  for (const outcome of outcomes) {
    ctx.unrecorded.delete(outcome)
    await afterWritten(ctx, outcome, result)
  }
  return written.value
}

/** Every outcome written (and `also` run), or nothing written when some row is no longer held. */
async function writeOutcomes<T>(ctx: WorkerContext, outcomes: readonly Outcome[], also?: (manager: EntityManager) => Promise<T>): Promise<{ together: true; value: T | undefined } | { together: false }> {
  const answeredAt = ctx.now()
  const work = async (manager: EntityManager) => {
    const byClaim = groupBy(outcomes, (o) => o.claimToken)
    for (const [claimToken, group] of byClaim) {
      if ((await updateRows(ctx, manager, claimToken, group)) !== group.length) throw new NotAllHeldError('a row is no longer held by this worker')
    }
    await finishSlots(manager, outcomes, answeredAt)
    for (const { row, kind, at, receipt } of outcomes) {
      if (kind === 'sent' && row.subjectKind === 'digest') await markRemindersDelivered(manager, row.dedupeKey, at, reachedMembers(row, receipt))
    }
    return also?.(manager)
  }
  try {
    return { together: true, value: await inTransaction(ctx, work) }
  } catch (error) {
    if (error instanceof NotAllHeldError) return { together: false }
    throw error
  }
}

/**
 * One transaction, run again whole when the database chose it as a deadlock victim. On
 * MySQL/MariaDB in the session's READ COMMITTED (docs/concurrency.md), which the reservations
 * need: naming it again would cost a statement per transaction.
 */
function inTransaction<T>(ctx: WorkerContext, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return retryOnDeadlock(() => ctx.dataSource.transaction(work))
}

/** One UPDATE for the rows of one claim: each column a CASE over the rows that set it. */
async function updateRows(ctx: WorkerContext, manager: EntityManager, claimToken: string, group: readonly Outcome[]): Promise<number> {
  const sets: string[] = []
  const params: unknown[] = []
  for (const property of COLUMNS) {
    const setting = group.filter((o) => property in o.values)
    if (setting.length === 0) continue
    const column = ctx.outbox.metadata.findColumnWithPropertyName(property)!.databaseName
    sets.push(`${column} = CASE id ${setting.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${column} END`)
    for (const o of setting) params.push(o.row.id, toParam(manager, o.values[property]))
  }
  const ids = group.map((o) => o.row.id)
  return affectedRows(
    manager,
    `UPDATE outbox_message SET ${sets.join(', ')}, claimed_by = NULL, claimed_at = NULL WHERE id IN (${ids.map(() => '?').join(', ')}) AND claimed_by = ? AND status = 'sending'`,
    [...params, ...ids, claimToken],
  )
}

/**
 * The slots of the sends: settled at `answeredAt` (when the outcomes are written, at or after
 * each answer: the safe side), or given back when nothing was delivered (send-budget.ts).
 */
async function finishSlots(manager: EntityManager, outcomes: readonly Outcome[], answeredAt: Date): Promise<void> {
  for (const [key, group] of groupBy(outcomes.filter((o) => o.slots), (o) => `${o.slots}@${o.at.getTime()}`)) {
    const ids = group.map((o) => o.row.id)
    if (key.startsWith('release')) await releaseSends(manager, ids, group[0]!.at)
    else await settleSends(manager, ids, group[0]!.at, answeredAt)
  }
}

function toParam(manager: EntityManager, value: unknown): unknown {
  if (value instanceof Date) return sqlInstant(manager, value)
  return value ?? null
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}
