import type { AddressInfo } from 'node:net'
import mysql2 from 'mysql2'

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
  const server = mysql2.createServer((connection) => {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server as unknown as { _server: { address(): AddressInfo } })._server.address().port,
    queries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
