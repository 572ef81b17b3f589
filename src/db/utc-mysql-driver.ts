import mysql2 from 'mysql2'

/**
 * mysql2 with every pooled connection's session set up before any query of ours runs on it.
 *
 * READ COMMITTED: a transaction that waited for a row lock (SELECT … FOR UPDATE) then reads the
 * rows committed meanwhile; under InnoDB's default REPEATABLE READ its plain reads would still
 * see the snapshot taken before the wait, and a check such as "no pending extension yet" would
 * pass twice (docs/concurrency.md).
 *
 * Time zone UTC. TypeORM's
 * `timezone: 'Z'` only tells mysql2 how to convert Dates; the server still evaluates
 * CURRENT_TIMESTAMP (the created_at/updated_at defaults) in the session time zone, so on a
 * server configured for Beijing time those columns would be 8 hours off. Setting the session
 * to UTC when each connection opens makes both sides agree. The statement is queued on the
 * connection before any query of ours can run on it.
 */
export const utcMysqlDriver = {
  ...mysql2,
  createPool(options: mysql2.PoolOptions) {
    const pool = mysql2.createPool(options)
    pool.on('connection', (connection) => {
      connection.query("SET time_zone = '+00:00'")
      connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
    })
    return pool
  },
}
