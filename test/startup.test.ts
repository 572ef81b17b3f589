import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDataSource } from '../src/db/create-data-source.js'
import { CampaignSchema, LedgerItemSchema } from '../src/db/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { newDevCallbackFile, spawnService } from './helpers/service-process.js'
import { createTestDatabase, dialect, type TestDatabase } from './helpers/test-database.js'

/** No start-up failure may print only a stack trace: the first line names the problem. */
function expectOperatorMessage(output: string, ...expected: (string | RegExp)[]) {
  expect(output).toContain('启动失败')
  for (const e of expected) expect(output).toMatch(e)
  expect(output).not.toMatch(/^\s+at /m)
}

describe(`npm start on ${dialect}`, () => {
  let database: TestDatabase
  const devCallbackFile = newDevCallbackFile()

  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('migrates, seeds the demo campaign, serves /healthz, and shuts down cleanly on Ctrl-C', async () => {
    const service = spawnService({ DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', DEV_CALLBACK_FILE: devCallbackFile })
    const [, port] = await service.waitFor(/health:\s+http:\/\/localhost:(\d+)\/healthz/)
    const [, adminPort] = await service.waitFor(/admin:\s+http:\/\/127\.0\.0\.1:(\d+)\/readyz  \/metrics/)
    const out = service.output()
    expect(out).toContain('控制台模式 console mode')
    expect(out).toMatch(/回调地址 callback:\s+http:\/\/localhost:\d+\/wecom\/callback（本机模拟用；配置 WECOM_\* 凭据后接收企业微信消息）/)
    expect(out).toMatch(/演示数据 demo:\s+已创建演示专项治理（4 个参与单位、15 人、9 条台账）/)

    const response = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'ok', delivery: 'console' })
    const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, wecom: { ok: true, mode: 'console' } } })

    service.child.kill('SIGINT')
    expect(await service.exited).toBe(0)
    expect(service.output()).toContain('shut down cleanly')
  })

  it('does not seed again on the next start', async () => {
    const service = spawnService({ DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', DEV_CALLBACK_FILE: devCallbackFile })
    await service.waitFor(/health:\s+http:\/\/localhost:(\d+)\/healthz/)
    expect(service.output()).not.toContain('演示数据 demo')
    service.child.kill('SIGTERM')
    expect(await service.exited).toBe(0)
    const ds = await createDataSource(database.target)
    await ds.initialize()
    try {
      expect(await ds.getRepository(CampaignSchema).count()).toBe(1)
      expect(await ds.getRepository(LedgerItemSchema).count()).toBe(9)
    } finally {
      await ds.destroy()
    }
  })
})

describe('start-up refuses bad configuration with a message that names the fix', () => {
  it('an invalid DATABASE_URL', async () => {
    const service = spawnService({ DATABASE_URL: 'postgres://u@h/db' })
    expect(await service.exited).toBe(1)
    expectOperatorMessage(service.output(), 'DATABASE_URL', /只支持 mysql:\/\/、mariadb:\/\/ 与 sqlite:/)
  })

  it('an unreachable database', async () => {
    const service = spawnService({ DATABASE_URL: 'mysql://bot:hunter2@127.0.0.1:1/supervision' })
    expect(await service.exited).toBe(1)
    expectOperatorMessage(service.output(), '无法连接数据库 bot@127.0.0.1:1/supervision', 'ECONNREFUSED', '请启动 MySQL/MariaDB')
    expect(service.output()).not.toContain('hunter2')
  })

  it('a SQLite file that cannot be created (its folder is a file)', async () => {
    const service = spawnService({ DATABASE_URL: 'sqlite:/etc/hostname/sub/bot.sqlite' })
    expect(await service.exited).toBe(1)
    expectOperatorMessage(service.output(), '无法打开数据库 SQLite /etc/hostname/sub/bot.sqlite', '请检查 DATABASE_URL 与文件目录的读写权限')
  })

  it('a SQLite path under /proc, which would hang recursive mkdir forever', async () => {
    const service = spawnService({ DATABASE_URL: 'sqlite:/proc/no-such-dir/bot.sqlite' })
    expect(await service.exited).toBe(1)
    expectOperatorMessage(service.output(), '无法打开数据库 SQLite /proc/no-such-dir/bot.sqlite')
  })

  it('a % in the database password that is not URL-encoded', async () => {
    const service = spawnService({ DATABASE_URL: 'mysql://bot:50%off@127.0.0.1:3306/supervision' })
    expect(await service.exited).toBe(1)
    expectOperatorMessage(service.output(), '请把 % 写成 %25')
    expect(service.output()).not.toContain('50%off')
  })

  it('a port already in use', async () => {
    const blocker = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => blocker.once('listening', resolve))
    const port = String((blocker.address() as AddressInfo).port)
    try {
      const service = spawnService({ DATABASE_URL: 'sqlite::memory:', HOST: '127.0.0.1', PORT: port })
      expect(await service.exited).toBe(1)
      expectOperatorMessage(service.output(), `端口 ${port} 已被占用`, 'EADDRINUSE')
    } finally {
      blocker.close()
    }
  })

  it('a malformed WECOM_AES_KEY, and missing credentials named', async () => {
    const service = spawnService({ WECOM_CORP_ID: 'ww1436e0e65a779aee', WECOM_AES_KEY: 'abc' })
    expect(await service.exited).toBe(1)
    expectOperatorMessage(service.output(), 'WECOM_AES_KEY 应为 43 位', '缺少 WECOM_AGENT_ID、WECOM_SECRET、WECOM_TOKEN')
  })

  it('a plan file with a phase that ends before it starts', async () => {
    const plan = structuredClone(loadPlan(DEFAULT_PLAN))
    plan.phases[0]!.end = '2015-06-30'
    plan.phases[0]!.tasks = []
    const file = join(mkdtempSync(join(tmpdir(), 'plan-')), 'county-plan.json')
    writeFileSync(file, JSON.stringify(plan))
    const service = spawnService({ PLAN: file, DATABASE_URL: 'sqlite::memory:' })
    expect(await service.exited).toBe(1)
    expectOperatorMessage(service.output(), 'county-plan.json 有误', '「宣传动员」的结束日期 2015-06-30 早于开始日期 2015-07-01')
  })
})
