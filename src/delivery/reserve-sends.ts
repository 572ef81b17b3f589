import type { DataSource, EntityManager } from 'typeorm'
import { OutboxMessageSchema, type OutboxMessage } from '../db/entities/index.js'
import { retryOnDeadlock } from '../db/retry-on-deadlock.js'
import { fromSqlInstant, isMysql, sqlInstant } from '../db/sql-instant.js'
import { withSendTimeNote } from '../outbox/send-time-note.js'
import type { AppMessage } from '../wecom/messages.js'
import { readyTimes } from '../wecom/rate-limiter.js'
import { DUPLICATE_CHECK_MS, DUPLICATE_CHECKED, fingerprintOf, sendKeys, UNSETTLED_MARGIN_MS, type Key } from './send-budget.js'

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

/** A row to reserve, and how many rows to the same recipients wait behind it (itself included). */
export interface ReserveItem {
  row: OutboxMessage
  count: number
}

interface SlotRow {
  recipient: string
  at: unknown
  settled: number | boolean
  fingerprint: string | null
  outbox_id: number
}

const list = (n: number) => Array.from({ length: n }, () => '?').join(', ')
const chunks = <T>(items: readonly T[], size = 1000): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** One row's reservation (reserveSends with one item). */
export async function reserveSend(dataSource: DataSource, row: OutboxMessage, claimToken: string, at: Date, count = 1): Promise<Reservation> {
  return (await reserveSends(dataSource, [{ row, count }], claimToken, at))[0]!
}

/**
 * Renews the claim on each row and, in the same transaction, takes their slots: with the
 * recipients' budget rows locked (MySQL/MariaDB, in one sorted upsert; SQLite's transactions are
 * serialized already), counts their recent sends — those recorded and those taken by the rows
 * before it in `items` — and refuses a row whose window is full; keeps an app chat or robot row
 * whose earlier send has an unknown outcome from going again; and notes the send time in a
 * message identical to one sent to the same people within the duplicate-check interval, before
 * its first send only (a resend must stay byte-identical). A row's `count - 1` followers to the
 * same recipients wait behind it: `limited` says when each may go. One transaction for all the
 * rows: a few statements whatever their number (docs/delivery.md, Rounds).
 */
export function reserveSends(dataSource: DataSource, items: readonly ReserveItem[], claimToken: string, at: Date): Promise<Reservation[]> {
  const work = (manager: EntityManager) => reserveSendsIn(manager, items, claimToken, at)
  return retryOnDeadlock(() => (isMysql(dataSource) ? dataSource.transaction('READ COMMITTED', work) : dataSource.transaction(work)))
}

/** reserveSends in a transaction of the caller's. */
export async function reserveSendsIn(manager: EntityManager, items: readonly ReserveItem[], claimToken: string, at: Date): Promise<Reservation[]> {
  if (items.length === 0) return []
  const held = await renewClaims(manager, items.map((i) => i.row.id), claimToken, at)
  const live = items.filter((i) => held.has(i.row.id))
  const keysOf = new Map(live.map((i) => [i.row.id, sendKeys(i.row)]))
  const budgetedKeys = [...new Set(live.flatMap((i) => keysOf.get(i.row.id)!.filter((k) => k.windows.length > 0).map((k) => k.key)))].sort()
  // The upsert takes an exclusive lock on each budget row (created on first use) until commit; sorted, so two workers never wait in a circle.
  if (isMysql(manager)) {
    for (const chunk of chunks(budgetedKeys)) await manager.query(`INSERT INTO send_budget (recipient) VALUES ${chunk.map(() => '(?)').join(', ')} ON DUPLICATE KEY UPDATE recipient = recipient`, chunk)
  }
  const open = await openSends(manager, live.filter((i) => i.row.channel === 'appchat' || i.row.channel === 'webhook').map((i) => i.row.id))
  const horizon = Math.max(0, ...live.map((i) => horizonOf(i.row, keysOf.get(i.row.id)!))) + UNSETTLED_MARGIN_MS
  const slots: SlotRow[] = []
  for (const chunk of chunks(budgetedKeys)) {
    slots.push(
      ...((await manager.query(`SELECT recipient, at, settled, fingerprint, outbox_id FROM send_slot WHERE recipient IN (${list(chunk.length)}) AND at > ?`, [
        ...chunk,
        sqlInstant(manager, new Date(at.getTime() - horizon)),
      ])) as SlotRow[]),
    )
  }
  const taken = { own: [] as number[], slots: [] as SlotRow[], payloads: [] as { id: number; payload: string }[] }
  const instant = sqlInstant(manager, at)
  const results = items.map((item): Reservation => {
    if (!held.has(item.row.id)) return { kind: 'lost' }
    const since = open.get(item.row.id)
    if (since) return { kind: 'unknown', since }
    return reserveOne(item, keysOf.get(item.row.id)!, slots, at, instant, taken)
  })
  // Slots taken over first: the resends' new slots are inserted after.
  for (const ids of chunks(taken.own)) await manager.query(`DELETE FROM send_slot WHERE outbox_id IN (${list(ids.length)})`, ids)
  for (const chunk of chunks(taken.slots)) {
    await manager.query(
      `INSERT INTO send_slot (recipient, outbox_id, at, settled, fingerprint) VALUES ${chunk.map(() => '(?, ?, ?, 0, ?)').join(', ')}`,
      chunk.flatMap((s) => [s.recipient, s.outbox_id, s.at, s.fingerprint]),
    )
  }
  for (const { id, payload } of taken.payloads) await manager.update(OutboxMessageSchema, { id }, { payload })
  return results
}

/** How far back a row's send must look at its recipients' slots. */
function horizonOf(row: OutboxMessage, keys: Key[]): number {
  if (DUPLICATE_CHECKED.has(row.channel)) return DUPLICATE_CHECK_MS
  return Math.max(0, ...keys.flatMap((k) => k.windows.map((w) => w.ms)))
}

/**
 * One row's decision against the slots read and those taken before it in the same transaction
 * (`slots` grows with what this row takes).
 */
function reserveOne(
  { row, count }: ReserveItem,
  keys: Key[],
  slots: SlotRow[],
  at: Date,
  instant: unknown,
  taken: { own: number[]; slots: SlotRow[]; payloads: { id: number; payload: string }[] },
): Reservation {
  if (keys.length === 0) return { kind: 'reserved', payload: row.payload }
  const budgeted = keys.filter((k) => k.windows.length > 0)
  const recipients = new Set(budgeted.map((k) => k.key))
  const theirs = slots.filter((s) => recipients.has(s.recipient))
  const checked = DUPLICATE_CHECKED.has(row.channel)
  // WeCom delivers a row with duplicate check at most once, however often it is sent: a resend
  // takes over the slots of the row's earlier send (moved later, which never counts less).
  const own = checked ? theirs.filter((s) => Number(s.outbox_id) === row.id) : []
  const ready = budgetReadyTimes(budgeted, own.length > 0 ? theirs.filter((s) => !own.includes(s)) : theirs, at.getTime(), count)
  if (ready[0]! > at.getTime()) return { kind: 'limited', retryAt: ready.map((t) => new Date(t)) }

  const payload = checked && own.length === 0 ? notedPayload(row, theirs, at) : row.payload
  const fingerprint = checked ? fingerprintOf(row.recipients, payload) : null
  if (own.length > 0) {
    taken.own.push(row.id)
    for (const slot of own) slots.splice(slots.indexOf(slot), 1)
  }
  for (const { key } of keys) {
    const slot = { recipient: key, outbox_id: row.id, at: instant, settled: 0, fingerprint }
    taken.slots.push(slot)
    slots.push(slot)
  }
  if (payload !== row.payload) taken.payloads.push({ id: row.id, payload })
  return { kind: 'reserved', payload, resend: own.length > 0 }
}

/**
 * Renews the claim on rows right before they are sent; returns those still held (another
 * worker may have taken one over after the claim timeout). One UPDATE; a second statement
 * finds which only when some are no longer held.
 */
export async function renewClaims(manager: EntityManager, ids: readonly number[], claimToken: string, at: Date): Promise<Set<number>> {
  const held = new Set<number>()
  for (const chunk of chunks(ids)) {
    const where = `id IN (${list(chunk.length)}) AND claimed_by = ? AND status = 'sending'`
    const renewed = await affectedRows(manager, `UPDATE outbox_message SET claimed_at = ? WHERE ${where}`, [sqlInstant(manager, at), ...chunk, claimToken])
    if (renewed === chunk.length) {
      for (const id of chunk) held.add(id)
      continue
    }
    const still = (await manager.query(`SELECT id FROM outbox_message WHERE ${where}`, [...chunk, claimToken])) as { id: number }[]
    for (const { id } of still) held.add(Number(id))
  }
  return held
}

/** Runs a writing statement and returns how many rows it changed. */
export async function affectedRows(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  if (isMysql(manager)) return Number(((await manager.query(sql, params)) as { affectedRows?: number }).affectedRows)
  await manager.query(sql, params)
  const [{ n }] = (await manager.query('SELECT changes() AS n')) as [{ n: number }]
  return Number(n)
}

/** The earliest unsettled slot of each row: a send that began and has no recorded outcome. */
async function openSends(manager: EntityManager, ids: readonly number[]): Promise<Map<number, Date>> {
  const open = new Map<number, Date>()
  for (const chunk of chunks(ids)) {
    const rows = (await manager.query(`SELECT outbox_id, MIN(at) AS at FROM send_slot WHERE outbox_id IN (${list(chunk.length)}) AND settled = 0 GROUP BY outbox_id`, chunk)) as { outbox_id: number; at: unknown }[]
    for (const r of rows) open.set(Number(r.outbox_id), fromSqlInstant(r.at)!)
  }
  return open
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
 * A reservation taken ahead whose send did not begin within RESERVE_AHEAD_MS: the claim is
 * renewed and its slots move to `at`, when the send now begins (later, which never counts less).
 * False when another worker took the row over.
 */
export function renewReservation(dataSource: DataSource, row: OutboxMessage, claimToken: string, reservedAt: Date, at: Date): Promise<boolean> {
  return retryOnDeadlock(() =>
    dataSource.transaction(async (manager) => {
      if (!(await renewClaims(manager, [row.id], claimToken, at)).has(row.id)) return false
      await manager.query('UPDATE send_slot SET at = ? WHERE outbox_id = ? AND settled = 0 AND at = ?', [sqlInstant(manager, at), row.id, sqlInstant(manager, reservedAt)])
      return true
    }),
  )
}
