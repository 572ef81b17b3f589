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
