/**
 * What a failed statement may say in a log line or a stored error column: its code and the
 * statement's name, never the statement's text, its parameters or a value the driver quotes in
 * its message (docs/logging.md). A driver message that quotes only names (a key, a column) is
 * kept, a known one with a value keeps what surrounds it, and any other is cut at its first
 * quote, where MariaDB and SQLite put values.
 */

export interface DatabaseErrorFacts {
  code?: string
  errno?: number
  sqlState?: string
  /** The statement's first keyword and table, e.g. "INSERT monthly_report_revision". */
  statement?: string
  /** The driver's message with every quoted value replaced by '…'. */
  message: string
}

type Fields = { name?: unknown; message?: unknown; code?: unknown; errno?: unknown; sqlState?: unknown; sql?: unknown; sqlMessage?: unknown; query?: unknown; driverError?: unknown }

/** Driver messages (MariaDB/MySQL) whose quoted parts are names only: kept as they are. */
const NAMES_ONLY = [/^Column '[\w$]+' cannot be null$/, /^Data too long for column '[\w$]+' at row \d+$/, /^Unknown column '[\w.$]+' in '[\w ]+'$/, /^Table '[\w.$]+' doesn't exist$/]

/** Driver messages with one value in them, between the head and the tail kept here. */
const ONE_VALUE = [/^(Duplicate entry ')[^]*(' for key '[\w.$]+')$/, /^(Incorrect [\w ]+ value: ')[^]*(' for column [\w.$`]+ at row \d+)$/]

/** True for an error of a statement: TypeORM's QueryFailedError, a mysql2 error, a better-sqlite3 error. */
export function isStatementError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { name, code, sql, sqlMessage, driverError } = error as Fields
  return name === 'QueryFailedError' || name === 'SqliteError' || driverError !== undefined || sql !== undefined || sqlMessage !== undefined || (typeof code === 'string' && code.startsWith('SQLITE_'))
}

/** A driver's message with what it quotes from the statement's values replaced by '…'. */
export function toSafeDatabaseMessage(message: string): string {
  if (NAMES_ONLY.some((pattern) => pattern.test(message))) return message
  for (const pattern of ONE_VALUE) if (pattern.test(message)) return message.replace(pattern, '$1…$2')
  const quote = message.search(/['"]/)
  return quote === -1 ? message : `${message.slice(0, quote + 1)}…`
}

/** "INSERT monthly_report_revision" from the statement's text: its first keyword and the first table it names. */
export function toStatementName(sql: string): string | undefined {
  const keyword = /^\s*([A-Za-z]{1,20})\b/.exec(sql)?.[1]?.toUpperCase()
  if (!keyword) return undefined
  const table = /\b(?:INTO|UPDATE|FROM|TABLE|TABLES|JOIN)\s+(?:IGNORE\s+)?(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:[`"[]?[\w$]{1,64}[`"\]]?\.)?[`"[]?([\w$]{1,64})/i.exec(sql)?.[1]
  return table ? `${keyword} ${table}` : keyword
}

/**
 * An error's message as it may be logged or stored: a statement's error's without the values it
 * quotes, an EntityNotFoundError's without the criteria (the values looked for), any other's as it is.
 */
function toSafeErrorMessage(error: { name?: unknown; message: string }): string {
  if (isStatementError(error)) return toSafeDatabaseMessage(error.message)
  if (error.name === 'EntityNotFoundError') return error.message.replace(/ matching:[^]*$/, '')
  return error.message
}

/** The facts of a statement's error that may be logged or stored, or null for any other error. */
export function toDatabaseErrorFacts(error: unknown): DatabaseErrorFacts | null {
  if (!isStatementError(error)) return null
  const { message, code, errno, sqlState, query, sql } = error as Fields
  const text = typeof query === 'string' ? query : typeof sql === 'string' ? sql : undefined
  const statement = text === undefined ? undefined : toStatementName(text)
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof errno === 'number' ? { errno } : {}),
    ...(typeof sqlState === 'string' ? { sqlState } : {}),
    ...(statement ? { statement } : {}),
    message: toSafeDatabaseMessage(String(message ?? '')),
  }
}

/**
 * An error in one line, for a log or a stored error column (inbound_message.error,
 * outbox_message.last_error): a statement's error gives its code, errno, statement name and safe
 * message, e.g. "ER_DUP_ENTRY (1062) in INSERT monthly_report_revision: Duplicate entry '…' for
 * key 'uq_x'"; any other error its message, as before (an EntityNotFoundError's without criteria).
 */
export function describeError(error: unknown): string {
  const facts = toDatabaseErrorFacts(error)
  if (facts) {
    const code = [facts.code, facts.errno === undefined ? undefined : `(${facts.errno})`].filter(Boolean).join(' ') || 'database error'
    return `${code}${facts.statement ? ` in ${facts.statement}` : ''}: ${facts.message}`
  }
  const { message } = (error ?? {}) as { message?: unknown }
  return typeof message === 'string' ? toSafeErrorMessage(error as { message: string }) : String(error)
}
