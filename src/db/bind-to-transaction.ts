import type { DataSource, EntityManager } from 'typeorm'

/**
 * The DataSource a command is given while it runs inside its message's transaction: every
 * statement, repository and query builder goes through `manager` (one connection), and a
 * `transaction()` inside it becomes a savepoint of that transaction. So the command's change,
 * its answer and the inbound message's outcome commit together or not at all
 * (docs/concurrency.md). Whatever else (options, driver) is the DataSource's own.
 */
export function bindToTransaction(dataSource: DataSource, manager: EntityManager): DataSource {
  const own: Partial<Record<PropertyKey, unknown>> = {
    manager,
    transaction: manager.transaction.bind(manager),
    getRepository: manager.getRepository.bind(manager),
    getTreeRepository: manager.getTreeRepository.bind(manager),
    query: manager.query.bind(manager),
    createQueryBuilder: manager.createQueryBuilder.bind(manager),
  }
  return new Proxy(dataSource, {
    get(target, property) {
      if (property in own) return own[property]
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
