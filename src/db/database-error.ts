import { QueryFailedError } from 'typeorm'

/** Codes of a lost or refused connection (mysql2 and Node's sockets). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'POOL_CLOSED'])

/**
 * An error of the database or of the connection to it, not of the work itself: the same work
 * may succeed once the database answers again (a failed statement, SQLite busy, MariaDB gone).
 */
export function isDatabaseError(error: unknown): boolean {
  if (error instanceof QueryFailedError) return true
  const { fatal, code } = (error ?? {}) as { fatal?: unknown; code?: unknown }
  return fatal === true || (typeof code === 'string' && CONNECTION_CODES.has(code))
}

/** A unique index refused the row: MySQL/MariaDB ER_DUP_ENTRY (1062), SQLite SQLITE_CONSTRAINT_UNIQUE. */
export function isUniqueViolation(error: unknown): boolean {
  const driver = (error as { driverError?: { errno?: number; code?: string } } | null)?.driverError
  return error instanceof QueryFailedError && (driver?.errno === 1062 || driver?.code === 'ER_DUP_ENTRY' || driver?.code === 'SQLITE_CONSTRAINT_UNIQUE' || driver?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
}
