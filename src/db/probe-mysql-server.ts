import { createConnection } from 'mysql2/promise'
import { StartupError } from '../errors.js'
import type { DatabaseTarget } from './database-url.js'

export type MysqlFlavor = 'mysql' | 'mariadb'

export interface MysqlServerInfo {
  flavor: MysqlFlavor
  version: string
}

type MysqlTarget = Extract<DatabaseTarget, { kind: 'mysql' }>

/**
 * Connects once to learn which server this is (MariaDB or MySQL, and its version). A failure
 * becomes a StartupError that names the cause and the fix instead of a driver stack trace.
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
    return { flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', version }
  } finally {
    await connection.end()
  }
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
