import type { EntityManager, EntitySchema, ObjectLiteral } from 'typeorm'
import { isMysql, sqlInstant } from './sql-instant.js'

/**
 * INSERT that does nothing when a unique key exists already — and only then: other errors still
 * fail. SQLite: ON CONFLICT DO NOTHING. MySQL: a no-op ON DUPLICATE KEY UPDATE on `keyColumn`,
 * not INSERT IGNORE, which would also turn other errors (a value too long) into warnings.
 * Returns 1 when the row was inserted, 0 when it was there.
 */
export async function insertIgnoringDuplicate<T extends ObjectLiteral>(
  manager: EntityManager,
  schema: EntitySchema<T>,
  values: Partial<T>,
  keyColumn: string,
): Promise<number> {
  const insert = manager.createQueryBuilder().insert().into(schema).values(values as T).updateEntity(false)
  if (isMysql(manager)) {
    const result = await insert.orUpdate([keyColumn], [keyColumn]).execute()
    // insertId is 0 when the row existed and nothing was inserted.
    return Number((result.raw as { insertId?: number }).insertId) > 0 ? 1 : 0
  }
  await insert.orIgnore().execute()
  // One connection (better-sqlite3): changes() is this INSERT's count.
  const [{ n }] = (await manager.query('SELECT changes() AS n')) as [{ n: number }]
  return Number(n)
}

/**
 * The same for many rows, in plain multi-row SQL: `rows` are arrays of values in the order of
 * `columns` (a sweep writes twenty thousand digests; TypeORM's builder would spend longer
 * preparing the statements than the database takes to run them). Rows whose key exists are
 * skipped. Booleans and instants are bound as each database stores them.
 */
export function insertManyIgnoringDuplicates(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  keyColumn: string,
): Promise<void> {
  return insertMany(manager, table, columns, rows, keyColumn)
}

/**
 * Many rows in plain multi-row SQL, as insertManyIgnoringDuplicates, but a row whose unique key
 * exists fails the statement — unless `ignoreDuplicateOf` names the key column to skip it on.
 */
export async function insertMany(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  ignoreDuplicateOf?: string,
): Promise<void> {
  const mysql = isMysql(manager)
  const instants = new Map<Date, unknown>() // the rows of one call mostly share an instant or two
  const instant = (value: Date) => {
    let bound = instants.get(value)
    if (bound === undefined) instants.set(value, (bound = sqlInstant(manager, value)))
    return bound
  }
  const bind = (value: unknown) => (typeof value === 'boolean' ? (value ? 1 : 0) : value instanceof Date ? instant(value) : value)
  const row = `(${columns.map(() => '?').join(', ')})`
  const ignore = ignoreDuplicateOf === undefined ? '' : mysql ? ` ON DUPLICATE KEY UPDATE ${ignoreDuplicateOf} = ${ignoreDuplicateOf}` : ' ON CONFLICT DO NOTHING'
  // Under SQLite's limit of 32,766 bound values per statement.
  const size = Math.max(1, Math.floor(30_000 / columns.length))
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size)
    await manager.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => row).join(', ')}${ignore}`, chunk.flatMap((r) => r.map(bind)))
  }
}
