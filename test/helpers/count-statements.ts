import type { DataSource, QueryRunner } from 'typeorm'

/**
 * Counts the SQL statements every query runner of `dataSource` sends from now on (BEGIN and
 * COMMIT included): what a change to the delivery worker costs the database, on SQLite and
 * MySQL/MariaDB alike.
 */
export function countStatements(dataSource: DataSource): { count: number } {
  const counter = { count: 0 }
  const driver = dataSource.driver
  const createQueryRunner = driver.createQueryRunner.bind(driver)
  const counted = new WeakSet<QueryRunner>()
  driver.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode)
    if (!counted.has(runner)) {
      counted.add(runner)
      const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>
      runner.query = ((...args: unknown[]) => {
        counter.count += 1
        return query(...args)
      }) as typeof runner.query
    }
    return runner
  }
  return counter
}
