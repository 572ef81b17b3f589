import { dirname } from 'node:path'
import { DataSource, type DataSourceOptions } from 'typeorm'
import { migrations } from '../../migrations/index.js'
import { entities } from './entities/index.js'
import type { DatabaseTarget } from '../config/database-url.js'
import { ensureDirectory } from './ensure-directory.js'
import { utcMysqlDriver } from './utc-mysql-driver.js'
import { serializeSqliteAccess } from './serialize-sqlite.js'
import { probeMysqlServer, type MysqlFlavor } from './probe-mysql-server.js'
import { SnakeNamingStrategy } from './snake-naming-strategy.js'

/**
 * The one DataSource factory, used by the service, the CLI, the typeorm CLI (ormconfig.ts)
 * and the tests. `synchronize` is never on: the schema comes from migrations/ only.
 */
export async function createDataSource(target: DatabaseTarget): Promise<DataSource> {
  const flavor = target.kind === 'mysql' ? (await probeMysqlServer(target)).flavor : undefined
  const dataSource = new DataSource(dataSourceOptions(target, flavor))
  if (target.kind === 'sqlite') serializeSqliteAccess(dataSource)
  return dataSource
}

/**
 * `flavor` matters on a server database: TypeORM reads MariaDB's catalog differently from
 * MySQL's (MariaDB reports a nullable column's default as the text NULL), so the driver type
 * must match the server actually there, whatever the URL's scheme says.
 */
export function dataSourceOptions(target: DatabaseTarget, flavor: MysqlFlavor = 'mysql'): DataSourceOptions {
  const common = {
    entities,
    migrations,
    migrationsTableName: 'migrations',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: false,
  } as const
  if (target.kind === 'sqlite') {
    if (target.path !== ':memory:') ensureDirectory(dirname(target.path))
    return {
      ...common,
      type: 'better-sqlite3',
      database: target.path,
      // WAL lets readers go on while the outbox worker writes; busy timeout waits for a writer.
      enableWAL: target.path !== ':memory:',
      // Only another process (a CLI import, a backup, an sqlite3 shell) holds the write lock for
      // long, and better-sqlite3 waits for it synchronously, freezing the whole service. At 5 s
      // each callback took over 5 s (WeCom's limit) to fail; at 0.5 s it answers 503 within a
      // second, even when the outbox worker's wait came just before, and WeCom retries
      // (test/faults/database-outage.fault.ts).
      timeout: 500,
    }
  }
  return {
    ...common,
    type: flavor,
    driver: utcMysqlDriver,
    host: target.host,
    port: target.port,
    username: target.user,
    password: target.password,
    database: target.database,
    // utf8mb4 so that Chinese text and emoji survive (docs/architecture.md, Databases).
    charset: 'utf8mb4_unicode_ci',
    // Instants are stored in UTC whatever the server's or the process's time zone.
    timezone: 'Z',
    // DATE columns come back as "YYYY-MM-DD" strings: a calendar date, never shifted by a time zone.
    dateStrings: ['DATE'],
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: 10_000,
    extra: { connectionLimit: 10 },
  }
}
