import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDataSource } from '../src/db/create-data-source.js'
import { CampaignSchema, PhaseTaskSchema } from '../src/db/entities/index.js'
import { migrations } from '../migrations/index.js'
import { chineseError } from '../src/cli/program.js'
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
    expect(up.output).toContain('Migration ItemReminder1764752400000 has been executed successfully')
    ds = await createDataSource(database.target)
    await ds.initialize()
    expect(await applied()).toBe(migrations.length)
    const down = await run('node_modules/typeorm/cli.js', 'migration:revert', '-d', 'ormconfig.ts')
    expect(down.code).toBe(0)
    expect(await applied()).toBe(migrations.length - 1)
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

  it('previews the reminder sweep at a moment without writing, then runs it', async () => {
    const { seedLedger } = await import('./helpers/ledger-fixture.js')
    const { OutboxMessageSchema } = await import('../src/db/entities/index.js')
    await seedLedger(ds)
    const preview = await run('src/cli/main.ts', 'remind', '--at', '2015-08-31 09:05', '--dry-run')
    expect(preview.code).toBe(0)
    expect(preview.output).toContain('→ 赵磊(zhaolei)')
    expect(preview.output).toContain('**专项治理提醒（2015年8月31日）**')
    expect(preview.output).toMatch(/共 \d+ 条消息；试运行，未写入发件箱。/)
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(0)
    const real = await run('src/cli/main.ts', 'remind', '--at', '2015-08-31 09:05')
    expect(real.output).toMatch(/已写入发件箱 \d+ 条/)
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBeGreaterThan(0)
    expect((await run('src/cli/main.ts', 'remind', '--at', 'tomorrow')).output).toContain('不是有效的时间')
  })

  it('answers a wrong date with the usage and an example', async () => {
    const bad = await run('src/cli/main.ts', 'campaign', 'create', '--start', '2026/12/01')
    expect(bad.code).toBe(1)
    expect(bad.output).toContain('缺少或无效的开始日期 --start「2026/12/01」')
    expect(bad.output).toContain('例：npm run cli -- campaign create --start 2015-07-01')
  })

  it('answers --help in Chinese: the command line, a group, a subcommand; a bare group shows its help', async () => {
    const root = await run('src/cli/main.ts', '--help')
    expect(root.code).toBe(0)
    expect(root.output).toContain('用法： npm run cli -- [选项] [命令]')
    expect(root.output).toMatch(/\n {2}campaign +专项治理：按计划创建、列出\n/)
    expect(root.output).toMatch(/\n {2}help \[命令\] +显示某个命令的帮助\n/)
    const create = await run('src/cli/main.ts', 'meeting', 'create', '--help')
    expect(create.code).toBe(0)
    expect(create.output).toContain('用法： npm run cli -- meeting create [选项]')
    expect(create.output).toMatch(/\n {2}--place <地点> +地点（必填）\n/)
    expect(create.output).toMatch(/\n {2}-h, --help +显示帮助\n/)
    expect(create.output).toContain('例：npm run cli -- meeting create --at "2015-09-08 15:00"')
    for (const output of [root.output, create.output]) expect(output).not.toMatch(/Usage|Options|Commands|display help/)
    const bare = await run('src/cli/main.ts', 'meeting')
    expect(bare.code).toBe(0)
    expect(bare.output).toMatch(/\n {2}cancel \[选项\] <编号> +取消会议/)
  })

  it('refuses an unknown command (exit 2) and an unknown option (exit 1) in Chinese, with the help', async () => {
    const unknown = await run('src/cli/main.ts', 'meeting', 'creat')
    expect(unknown.code).toBe(2)
    expect(unknown.output.split('\n').slice(0, 4)).toEqual(['未知的命令「creat」。', '（是不是要输入 create？）', '', '用法： npm run cli -- meeting [选项] [命令]'])
    expect((await run('src/cli/main.ts', 'campain', 'list')).code).toBe(2)
    const option = await run('src/cli/main.ts', 'remind', '--when', '2015-08-31')
    expect(option.code).toBe(1)
    expect(option.output.split('\n')[0]).toBe('参数有误：不认识的选项 --when。')
    expect(option.output).toContain('例：npm run cli -- remind --at "2015-08-28 09:00" --dry-run')
  })

  it('says each of commander’s own refusals in Chinese', () => {
    expect(chineseError("error: missing required argument '编号'\n")).toBe('参数有误：缺少 <编号>。\n')
    expect(chineseError("error: option '--at <时间>' argument missing\n")).toBe('参数有误：选项 --at <时间> 后面缺少值。\n')
    expect(chineseError("error: too many arguments for 'show'. Expected 1 argument but got 2.\n")).toBe('参数有误：多余的参数（应有 1 个，收到 2 个）。\n')
    expect(chineseError("error: required option '--as <账号>' not specified\n")).toBe('参数有误：缺少选项 --as <账号>。\n')
    expect(chineseError("error: unknown option '--dryrun'\n(Did you mean --dry-run?)\n")).toBe('参数有误：不认识的选项 --dryrun。\n（是不是要输入 --dry-run？）\n')
    expect(chineseError("error: unknown command 'lst'\n(Did you mean one of list, last?)\n")).toBe('未知的命令「lst」。\n（是不是要输入 list, last？）\n')
  })
})
