import { AsyncLocalStorage } from 'node:async_hooks'
import type { DataSource, QueryRunner } from 'typeorm'

/**
 * TypeORM's better-sqlite3 driver has one connection and one query runner for everything, so
 * without this two flows that overlap in time share a transaction: a second
 * `dataSource.transaction()` becomes a SAVEPOINT inside the first, the first one's commit only
 * releases that savepoint, and a later ROLLBACK of the second throws away the first one's
 * writes after it was told they were committed; a plain statement of another flow (the worker
 * marking a row `sent`) runs inside an open transaction and is rolled back with it.
 *
 * This makes the connection exclusive per transaction, in-process: `dataSource.transaction()`
 * waits for the one running to finish, and a statement outside a transaction waits for it too.
 * Work inside the transaction (same async context) goes straight through. Every transaction
 * begins IMMEDIATE: it takes SQLite's write lock first (waiting up to the busy timeout for
 * another process), so a transaction that reads and then writes never fails with SQLITE_BUSY
 * because another process wrote in between (https://www.sqlite.org/lang_transaction.html).
 *
 * Transactions must therefore go through dataSource.transaction() (or a manager's
 * transaction()); migrations, which begin their own, run at start-up before anything else.
 */
export function serializeSqliteAccess(dataSource: DataSource): void {
  const context = new AsyncLocalStorage<symbol>()
  let owner: symbol | undefined
  let tail: Promise<void> = Promise.resolve()

  const inside = () => owner !== undefined && context.getStore() === owner

  async function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const previous = tail
    let release!: () => void
    tail = new Promise<void>((resolve) => (release = resolve))
    await previous
    const token = Symbol('sqlite-holder')
    owner = token
    try {
      return await context.run(token, work)
    } finally {
      owner = undefined
      release()
    }
  }

  const manager = dataSource.manager
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>
  manager.transaction = ((...args: unknown[]) => (inside() ? transaction(...args) : exclusive(() => transaction(...args)))) as typeof manager.transaction

  const patched = new WeakSet<QueryRunner>()
  const driver = dataSource.driver
  const createQueryRunner = driver.createQueryRunner.bind(driver)
  driver.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode)
    if (!patched.has(runner)) {
      patched.add(runner)
      const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>
      runner.query = ((sql: string, ...rest: unknown[]) => {
        const statement = sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql
        // Outside any transaction of ours but inside one TypeORM began itself (migrations): as is.
        const direct = inside() || (owner === undefined && runner.isTransactionActive)
        return direct ? query(statement, ...rest) : exclusive(() => query(statement, ...rest))
      }) as typeof runner.query
    }
    return runner
  }
}

