import { createHash } from 'node:crypto'
import type { DataSource, EntityManager } from 'typeorm'
import type { OutboxMessage } from '../db/entities/index.js'
import { MEMBER_WINDOWS, ROBOT_WINDOWS, type RateWindow } from '../wecom/rate-limiter.js'
import { sqlInstant } from '../db/sql-instant.js'

/** WeCom's duplicate-check interval the client asks for: its maximum, 4 hours (docs/delivery.md). */
export const DUPLICATE_CHECK_MS = 4 * 3_600_000

/**
 * A send whose outcome was never recorded (its worker died) counts as if WeCom took it this long
 * after its slot's time: the client's request timeout (default 10 s), and the second by which a
 * send reserved ahead may begin after its slot's time (RESERVE_AHEAD_MS in deliver-lanes.ts).
 * Settled sends count from their answer.
 */
export const UNSETTLED_MARGIN_MS = 11_000

/** Channels WeCom's duplicate check covers (message/send); app chats and robots have none. */
export const DUPLICATE_CHECKED = new Set(['app', 'reply'])

export interface Key {
  key: string
  windows: readonly RateWindow[]
}

/** The recipients a row's send is recorded for, sorted (locks are taken in this order); budgeted ones have windows. */
export function sendKeys(row: Pick<OutboxMessage, 'channel' | 'recipients'>): Key[] {
  const r = JSON.parse(row.recipients) as { touser?: string[]; chatid?: string; robot?: string }
  const keys: Key[] =
    row.channel === 'webhook'
      ? [{ key: `robot:${r.robot}`, windows: ROBOT_WINDOWS }]
      : row.channel === 'appchat'
        ? [{ key: `chat:${r.chatid}`, windows: [] }]
        : row.channel === 'recall'
          ? []
          : [...new Set(r.touser ?? [])].map((u) => ({ key: `user:${u.toLowerCase()}`, windows: MEMBER_WINDOWS }))
  return keys.sort((a, b) => (a.key < b.key ? -1 : 1))
}

/** What WeCom's duplicate check compares, for one row's request: its recipients and its body. */
export const fingerprintOf = (recipients: string, payload: string) => createHash('sha256').update(`${recipients}\n${payload}`).digest('hex')

/**
 * The rows' sends begun at `reservedAt` have an answer or a recorded outcome: their slots count from
 * `answeredAt`. The slots of another send of a row are left alone: one a worker that died
 * began (the evidence that its outcome is unknown), one a worker that took the row over began.
 */
export async function settleSends(manager: DataSource | EntityManager, outboxIds: readonly number[], reservedAt: Date, answeredAt: Date): Promise<void> {
  const ids = outboxIds.map(() => '?').join(', ')
  await manager.query(`UPDATE send_slot SET at = ?, settled = 1 WHERE outbox_id IN (${ids}) AND settled = 0 AND at = ?`, [sqlInstant(manager, answeredAt), ...outboxIds, sqlInstant(manager, reservedAt)])
}

/** Gives back the slots the sends took at `reservedAt` when nothing was sent after all. */
export async function releaseSends(manager: DataSource | EntityManager, outboxIds: readonly number[], reservedAt: Date): Promise<void> {
  const ids = outboxIds.map(() => '?').join(', ')
  await manager.query(`DELETE FROM send_slot WHERE outbox_id IN (${ids}) AND settled = 0 AND at = ?`, [...outboxIds, sqlInstant(manager, reservedAt)])
}

/**
 * An administrator resends rows whose outcome was unknown: their earlier sends no longer hold
 * them back (they still count, from when they began).
 */
export async function forgetUnknownOutcomes(manager: DataSource | EntityManager, outboxIds: readonly number[]): Promise<void> {
  for (let i = 0; i < outboxIds.length; i += 1000) {
    const ids = outboxIds.slice(i, i + 1000)
    await manager.query(`UPDATE send_slot SET settled = 1 WHERE settled = 0 AND outbox_id IN (${ids.map(() => '?').join(', ')})`, ids)
  }
}

/** Unsettled slots are the evidence that a send began: kept a week, in case no worker ran for that long. */
const EVIDENCE_MS = 7 * 24 * 3_600_000

/**
 * Deletes slots older than the duplicate-check interval (found by a plain read, deleted by id:
 * no range lock on a table every send writes). Returns how many.
 */
export async function pruneSendSlots(dataSource: DataSource, now: Date): Promise<number> {
  let pruned = 0
  for (let round = 0; round < 20; round += 1) {
    const old = (await dataSource.query('SELECT id FROM send_slot WHERE at < ? AND (settled = 1 OR at < ?) LIMIT 1000', [
      sqlInstant(dataSource, new Date(now.getTime() - DUPLICATE_CHECK_MS - UNSETTLED_MARGIN_MS)),
      sqlInstant(dataSource, new Date(now.getTime() - EVIDENCE_MS)),
    ])) as { id: number }[]
    if (old.length === 0) break
    await dataSource.query(`DELETE FROM send_slot WHERE id IN (${old.map(() => '?').join(', ')})`, old.map((r) => r.id))
    pruned += old.length
    if (old.length < 1000) break
  }
  return pruned
}
