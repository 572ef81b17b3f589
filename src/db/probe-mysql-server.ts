import { createConnection } from 'mysql2/promise'
import { StartupError } from '../errors.js'
import type { DatabaseTarget } from '../config/database-url.js'

export type MysqlFlavor = 'mysql' | 'mariadb'

export interface MysqlServerInfo {
  flavor: MysqlFlavor
  version: string
}

type MysqlTarget = Extract<DatabaseTarget, { kind: 'mysql' }>

/**
 * Connects once to learn which server this is (MariaDB or MySQL, and its version). A failure
 * becomes a StartupError that names the cause and the fix instead of a driver stack trace; so
 * does a server too old for the outbox's `SELECT … FOR UPDATE SKIP LOCKED`.
 */
export async function probeMysqlServer(target: MysqlTarget): Promise<MysqlServerInfo> {
  let connection
  try {
    connection = await createConnection({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      connectTimeout: 10_000,
    })
  } catch (error) {
    throw new StartupError('database_unreachable', describeConnectionError(target, error), { cause: error })
  }
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version')
    const version = String((rows as { version: string }[])[0]?.version ?? '')
    const info: MysqlServerInfo = { flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', version }
    const problem = describeUnsupportedServer(info)
    if (problem) throw new StartupError('database_unsupported', problem)
    return info
  } finally {
    await connection.end()
  }
}

/**
 * Several workers claim outbox rows with SELECT … FOR UPDATE SKIP LOCKED, which MariaDB has
 * since 10.6 and MySQL since 8.0 (https://mariadb.com/kb/en/select/#skip-locked,
 * https://dev.mysql.com/doc/refman/8.0/en/innodb-locking-reads.html). An older server would
 * reject the claim at the first delivery; start-up refuses it instead. Null when supported.
 */
export function describeUnsupportedServer({ flavor, version }: MysqlServerInfo): string | null {
  // MariaDB before 11 may prefix its version with "5.5.5-" for old clients.
  const match = version.replace(/^5\.5\.5-/, '').match(/^(\d+)\.(\d+)/)
  if (!match) return null
  const [major, minor] = [Number(match[1]), Number(match[2])]
  const [needMajor, needMinor, name] = flavor === 'mariadb' ? [10, 6, 'MariaDB'] : [8, 0, 'MySQL']
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return null
  return (
    `数据库版本过低：${name} ${version}。发件箱需要 SELECT … FOR UPDATE SKIP LOCKED，` +
    `要求 ${name} ${needMajor}.${needMinor} 或更新版本（MariaDB 10.6+ 或 MySQL 8.0+）。请升级数据库，或改用内置 SQLite（DATABASE_URL=sqlite:data/bot.sqlite）。`
  )
}

export function describeConnectionError(target: MysqlTarget, error: unknown): string {
  const where = `${target.user}@${target.host}:${target.port}/${target.database}`
  const code = (error as { code?: string }).code ?? ''
  const reason = (error as Error).message
  const fixes: Record<string, string> = {
    ECONNREFUSED: '数据库服务未启动或端口不对：请启动 MySQL/MariaDB，或检查 DATABASE_URL 的主机和端口',
    ENOTFOUND: '主机名无法解析：请检查 DATABASE_URL 的主机名',
    ETIMEDOUT: '连接超时：请检查网络、防火墙和 DATABASE_URL 的主机与端口',
    ER_ACCESS_DENIED_ERROR: '用户名或密码错误：请检查 DATABASE_URL 中的用户和密码',
    ER_BAD_DB_ERROR: `数据库「${target.database}」不存在：请先执行 CREATE DATABASE \`${target.database}\` CHARACTER SET utf8mb4`,
    ER_DBACCESS_DENIED_ERROR: `用户无权访问数据库「${target.database}」：请为该用户授权`,
  }
  const fix = fixes[code] ?? '请检查 DATABASE_URL 与数据库服务状态'
  return `无法连接数据库 ${where}（${code || reason}）。${fix}。`
}
