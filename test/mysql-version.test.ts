import { afterAll, describe, expect, it } from 'vitest'
import { describeUnsupportedServer } from '../src/db/probe-mysql-server.js'
import { startFakeMysql, type FakeMysql } from './fakes/fake-mysql-server.js'
import { spawnService } from './helpers/service-process.js'

describe('the MySQL/MariaDB server must support SKIP LOCKED', () => {
  it.each([
    ['mariadb', '10.6.0-MariaDB', true],
    ['mariadb', '10.11.19-MariaDB-0+deb12u1', true],
    ['mariadb', '11.8.3-MariaDB-0+deb13u1 from Debian', true],
    ['mariadb', '5.5.5-10.6.18-MariaDB', true],
    ['mariadb', '10.5.23-MariaDB-0+deb11u1', false],
    ['mariadb', '5.5.5-10.3.39-MariaDB', false],
    ['mysql', '8.0.36', true],
    ['mysql', '8.4.3-log', true],
    ['mysql', '9.1.0', true],
    ['mysql', '5.7.44-log', false],
  ] as const)('%s %s supported: %s', (flavor, version, supported) => {
    const problem = describeUnsupportedServer({ flavor, version })
    if (supported) expect(problem).toBeNull()
    else expect(problem).toMatch(/数据库版本过低.*SKIP LOCKED.*MariaDB 10\.6\+ 或 MySQL 8\.0\+/)
  })

  describe('start-up against an old server', () => {
    const servers: FakeMysql[] = []
    afterAll(async () => {
      for (const server of servers) await server.close()
    })

    it.each([
      ['10.5.23-MariaDB-0+deb11u1', 'MariaDB 10.5.23-MariaDB-0+deb11u1', 'MariaDB 10.6'],
      ['5.7.44-log', 'MySQL 5.7.44-log', 'MySQL 8.0'],
    ])('refuses %s with a clear message and runs nothing on it', async (version, named, required) => {
      const server = await startFakeMysql(version)
      servers.push(server)
      const service = spawnService({ DATABASE_URL: `mysql://root@127.0.0.1:${server.port}/supervision`, PORT: '0', HOST: '127.0.0.1' })
      expect(await service.exited).toBe(1)
      expect(service.output()).toContain(`启动失败 (start-up failed): 数据库版本过低：${named}`)
      expect(service.output()).toContain(`要求 ${required} 或更新版本`)
      expect(service.output()).not.toMatch(/at .*\.ts:\d+/) // a message, not a stack trace
      // The probe asked for the version and stopped there: no migration ran.
      expect(server.queries).toEqual(['SELECT VERSION() AS version'])
    }, 30_000)
  })
})
