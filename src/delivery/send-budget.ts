import { createHash } from 'node:crypto'
import type { DataSource, EntityManager } from 'typeorm'
import { retryOnDeadlock } from '../db/retry-on-deadlock.js'
import { OutboxMessageSchema, type OutboxMessage } from '../db/entities/index.js'
import type { AppMessage } from '../wecom/messages.js'
import { MEMBER_WINDOWS, ROBOT_WINDOWS, readyTimes, type RateWindow } from '../wecom/rate-limiter.js'
import { withSendTimeNote } from '../outbox/send-time-note.js'
import { fromSqlInstant, isMysql, sqlInstant } from '../db/sql-instant.js'

/** WeCom's duplicate-check interval the client asks for: its maximum, 4 hours (docs/delivery.md). */
export const DUPLICATE_CHECK_MS = 4 * 3_600_000

/**
 * A send whose outcome was never recorded (its worker died) counts as if WeCom took it this long
 * after it began: the client's request timeout (default 10 s). Settled sends count from their answer.
 */
export const UNSETTLED_MARGIN_MS = 10_000

/** Channels WeCom's duplicate check covers (message/send); app chats and robots have none. */
const DUPLICATE_CHECKED = new Set(['app', 'reply'])

export type Reservation =
  /**
   * A slot is taken for every recipient; `payload` is what to send (with a send-time note when
   * needed). `resend`: the slots are those of the row's earlier send, taken over; they must not be
   * given back, as that send may have been delivered.
   */
  | { kind: 'reserved'; payload: string; resend?: boolean }
  /** Over a budget: when this row, and the next rows to the same recipients, may go. */
  | { kind: 'limited'; retryAt: Date[] }
  /** An app chat or robot row whose earlier send began and has no recorded outcome: not sent again. */
  | { kind: 'unknown'; since: Date }
  /** Another worker took the row over after the claim timeout. */
  | { kind: 'lost' }

interface Key {
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
 * Renews the claim on `row` and, in the same transaction, takes its slots: with the recipients'
 * budget rows locked (MySQL/MariaDB; SQLite's transactions are serialized already), counts
 * their recent sends and refuses when a window is full; keeps an app chat or robot row whose
 * earlier send has an unknown outcome from going again; and notes the send time in a message
 * that is identical to one sent to the same people within the duplicate-check interval, before
 * its first send only (a resend must stay byte-identical). `count` rows of the same recipients
 * wait behind this one: `limited` says when each may go.
 */
export function reserveSend(dataSource: DataSource, row: OutboxMessage, claimToken: string, at: Date, count = 1): Promise<Reservation> {
  const work = (manager: EntityManager) => reserveIn(manager, row, claimToken, at, count)
  return retryOnDeadlock(() => (isMysql(dataSource) ? dataSource.transaction('READ COMMITTED', work) : dataSource.transaction(work)))
}

async function reserveIn(manager: EntityManager, row: OutboxMessage, claimToken: string, at: Date, count: number): Promise<Reservation> {
  if (!(await renewClaim(manager, row.id, claimToken, at))) return { kind: 'lost' }
  const keys = sendKeys(row)
  if (keys.length === 0) return { kind: 'reserved', payload: row.payload }
  const budgeted = keys.filter((k) => k.windows.length > 0)
  const list = (n: number) => Array.from({ length: n }, () => '?').join(', ')
  // The upsert takes an exclusive lock on each budget row (created on first use) until commit.
  if (isMysql(manager) && budgeted.length > 0) {
    await manager.query(`INSERT INTO send_budget (recipient) VALUES ${budgeted.map(() => '(?)').join(', ')} ON DUPLICATE KEY UPDATE recipient = recipient`, budgeted.map((k) => k.key))
  }
  if (row.channel === 'appchat' || row.channel === 'webhook') {
    const [open] = (await manager.query('SELECT at FROM send_slot WHERE outbox_id = ? AND settled = 0 ORDER BY at LIMIT 1', [row.id])) as { at: unknown }[]
    if (open) return { kind: 'unknown', since: fromSqlInstant(open.at)! }
  }
  const checked = DUPLICATE_CHECKED.has(row.channel)
  const horizon = (checked ? DUPLICATE_CHECK_MS : Math.max(...budgeted.flatMap((k) => k.windows.map((w) => w.ms)), 0)) + UNSETTLED_MARGIN_MS
  const slots =
    budgeted.length === 0
      ? []
      : ((await manager.query(`SELECT recipient, at, settled, fingerprint, outbox_id FROM send_slot WHERE recipient IN (${list(budgeted.length)}) AND at > ?`, [
          ...budgeted.map((k) => k.key),
          sqlInstant(manager, new Date(at.getTime() - horizon)),
        ])) as { recipient: string; at: unknown; settled: number | boolean; fingerprint: string | null; outbox_id: number }[])
  // WeCom delivers a row with duplicate check at most once, however often it is sent: a resend
  // takes over the slots of the row's earlier send (moved later, which never counts less).
  const own = checked ? slots.filter((s) => Number(s.outbox_id) === row.id) : []
  const ready = budgetReadyTimes(budgeted, own.length > 0 ? slots.filter((s) => !own.includes(s)) : slots, at.getTime(), count)
  if (ready[0]! > at.getTime()) return { kind: 'limited', retryAt: ready.map((t) => new Date(t)) }

  const payload = checked && own.length === 0 ? notedPayload(row, slots, at) : row.payload
  const fingerprint = checked ? fingerprintOf(row.recipients, payload) : null
  const instant = sqlInstant(manager, at)
  if (own.length > 0) await manager.query('DELETE FROM send_slot WHERE outbox_id = ?', [row.id])
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000)
    await manager.query(
      `INSERT INTO send_slot (recipient, outbox_id, at, settled, fingerprint) VALUES ${chunk.map(() => '(?, ?, ?, 0, ?)').join(', ')}`,
      chunk.flatMap((k) => [k.key, row.id, instant, fingerprint]),
    )
  }
  if (payload !== row.payload) await manager.update(OutboxMessageSchema, { id: row.id }, { payload })
  return { kind: 'reserved', payload, resend: own.length > 0 }
}

/** The claim renewed right before sending; false when another worker took the row over. */
async function renewClaim(manager: EntityManager, id: number, claimToken: string, at: Date): Promise<boolean> {
  const sql = "UPDATE outbox_message SET claimed_at = ? WHERE id = ? AND claimed_by = ? AND status = 'sending'"
  const params = [sqlInstant(manager, at), id, claimToken]
  if (isMysql(manager)) return Number(((await manager.query(sql, params)) as { affectedRows?: number }).affectedRows) > 0
  await manager.query(sql, params)
  const [{ n }] = (await manager.query('SELECT changes() AS n')) as [{ n: number }]
  return Number(n) > 0
}

/** When each of the next `count` sends to all of `keys` may go, from their recorded slots. */
function budgetReadyTimes(keys: Key[], slots: { recipient: string; at: unknown; settled: number | boolean }[], now: number, count: number): number[] {
  const times = new Map<string, number[]>()
  for (const slot of slots) {
    const t = fromSqlInstant(slot.at)!.getTime() + (Number(slot.settled) ? 0 : UNSETTLED_MARGIN_MS)
    times.set(slot.recipient, [...(times.get(slot.recipient) ?? []), t])
  }
  const ready = Array.from({ length: count }, () => now)
  for (const { key, windows } of keys) {
    readyTimes(times.get(key) ?? [], windows, now, count).forEach((t, j) => (ready[j] = Math.max(ready[j]!, t)))
  }
  return ready
}

/**
 * The row's payload, with a send-time note when WeCom's duplicate check would take it for
 * another row's request sent within the interval (only before the row's first send began: a
 * resend must stay byte-identical).
 */
function notedPayload(row: OutboxMessage, slots: { at: unknown; fingerprint: string | null; outbox_id: number }[], at: Date): string {
  const since = at.getTime() - DUPLICATE_CHECK_MS
  const taken = new Set(slots.filter((s) => s.fingerprint && fromSqlInstant(s.at)!.getTime() > since).map((s) => s.fingerprint))
  if (!taken.has(fingerprintOf(row.recipients, row.payload))) return row.payload
  const message = JSON.parse(row.payload) as AppMessage
  for (let variant = 0; variant < 10; variant += 1) {
    const noted = withSendTimeNote(message, at, variant)
    if (!noted) break
    const payload = JSON.stringify(noted)
    if (!taken.has(fingerprintOf(row.recipients, payload))) return payload
  }
  return row.payload
}

/**
 * The row's send begun at `reservedAt` has an answer or a recorded outcome: its slots count from
 * `answeredAt`. The slots of another send of the row are left alone: one a worker that died
 * began (the evidence that its outcome is unknown), one a worker that took the row over began.
 */
export async function settleSends(dataSource: DataSource, outboxId: number, reservedAt: Date, answeredAt: Date): Promise<void> {
  await dataSource.query('UPDATE send_slot SET at = ?, settled = 1 WHERE outbox_id = ? AND settled = 0 AND at = ?', [
    sqlInstant(dataSource, answeredAt),
    outboxId,
    sqlInstant(dataSource, reservedAt),
  ])
}

/** Gives back the slots a send took at `reservedAt` when nothing was sent after all. */
export async function releaseSends(dataSource: DataSource, outboxId: number, reservedAt: Date): Promise<void> {
  await dataSource.query('DELETE FROM send_slot WHERE outbox_id = ? AND settled = 0 AND at = ?', [outboxId, sqlInstant(dataSource, reservedAt)])
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
