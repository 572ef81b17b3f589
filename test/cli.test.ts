import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDataSource } from '../src/db/create-data-source.js'
import { CampaignSchema, PhaseTaskSchema } from '../src/domain/entities/index.js'
import { spawnService } from './helpers/service-process.js'
import { createTestDatabase, dialect, type TestDatabase } from './helpers/test-database.js'

describe(`the command line on ${dialect}`, () => {
  let database: TestDatabase
  let ds: DataSource
  const run = async (script: string, ...args: string[]) => {
    const child = spawnService({ DATABASE_URL: database.url }, script, args)
    return { code: await child.exited, output: child.output() }
  }
  const applied = async () => Number((await ds.query('SELECT COUNT(*) AS n FROM migrations'))[0].n)

  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(async () => {
    await ds?.destroy()
    await database?.drop()
  })

  it('runs and reverts migrations through ormconfig.ts with the typeorm CLI', async () => {
    const up = await run('node_modules/typeorm/cli.js', 'migration:run', '-d', 'ormconfig.ts')
    expect(up.code).toBe(0)
    expect(up.output).toContain('Migration ReminderSent1764579600000 has been executed successfully')
    ds = await createDataSource(database.target)
    await ds.initialize()
    expect(await applied()).toBe(6)
    const down = await run('node_modules/typeorm/cli.js', 'migration:revert', '-d', 'ormconfig.ts')
    expect(down.code).toBe(0)
    expect(await applied()).toBe(5)
  })

  it('creates a campaign from the built-in plan once, however often it is run', async () => {
    const first = await run('src/cli/main.ts', 'campaign', 'create', '--start', '2026-12-01')
    expect(first.code).toBe(0)
    expect(first.output).toMatch(/已创建专项治理 #\d+：“为官不为”行为专项治理（2026年12月起）/)
    expect(first.output).toContain('1. 宣传动员  2026年12月1日—12月31日')
    const again = await run('src/cli/main.ts', 'campaign', 'create', '--start', '2026-12-01')
    expect(again.code).toBe(0)
    expect(again.output).toContain('专项治理已存在，未重复创建')
    expect(await ds.getRepository(CampaignSchema).count()).toBe(1)
    expect(await ds.getRepository(PhaseTaskSchema).count()).toBe(6)
  })

  it('answers a wrong date with the usage and an example', async () => {
    const bad = await run('src/cli/main.ts', 'campaign', 'create', '--start', '2026/12/01')
    expect(bad.code).toBe(1)
    expect(bad.output).toContain('缺少或无效的开始日期 --start「2026/12/01」')
    expect(bad.output).toContain('例：npm run cli -- campaign create --start 2015-07-01')
  })
})
