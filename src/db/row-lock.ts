import type { EntityManager, EntitySchema, FindOptionsWhere, ObjectLiteral } from 'typeorm'
import { isMysql } from './sql-instant.js'

/**
 * Reads a row and locks it until the transaction ends, so that a check made on it still holds
 * when the change is written (docs/concurrency.md). MySQL/MariaDB: SELECT … FOR UPDATE; a second
 * transaction asking for the same row waits here and then reads what the first one wrote.
 * SQLite: every transaction of ours begins IMMEDIATE and runs alone (src/db/serialize-sqlite.ts),
 * so a plain read is already locked; TypeORM refuses FOR UPDATE there.
 */
export function findOneForUpdate<T extends ObjectLiteral>(manager: EntityManager, schema: EntitySchema<T>, where: FindOptionsWhere<T>): Promise<T | null> {
  return findLocked(manager, schema, where, 'pessimistic_write')
}

/**
 * Reads a row and keeps others from changing it until the transaction ends, while other readers
 * that only need it unchanged go on at once (MySQL/MariaDB: LOCK IN SHARE MODE). For a change
 * that depends on a row it does not write, e.g. acknowledging a circular that must not be
 * recalled meanwhile.
 */
export function findOneForShare<T extends ObjectLiteral>(manager: EntityManager, schema: EntitySchema<T>, where: FindOptionsWhere<T>): Promise<T | null> {
  return findLocked(manager, schema, where, 'pessimistic_read')
}

async function findLocked<T extends ObjectLiteral>(
  manager: EntityManager,
  schema: EntitySchema<T>,
  where: FindOptionsWhere<T>,
  mode: 'pessimistic_write' | 'pessimistic_read',
): Promise<T | null> {
  if (!manager.queryRunner?.isTransactionActive) throw new Error('a row lock needs a transaction')
  return manager.findOne(schema, { where, ...(isMysql(manager) ? { lock: { mode } } : {}) })
}
