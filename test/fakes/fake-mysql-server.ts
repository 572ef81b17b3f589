import type { AddressInfo, Server } from 'node:net'
import mysql2 from 'mysql2'

/** The server side of a mysql2 connection (typed only partly by mysql2). */
interface ServerConnection {
  serverHandshake(args: Record<string, unknown>): void
  on(event: 'query', listener: (sql: string) => void): void
  on(event: 'error', listener: () => void): void
  writeColumns(columns: Record<string, unknown>[]): void
  writeTextRow(values: unknown[]): void
  writeEof(): void
  writeError(error: { code: number; message: string }): void
}

export interface FakeMysql {
  port: number
  /** Every statement received. */
  queries: string[]
  close(): Promise<void>
}

/**
 * A loopback server speaking the MySQL protocol (mysql2's own server side) that announces the
 * given version and answers SELECT VERSION(): enough for start-up's server probe, for servers
 * the machine does not have (an old MariaDB or MySQL). Any other statement gets an error.
 */
export async function startFakeMysql(version: string): Promise<FakeMysql> {
  const queries: string[] = []
  const server = mysql2.createServer((raw) => {
    const connection = raw as unknown as ServerConnection
    connection.serverHandshake({ protocolVersion: 10, serverVersion: version, connectionId: 1, statusFlags: 2, characterSet: 33, capabilityFlags: 0xffffff })
    connection.on('query', (sql: string) => {
      queries.push(sql)
      if (/^SELECT VERSION\(\)/i.test(sql)) {
        connection.writeColumns([{ catalog: 'def', schema: '', table: '', orgTable: '', name: 'version', orgName: '', characterSet: 33, columnLength: 256, columnType: 253, flags: 0, decimals: 31 }])
        connection.writeTextRow([version])
        connection.writeEof()
      } else {
        connection.writeError({ code: 1064, message: `fake server: unsupported statement ${sql}` })
      }
    })
    connection.on('error', () => {})
  })
  // mysql2's Server wraps a net.Server (its listen() passes the arguments on).
  const net = (server as unknown as { _server: Server })._server
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (net.address() as AddressInfo).port,
    queries,
    close: () => new Promise<void>((resolve) => net.close(() => resolve())),
  }
}
