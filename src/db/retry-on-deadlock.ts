/**
 * Runs a transaction again when the database chose it as a deadlock victim (MySQL/MariaDB
 * ER_LOCK_DEADLOCK 1213, lock wait timeout 1205; SQLite SQLITE_BUSY). InnoDB resolves two
 * replicas inserting the same unique keys at once by killing one; its retry then finds the
 * other's rows and inserts nothing, which is the point.
 */
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

export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work()
    } catch (error) {
      if (!isTransientDatabaseError(error) || attempt >= attempts) throw error
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50))
    }
  }
}
