/** Where the data lives: the embedded SQLite file, or a MySQL/MariaDB server. */
export type DatabaseTarget =
  | { kind: 'sqlite'; path: string }
  | { kind: 'mysql'; host: string; port: number; user: string; password: string; database: string }

export const DEFAULT_DATABASE_URL = 'sqlite:data/bot.sqlite'

/**
 * Parses DATABASE_URL: `sqlite:path` (relative to the working directory, or `sqlite::memory:`)
 * or `mysql://user:pass@host:port/db` (`mariadb://` is accepted as a synonym).
 * Returns a Chinese description of the problem instead of throwing, so that config loading can
 * list every problem at once.
 */
export function parseDatabaseUrl(raw: string): DatabaseTarget | { problem: string } {
  const value = raw.trim()
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (path === '') return { problem: 'DATABASE_URL 的 sqlite 路径为空，例：sqlite:data/bot.sqlite' }
    return { kind: 'sqlite', path }
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return {
      problem: `DATABASE_URL「${redactDatabaseUrl(value)}」不是有效地址，应为 mysql://用户:密码@主机:端口/库名 或 sqlite:路径`,
    }
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    return { problem: `DATABASE_URL 的协议「${url.protocol}」不受支持，只支持 mysql://、mariadb:// 与 sqlite:` }
  }
  const database = safeDecode(url.pathname.replace(/^\//, ''))
  if (!url.hostname || database === '' || database.includes('/')) {
    return { problem: 'DATABASE_URL 缺少主机或库名，例：mysql://bot:密码@127.0.0.1:3306/supervision' }
  }
  const port = url.port === '' ? 3306 : Number(url.port)
  let user: string
  let password: string
  try {
    user = decodeURIComponent(url.username || 'root')
    password = decodeURIComponent(url.password)
  } catch {
    return { problem: 'DATABASE_URL 的用户名或密码含有未编码的 %：请把 % 写成 %25（其他特殊字符同样按 URL 编码，例：@ 写成 %40）' }
  }
  return { kind: 'mysql', host: url.hostname, port, user, password, database }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The URL with its password replaced, fit for logs and error messages. */
export function redactDatabaseUrl(raw: string): string {
  return raw.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
}

export function describeDatabase(target: DatabaseTarget): string {
  return target.kind === 'sqlite'
    ? `SQLite ${target.path}`
    : `MySQL ${target.user}@${target.host}:${target.port}/${target.database}`
}
