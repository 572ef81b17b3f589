import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm'
import type { InboundStatus, ReplyVia } from '../db/entities/index.js'
import { isMysql, sqlInstant } from '../db/sql-instant.js'

export interface NewInbound {
  dedupeKey: string
  msgId: string | null
  fromUser: string
  msgType: string
  event: string | null
  content: string | null
  receivedAt: Date
}

/**
 * The callback's two writes per message, in plain SQL: they run on every message WeCom sends,
 * and TypeORM's builders cost three to five times as much as the statement itself
 * (51 µs against 135 µs for the insert on SQLite, measured with bench/callback.ts's payloads).
 */

const COLUMNS = '(dedupe_key, msg_id, from_user, msg_type, event, content, status, received_at)'

/** Stores a message under its unique key; null when the key exists (a retry, or another replica's copy). */
export async function insertInbound(dataSource: DataSource, row: NewInbound): Promise<number | null> {
  try {
    const result = await dataSource.query(
      `INSERT INTO inbound_message ${COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.dedupeKey, row.msgId, row.fromUser, row.msgType, row.event, row.content, 'received', sqlInstant(dataSource, row.receivedAt)],
    )
    // mysql2 answers a result header; TypeORM's better-sqlite3 runner answers the new rowid.
    return isMysql(dataSource) ? Number((result as { insertId: number }).insertId) : Number(result)
  } catch (error) {
    if (error instanceof QueryFailedError && /unique|duplicate/i.test(error.message)) return null
    throw error
  }
}

/**
 * Stores several new messages in one statement, all or none (a statement is atomic): their ids
 * by dedupe key. Any duplicate key fails the whole statement; the caller then stores them one by
 * one. MariaDB (10.5+) and SQLite (3.35+) answer the ids with RETURNING; MySQL reads them back,
 * which is safe: the statement succeeded, so every key in it is ours.
 */
export async function insertInboundRows(dataSource: DataSource, rows: readonly NewInbound[], returning = hasReturning(dataSource)): Promise<Map<string, number>> {
  const values = rows.flatMap((row) => [row.dedupeKey, row.msgId, row.fromUser, row.msgType, row.event, row.content, 'received', sqlInstant(dataSource, row.receivedAt)])
  const tuples = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')
  const insert = `INSERT INTO inbound_message ${COLUMNS} VALUES ${tuples}`
  const keys = rows.map((row) => row.dedupeKey)
  type Stored = { id: number | string; dedupe_key: string }[]
  let ids: Stored
  if (returning) ids = (await dataSource.query(`${insert} RETURNING id, dedupe_key`, values)) as Stored
  else {
    await dataSource.query(insert, values)
    const reading = dataSource.query(`SELECT id, dedupe_key FROM inbound_message WHERE dedupe_key IN (${keys.map(() => '?').join(', ')})`, keys) as Promise<Stored>
    ids = await reading.catch((error: unknown) => {
      throw new InboundStoredError('stored, but the ids could not be read back', { cause: error })
    })
  }
  return new Map(ids.map((row) => [row.dedupe_key, Number(row.id)]))
}

/** The messages were stored (committed), but which id each got is not known: they must not be written again. */
export class InboundStoredError extends Error {}

/** INSERT … RETURNING: SQLite and MariaDB have it, MySQL does not. */
function hasReturning(dataSource: DataSource): boolean {
  return dataSource.options.type !== 'mysql'
}

export interface InboundOutcome {
  status: InboundStatus
  processedAt: Date
  reply: string | null
  replyVia: ReplyVia | null
  error?: string | null
}

/** Records how a message was handled and what was answered. */
export async function finishInbound(db: DataSource | EntityManager, id: number, outcome: InboundOutcome): Promise<void> {
  // An error already recorded stays when none is given.
  await db.query('UPDATE inbound_message SET status = ?, processed_at = ?, reply = ?, reply_via = ?, error = COALESCE(?, error) WHERE id = ?', [
    outcome.status,
    sqlInstant(db, outcome.processedAt),
    outcome.reply,
    outcome.replyVia,
    outcome.error ?? null,
    id,
  ])
}

/**
 * Locks a message's row for the transaction that handles it or gives up on it, and says how it
 * stands. MySQL/MariaDB: FOR UPDATE; SQLite: the transaction already runs alone.
 */
export async function lockInbound(manager: EntityManager, id: number): Promise<{ status: InboundStatus; replyVia: ReplyVia | null } | null> {
  const lock = isMysql(manager) ? ' FOR UPDATE' : ''
  const [row] = (await manager.query(`SELECT status, reply_via FROM inbound_message WHERE id = ?${lock}`, [id])) as { status: InboundStatus; reply_via: ReplyVia | null }[]
  return row ? { status: row.status, replyVia: row.reply_via } : null
}

/** Marks a message failed with nothing answered yet, unless it was handled meanwhile; WeCom's retry then tells the sender. */
export async function markFailed(db: DataSource | EntityManager, id: number, at: Date, error: string): Promise<void> {
  await db.query("UPDATE inbound_message SET status = 'failed', processed_at = ?, error = ? WHERE id = ? AND status = 'received'", [sqlInstant(db, at), error, id])
}
