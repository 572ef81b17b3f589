import type { DataSource, EntityManager } from 'typeorm'
import { OutboxMessageSchema, type OutboxMessage } from '../db/entities/index.js'
import { retryOnDeadlock } from '../db/retry-on-deadlock.js'
import { isMysql, sqlInstant } from '../db/sql-instant.js'

export interface ClaimOptions {
  /** Written to claimed_by; unique per claim, so a worker finds exactly the rows it took. */
  claimToken: string
  now: Date
  limit: number
  /** In quiet hours only urgent rows are taken. */
  urgentOnly: boolean
}

/**
 * Takes due pending rows for this worker and marks them `sending`. On MySQL/MariaDB the rows
 * are locked with SELECT … FOR UPDATE SKIP LOCKED, so competing workers take different rows
 * without waiting for each other. On SQLite one UPDATE … WHERE id IN (SELECT … LIMIT) does it
 * in a single statement: a writing statement takes the write lock before it reads (as BEGIN
 * IMMEDIATE would) and gives it back when it ends, without waiting on anything in between —
 * unlike a transaction, which would hold the lock across the event loop.
 *
 * `also`, given the rows claimed, runs in a transaction of its own (the first reservations,
 * deliver-lanes.ts); the claim's stays as short as it was: its locks hold other workers' claims
 * back.
 */
export async function claimDue<T>(dataSource: DataSource, options: ClaimOptions, also?: (manager: EntityManager, rows: OutboxMessage[]) => Promise<T>): Promise<{ rows: OutboxMessage[]; value?: T }> {
  const now = sqlInstant(dataSource, options.now)
  const urgent = options.urgentOnly ? ' AND urgent = 1' : ''
  const due = `status = 'pending' AND next_attempt_at <= ?${urgent} ORDER BY next_attempt_at, id LIMIT ${Number(options.limit)}`
  if (isMysql(dataSource)) {
    await retryOnDeadlock(() => dataSource.transaction(async (manager) => {
      const rows = (await manager.query(`SELECT id FROM outbox_message WHERE ${due} FOR UPDATE SKIP LOCKED`, [now])) as { id: number }[]
      if (rows.length === 0) return
      await manager.query(
        `UPDATE outbox_message SET status = 'sending', claimed_by = ?, claimed_at = ? WHERE id IN (${rows.map(() => '?').join(', ')})`,
        [options.claimToken, now, ...rows.map((r) => r.id)],
      )
    }))
  } else {
    await dataSource.query(
      `UPDATE outbox_message SET status = 'sending', claimed_by = ?, claimed_at = ? WHERE id IN (SELECT id FROM outbox_message WHERE ${due})`,
      [options.claimToken, now, now],
    )
  }
  const rows = await dataSource.getRepository(OutboxMessageSchema).find({
    where: { claimedBy: options.claimToken, status: 'sending' },
    order: { nextAttemptAt: 'ASC', id: 'ASC' },
  })
  if (rows.length === 0 || !also) return { rows }
  return { rows, value: await retryOnDeadlock(() => dataSource.transaction((manager) => also(manager, rows))) }
}

/**
 * Rows left `sending` by a worker that died are pending again after the claim timeout. The
 * stale rows are found by a plain read and updated by id: an UPDATE over the `sending` range
 * would lock the rows other workers hold (and the gaps between them) and deadlock with their
 * claims (seen with two workers on MariaDB).
 */
export async function reclaimStale(dataSource: DataSource, claimedBefore: Date): Promise<void> {
  const before = sqlInstant(dataSource, claimedBefore)
  const stale = (await dataSource.query("SELECT id FROM outbox_message WHERE status = 'sending' AND claimed_at < ?", [before])) as { id: number }[]
  for (let i = 0; i < stale.length; i += 1000) {
    const ids = stale.slice(i, i + 1000).map((r) => r.id)
    await retryOnDeadlock(() =>
      dataSource.query(
        `UPDATE outbox_message SET status = 'pending', claimed_by = NULL, claimed_at = NULL WHERE id IN (${ids.map(() => '?').join(', ')}) AND status = 'sending' AND claimed_at < ?`,
        [...ids, before],
      ),
    )
  }
}
