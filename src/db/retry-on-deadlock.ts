import pRetry from 'p-retry'

/**
 * 1213 deadlock, 1205 lock wait timeout, 1020 "record has changed since last read" (MariaDB
 * 11.6+ with innodb_snapshot_isolation, its default: a transaction writing a row committed after
 * its snapshot). SQLite: busy, or a snapshot another process wrote past.
 */
const TRANSIENT_ERRNOS = new Set([1213, 1205, 1020])

/** The database gave up on the transaction to let another go first: the same work may run again. */
export function isTransientDatabaseError(error: unknown): boolean {
  const driver = (error as { driverError?: { errno?: number; code?: string } } | null)?.driverError
  return TRANSIENT_ERRNOS.has(driver?.errno ?? 0) || driver?.code === 'SQLITE_BUSY' || driver?.code === 'SQLITE_BUSY_SNAPSHOT'
}

/**
 * Runs a transaction again when the database chose it as a deadlock victim (MySQL/MariaDB
 * ER_LOCK_DEADLOCK 1213, lock wait timeout 1205; SQLite SQLITE_BUSY). InnoDB resolves two
 * replicas inserting the same unique keys at once by killing one; its retry then finds the
 * other's rows and inserts nothing, which is the point.
 *
 * Up to `attempts` runs, waiting 20–40 ms, then 40–80, then 80–160 (jittered, so that the two do
 * not collide again). Any other error is thrown at once and as it is: p-retry rethrows the error
 * itself when `shouldRetry` says no (only a thrown non-Error would come back wrapped, and the
 * database and our code throw Errors).
 */
export function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  return pRetry(() => work(), {
    retries: attempts - 1,
    shouldRetry: ({ error }) => isTransientDatabaseError(error),
    minTimeout: 20,
    randomize: true,
  })
}
