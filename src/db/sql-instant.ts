import type { DataSource, EntityManager } from 'typeorm'

/**
 * An instant as a raw-query parameter: mysql2 formats a Date itself (in UTC, the connection's
 * time zone), better-sqlite3 cannot bind a Date, so it gets the UTC text TypeORM stores
 * ("2015-08-31 16:30:00.000"), which compares correctly as a string.
 */
export function sqlInstant(db: DataSource | EntityManager, instant: Date): Date | string {
  const type = ('connection' in db ? db.connection : db).options.type
  if (type === 'mysql' || type === 'mariadb') return instant
  return instant.toISOString().replace('T', ' ').replace('Z', '')
}

export function isMysql(db: DataSource | EntityManager): boolean {
  const type = ('connection' in db ? db.connection : db).options.type
  return type === 'mysql' || type === 'mariadb'
}

/** The converse, for raw-query results: a Date on MySQL, TypeORM's UTC text on SQLite; null stays null. */
export function fromSqlInstant(value: unknown): Date | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value
  const text = String(value)
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`)
}
