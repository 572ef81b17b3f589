import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConnection } from 'mysql2/promise'
import type { DataSource } from 'typeorm'
import { createDataSource } from '../../src/db/create-data-source.js'
import { parseDatabaseUrl, type DatabaseTarget } from '../../src/config/database-url.js'

/** Set to run the suite against MySQL/MariaDB, e.g. mysql://root@127.0.0.1:3306/test. */
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL
export const dialect: 'sqlite' | 'mysql' = TEST_MYSQL_URL ? 'mysql' : 'sqlite'

export interface TestDatabase {
  target: DatabaseTarget
  /** DATABASE_URL for a child process. */
  url: string
  drop(): Promise<void>
}

/**
 * A fresh, empty database for one test file: a SQLite file in a temporary folder, or — with
 * TEST_MYSQL_URL — a new database on that server, dropped afterwards. The MySQL database is
 * created with the server's old latin1 default on purpose, so the tests prove that the
 * migrations themselves make every table utf8mb4.
 */
export async function createTestDatabase(mysqlUrl = TEST_MYSQL_URL): Promise<TestDatabase> {
  if (!mysqlUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'bot-test-'))
    const path = join(dir, 'test.sqlite')
    return { target: { kind: 'sqlite', path }, url: `sqlite:${path}`, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const server = parseDatabaseUrl(mysqlUrl)
  if ('problem' in server || server.kind !== 'mysql') throw new Error(`not a MySQL URL: ${mysqlUrl}`)
  const name = `bot_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = () => createConnection({ host: server.host, port: server.port, user: server.user, password: server.password })
  const connection = await admin()
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET latin1`)
  await connection.end()
  const auth = server.password ? `${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}` : encodeURIComponent(server.user)
  return {
    target: { ...server, database: name },
    url: `mysql://${auth}@${server.host}:${server.port}/${name}`,
    drop: async () => {
      const c = await admin()
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await c.end()
    },
  }
}

export interface MigratedDatabase extends TestDatabase {
  dataSource: DataSource
  close(): Promise<void>
}

/** A fresh database with every migration applied and an initialized DataSource. */
export async function createMigratedDatabase(mysqlUrl = TEST_MYSQL_URL): Promise<MigratedDatabase> {
  const database = await createTestDatabase(mysqlUrl)
  const dataSource = await createDataSource(database.target)
  await dataSource.initialize()
  await dataSource.runMigrations({ transaction: 'each' })
  return {
    ...database,
    dataSource,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy()
      await database.drop()
    },
  }
}
