import type { EntityManager, EntitySchema, ObjectLiteral } from 'typeorm'
import { isMysql } from '../delivery/sql-instant.js'

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

/** The same for many rows in one statement (rows whose key exists are skipped). */
export async function insertManyIgnoringDuplicates<T extends ObjectLiteral>(
  manager: EntityManager,
  schema: EntitySchema<T>,
  rows: Partial<T>[],
  keyColumn: string,
): Promise<void> {
  if (rows.length === 0) return
  const insert = manager.createQueryBuilder().insert().into(schema).values(rows as T[]).updateEntity(false)
  await (isMysql(manager) ? insert.orUpdate([keyColumn], [keyColumn]) : insert.orIgnore()).execute()
}
