/**
 * Runs a transaction again when the database chose it as a deadlock victim (MySQL/MariaDB
 * ER_LOCK_DEADLOCK 1213, lock wait timeout 1205; SQLite SQLITE_BUSY). InnoDB resolves two
 * replicas inserting the same unique keys at once by killing one; its retry then finds the
 * other's rows and inserts nothing, which is the point.
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work()
    } catch (error) {
      const driver = (error as { driverError?: { errno?: number; code?: string } }).driverError
      const transient = driver?.errno === 1213 || driver?.errno === 1205 || driver?.code === 'SQLITE_BUSY'
      if (!transient || attempt >= attempts) throw error
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50))
    }
  }
}
