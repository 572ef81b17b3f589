import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enqueue } from '../src/outbox/enqueue.js'
import { OutboxMessageSchema } from '../src/db/entities/index.js'
import { text } from '../src/wecom/messages.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

describe(`npm run cli -- outbox on ${dialect}`, () => {
  let db: MigratedDatabase
  const cli = async (...args: string[]) => {
    const run = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', args)
    return { code: await run.exited, output: run.output() }
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    const outbox = db.dataSource.getRepository(OutboxMessageSchema)
    await db.dataSource.transaction(async (m) => {
      for (const key of ['a', 'b', 'c']) await enqueue(m, { dedupeKey: key, subject: { kind: 'other', id: null }, to: { users: ['zhangwei'] }, message: text(key) }, new Date())
    })
    await outbox.update({ dedupeKey: 'a' }, { status: 'sent' })
    await outbox.update({ dedupeKey: 'b' }, { status: 'dead', attempts: 8, lastError: 'WeCom message/send failed: errcode 60020' })
  })
  afterAll(async () => {
    await db?.close()
  })

  it('shows counts, the oldest pending message and the dead ones', async () => {
    const { code, output } = await cli('outbox', 'status')
    expect(code).toBe(0)
    expect(output).toContain('发件箱：待发送 1，发送中 0，已发送 1，失败 1，已取消 0')
    expect(output).toMatch(/最早的待发送：#\d+/)
    expect(output).toMatch(/#\d+ b  尝试 8 次  WeCom message\/send failed: errcode 60020/)
  })

  it('during quiet hours says the pending message waits for them to end, and until when', async () => {
    // A window of the service's own around this minute (Beijing time), not the default 21:00-08:00.
    const clock = (at: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at)
    const day = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at)
    const now = new Date()
    const [start, end] = [new Date(now.getTime() - 3600_000), new Date(now.getTime() + 3600_000)]
    const run = spawnService({ DATABASE_URL: db.url, QUIET_HOURS: `${clock(start)}-${clock(end)}` }, 'src/cli/main.ts', ['outbox', 'status'])
    expect(await run.exited).toBe(0)
    const resume = `${day(end) === day(now) ? '' : '明天 '}${clock(end)}`
    expect(run.output()).toContain(`静默时段（${clock(start)}–${clock(end)}）：1 条消息等静默时段结束，${resume} 后发送；回复等紧急消息照常发送。\n`)
    expect(run.output()).toMatch(new RegExp(`最早的待发送：#\\d+，已等待 \\d+ 分钟，静默时段，${resume} 后发送（已尝试 0 次）`))
    // Outside the window: no note, the planned time as before.
    const day2 = spawnService({ DATABASE_URL: db.url, QUIET_HOURS: `${clock(end)}-${clock(new Date(now.getTime() + 7200_000))}` }, 'src/cli/main.ts', ['outbox', 'status'])
    expect(await day2.exited).toBe(0)
    expect(day2.output()).not.toContain('静默时段')
    expect(day2.output()).toMatch(/最早的待发送：#\d+，已等待 \d+ 分钟，计划于 \d{4}\/\d{2}\/\d{2} \d{2}:\d{2} 发送（已尝试 0 次）/)
  })

  it('puts the dead ones back in the queue', async () => {
    const { code, output } = await cli('outbox', 'retry', '--dead')
    expect(code).toBe(0)
    expect(output).toContain('已重新排队 1 条消息')
    expect(await db.dataSource.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: 'b' })).toMatchObject({ status: 'pending', attempts: 0 })
  })

  it('explains a wrong argument with the usage', async () => {
    const { code, output } = await cli('outbox', 'retry', 'abc')
    expect(code).toBe(1)
    expect(output).toContain('retry 需要消息编号或 --dead')
    expect(output).toContain('例：npm run cli -- outbox retry --dead')
  })
})
