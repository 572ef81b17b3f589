import { Writable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createConsoleTransport } from '../src/delivery/console-transport.js'
import { createDeliveryWorker, type DeliveryWorker } from '../src/delivery/delivery-worker.js'
import { enqueue, type OutgoingMessage } from '../src/outbox/enqueue.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { OutboxMessageSchema, PersonSchema, type OutboxMessage } from '../src/db/entities/index.js'
import { createLogger } from '../src/logger.js'
import { markdown, text } from '../src/wecom/messages.js'
import { utf8Length } from '../src/wecom/utf8-limits.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const quietLogger = createLogger('silent')
/** 2015-08-31 10:00 Beijing time: a working morning, outside quiet hours. */
const MORNING = Date.parse('2015-08-31T02:00:00Z')
const QUIET = { startMinute: 21 * 60, endMinute: 8 * 60 }

describe(`the outbox on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let clock: number
  const outbox = () => ds.getRepository(OutboxMessageSchema)

  function worker(overrides: Partial<Parameters<typeof createDeliveryWorker>[0]> = {}): DeliveryWorker {
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock })
    return createDeliveryWorker({
      dataSource: ds,
      transport: createWeComTransport(client, { lianxi: 'robot-key-1' }),
      logger: quietLogger,
      quietHours: QUIET,
      now: () => new Date(clock),
      random: () => 0,
      ...overrides,
    })
  }
  const put = (message: Omit<OutgoingMessage, 'subject'>) => ds.transaction((m) => enqueue(m, { subject: { kind: 'other', id: null }, ...message }, new Date(clock)))
  const rows = () => outbox().find({ order: { id: 'ASC' } })

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedRoster(ds, '县委组织部', [{ userid: 'wangjian', name: '王健', roles: ['org_admin'] }])
    await seedRoster(ds, '城关镇', [
      { userid: 'zhangwei', name: '张伟', roles: ['unit_head'] },
      { userid: 'lina', name: '李娜', roles: ['leader'] },
      { userid: 'wxuser', name: '吴芳', viaWechat: true },
      { userid: 'left', name: '离职者' },
    ])
  })
  afterAll(async () => {
    await db?.close()
  })
  beforeEach(async () => {
    await outbox().createQueryBuilder().delete().execute()
    await ds.createQueryBuilder().update(PersonSchema).set({ undeliverable: null, undeliverableSince: null }).execute()
    await ds.createQueryBuilder().update(PersonSchema).set({ viaWechat: false }).where("userid <> 'wxuser'").execute()
    fake = await startFakeWeCom({ now: () => clock })
    clock = MORNING
    return () => fake.close()
  })

  it('ignores a second enqueue with the same key, and keeps nothing of a failed transaction', async () => {
    expect(await put({ dedupeKey: 'due:12:2015-08-28', to: { users: ['zhangwei'] }, message: text('提醒') })).toBe(1)
    expect(await put({ dedupeKey: 'due:12:2015-08-28', to: { users: ['zhangwei'] }, message: text('提醒') })).toBe(0)
    await expect(
      ds.transaction(async (m) => {
        await enqueue(m, { dedupeKey: 'progress:13', subject: { kind: 'other', id: null }, to: { users: ['lina'] }, message: text('进度') }, new Date(clock))
        throw new Error('the domain change failed')
      }),
    ).rejects.toThrow('the domain change failed')
    expect((await rows()).map((r) => r.dedupeKey)).toEqual(['due:12:2015-08-28'])
  })

  it('keeps the caller’s key reserved even if the recipient’s rendering or the length changed since', async () => {
    expect(await put({ dedupeKey: 'due:7', to: { users: ['lina'] }, message: markdown('**提醒**') })).toBe(1)
    await ds.getRepository(PersonSchema).update({ userid: 'lina' }, { viaWechat: true })
    try {
      expect(await put({ dedupeKey: 'due:7', to: { users: ['lina'] }, message: markdown('**提醒**') })).toBe(0)
      expect(await put({ dedupeKey: 'due:7', to: { users: ['lina'] }, message: markdown('长'.repeat(1500)) })).toBe(0)
    } finally {
      await ds.getRepository(PersonSchema).update({ userid: 'lina' }, { viaWechat: false })
    }
    expect((await rows()).map((r) => r.dedupeKey)).toEqual(['due:7'])
  })

  it('delivers and records WeCom msgid', async () => {
    await put({ dedupeKey: 'a', to: { users: ['zhangwei', 'lina'] }, message: markdown('**逾期提醒**') })
    expect(await worker().runOnce()).toMatchObject({ claimed: 1, sent: 1 })
    const [row] = await rows()
    expect(row).toMatchObject({ status: 'sent', attempts: 1, wecomMsgid: fake.delivered[0]!.msgid, claimedBy: null })
    expect(fake.delivered[0]!.touser).toEqual(['lina', 'zhangwei'])
    expect(fake.delivered[0]!.body).toMatchObject({ msgtype: 'markdown', markdown: { content: '**逾期提醒**' } })
  })

  it('sends the plain-text rendering to WeChat-plugin members', async () => {
    await put({ dedupeKey: 'b', to: { users: ['zhangwei', 'wxuser'] }, message: markdown('**逾期提醒** <font color="warning">#12</font>') })
    await worker().runOnce()
    const byUser = Object.fromEntries(fake.delivered.map((d) => [d.touser.join(), d.body]))
    expect(byUser.zhangwei).toMatchObject({ msgtype: 'markdown' })
    expect(byUser.wxuser).toMatchObject({ msgtype: 'text', text: { content: '逾期提醒 #12' } })
  })

  it('splits an over-long markdown into parts delivered in order, each within 2,048 bytes', async () => {
    const content = Array.from({ length: 90 }, (_, i) => `🔴 #${i + 1} 城关镇 招商引资项目跑办不积极`).join('\n')
    await put({ dedupeKey: 'digest:zhangwei:2015-08-31', to: { users: ['zhangwei'] }, message: markdown(content) })
    await worker().runOnce()
    const contents = fake.delivered.map((d) => (d.body.markdown as { content: string }).content)
    expect(contents.length).toBeGreaterThan(1)
    for (const c of contents) expect(utf8Length(c)).toBeLessThanOrEqual(2048)
    expect(contents.map((c) => c.replace(/^（\d+\/\d+）\n/, '')).join('\n')).toBe(content)
  })

  it.each([
    ['system busy -1', { kind: 'errcode' as const, errcode: -1 }],
    ['frequency limit 45009', { kind: 'errcode' as const, errcode: 45009 }],
    ['HTTP 502', { kind: 'http' as const, status: 502 }],
    ['a dropped connection', { kind: 'drop' as const }],
  ])('retries after %s with backoff, then delivers', async (_name, fault) => {
    await put({ dedupeKey: 'c', to: { users: ['zhangwei'] }, message: text('提醒') })
    fake.inject(fault, 1, 'message/send')
    expect(await worker().runOnce()).toMatchObject({ retried: 1 })
    const [pending] = await rows()
    // random() = 0: half of the 30 s base delay.
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 })
    expect(pending!.nextAttemptAt.getTime()).toBe(MORNING + 15_000)
    clock += 10_000
    expect(await worker().runOnce()).toMatchObject({ claimed: 0 })
    clock += 5_000
    expect(await worker().runOnce()).toMatchObject({ sent: 1 })
    expect(fake.delivered).toHaveLength(1)
  })

  it('retries a message whose answer was lost after WeCom delivered it; the duplicate check drops the repeat', async () => {
    await put({ dedupeKey: 'lost-answer', to: { users: ['zhangwei'] }, message: text('逾期提醒') })
    fake.inject({ kind: 'deliver-then-drop' }, 1, 'message/send')
    expect(await worker().runOnce()).toMatchObject({ retried: 1 })
    clock += 60_000
    expect(await worker().runOnce()).toMatchObject({ sent: 1 })
    expect(fake.delivered.map((d) => d.suppressed)).toEqual([false, true])
  })

  it('gives up on a permanent error at once and alerts the administrators once', async () => {
    await put({ dedupeKey: 'd1', to: { users: ['zhangwei'] }, message: text('提醒一') })
    await put({ dedupeKey: 'd2', to: { users: ['lina'] }, message: text('提醒二') })
    fake.inject({ kind: 'errcode', errcode: 40058 }, 2, 'message/send')
    expect(await worker().runOnce()).toMatchObject({ dead: 2 })
    const all = await rows()
    expect(all.filter((r) => r.status === 'dead').map((r) => r.attempts)).toEqual([1, 1])
    const alerts = all.filter((r) => r.dedupeKey.startsWith('alert:dead:'))
    expect(alerts).toHaveLength(1)
    expect(JSON.parse(alerts[0]!.recipients)).toMatchObject({ touser: ['wangjian'] })
    expect(alerts[0]!.payload).toContain('2 条消息多次发送失败')
    expect(await worker().runOnce()).toMatchObject({ sent: 1 })
    expect(fake.delivered.map((d) => d.touser)).toEqual([['wangjian']])
  })

  it('stops after the last attempt and does not alert about a failed alert', async () => {
    await put({ dedupeKey: 'e', to: { users: ['zhangwei'] }, message: text('提醒') })
    fake.inject({ kind: 'errcode', errcode: -1 }, 100, 'message/send')
    const w = worker({ backoff: { baseMs: 1000, maxMs: 4000, maxAttempts: 3 } })
    for (let i = 0; i < 3; i += 1) {
      await w.runOnce()
      clock += 10_000
    }
    const [row, alert] = await rows()
    expect(row).toMatchObject({ status: 'dead', attempts: 3 })
    expect(alert!.dedupeKey).toMatch(/^alert:dead:/)
    for (let i = 0; i < 3; i += 1) {
      await w.runOnce()
      clock += 10_000
    }
    expect((await rows()).map((r) => r.status)).toEqual(['dead', 'dead'])
  })

  it('records invalid and unlicensed recipients once and tells the administrators once', async () => {
    fake.invalidUsers.add('left')
    fake.unlicensedUsers.add('lina')
    await put({ dedupeKey: 'f1', to: { users: ['zhangwei', 'left', 'lina'] }, message: text('提醒') })
    await worker().runOnce()
    const [sent] = await rows()
    expect(sent).toMatchObject({ status: 'sent', lastError: '未送达（invaliduser）：left；未送达（unlicenseduser）：lina' })
    const left = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'left' })
    expect(left.undeliverable).toBe('invaliduser')
    await put({ dedupeKey: 'f2', to: { users: ['zhangwei', 'left'] }, message: text('再次提醒') })
    await worker().runOnce()
    const alerts = (await rows()).filter((r) => r.dedupeKey.startsWith('alert:undeliverable:'))
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.payload).toContain('离职者（left）')
    expect(alerts[0]!.payload).toContain('李娜（lina）')
  })

  it('records a message whose only recipient is invalid as sent with a note, once, without dead-letter alerts', async () => {
    fake.invalidUsers.add('left')
    await put({ dedupeKey: 'n1', to: { users: ['left'] }, message: text('提醒一') })
    await put({ dedupeKey: 'n2', to: { users: ['left'] }, message: text('提醒二') })
    await worker().runOnce()
    const all = await rows()
    expect(all.filter((r) => r.dedupeKey.startsWith('n')).map((r) => [r.status, r.lastError])).toEqual([
      ['sent', '未送达（invaliduser）：left'],
      ['sent', '未送达（invaliduser）：left'],
    ])
    expect((await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'left' })).undeliverable).toBe('invaliduser')
    expect(all.filter((r) => r.dedupeKey.startsWith('alert:dead'))).toHaveLength(0)
    expect(all.filter((r) => r.dedupeKey.startsWith('alert:undeliverable'))).toHaveLength(1)
  })

  /** The real transport, with the sends held until release(): only the first, or every one. */
  function heldTransport(hold: 'first' | 'all') {
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock })
    const real = createWeComTransport(client, {})
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const held = {
      started: 0,
      release: () => release(),
      transport: {
        name: 'wecom' as const,
        async send(row: OutboxMessage) {
          held.started += 1
          if (hold === 'all' || held.started === 1) await gate
          return real.send(row)
        },
      },
    }
    return held
  }

  it('does not send again a row another worker took over while this one was stalled', async () => {
    for (let i = 0; i < 3; i += 1) await put({ dedupeKey: `s${i}`, to: { users: [`member${i}`] }, message: text(`第${i + 1}条`) })
    const held = heldTransport('first')
    const first = worker({ transport: held.transport, concurrency: 1 })
    const firstRun = first.runOnce()
    while (held.started === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    clock += 6 * 60_000
    expect(await worker().runOnce()).toMatchObject({ claimed: 3, sent: 3 })
    held.release()
    expect(await firstRun).toMatchObject({ claimed: 3, skipped: 2 })
    // Only the send that was in flight went out twice, byte-identical, and WeCom's duplicate check dropped it.
    expect(fake.delivered.filter((d) => !d.suppressed)).toHaveLength(3)
    expect(fake.delivered.filter((d) => d.suppressed)).toHaveLength(1)
  })

  it('on stop finishes the send in flight and releases the rows it claimed but had not begun', async () => {
    for (let i = 0; i < 5; i += 1) await put({ dedupeKey: `t${i}`, to: { users: [`member${i}`] }, message: text(`第${i + 1}条`) })
    const held = heldTransport('all')
    const running = worker({ transport: held.transport, concurrency: 1, pollIntervalMs: 10 })
    running.start()
    while (held.started === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    const stopped = running.stop()
    held.release()
    await stopped
    expect(held.started).toBe(1)
    expect(fake.delivered).toHaveLength(1)
    const after = await rows()
    expect(after.map((r) => r.status)).toEqual(['sent', 'pending', 'pending', 'pending', 'pending'])
    expect(after.every((r) => r.claimedBy === null && r.claimedAt === null)).toBe(true)
    // The next worker sends the rest at once, without waiting out the claim timeout.
    expect(await worker().runOnce()).toMatchObject({ claimed: 4, sent: 4 })
    expect(fake.delivered.filter((d) => d.suppressed)).toHaveLength(0)
  })

  it('holds non-urgent messages in quiet hours and sends urgent ones', async () => {
    clock = Date.parse('2015-08-31T14:00:00Z') // 22:00 Beijing
    await put({ dedupeKey: 'g1', to: { users: ['zhangwei'] }, message: text('明日到期') })
    await put({ dedupeKey: 'g2', to: { users: ['lina'] }, message: text('紧急'), urgent: true })
    expect(await worker().runOnce()).toMatchObject({ claimed: 1, sent: 1 })
    expect(fake.delivered.map((d) => d.touser)).toEqual([['lina']])
    clock = Date.parse('2015-09-01T00:00:00Z') // 08:00 Beijing
    expect(await worker().runOnce()).toMatchObject({ sent: 1 })
    expect(fake.delivered.map((d) => d.touser)).toEqual([['lina'], ['zhangwei']])
  })

  it('defers the 31st message in a minute to one member without counting an attempt', async () => {
    for (let i = 0; i < 31; i += 1) await put({ dedupeKey: `h${i}`, to: { users: ['zhangwei'] }, message: text(`第${i + 1}条`) })
    expect(await worker().runOnce()).toMatchObject({ sent: 30, deferred: 1 })
    const deferred = (await rows()).find((r) => r.status === 'pending')!
    expect(deferred).toMatchObject({ attempts: 0, dedupeKey: 'h30' })
    expect(deferred.nextAttemptAt.getTime()).toBe(MORNING + 60_001)
  })

  it('reclaims rows left sending by a worker that died, after the claim timeout', async () => {
    await put({ dedupeKey: 'i', to: { users: ['zhangwei'] }, message: text('提醒') })
    await outbox().update({ dedupeKey: 'i' }, { status: 'sending', claimedBy: 'dead-worker#1', claimedAt: new Date(clock) })
    clock += 60_000
    expect(await worker().runOnce()).toMatchObject({ claimed: 0 })
    clock += 5 * 60_000
    expect(await worker().runOnce()).toMatchObject({ claimed: 1, sent: 1 })
  })

  it('after a crash between send and mark, delivers every message and repeats only the ones in flight', async () => {
    for (let i = 0; i < 40; i += 1) await put({ dedupeKey: `j${i}`, to: { users: [`member${i}`] }, message: text(`第${i + 1}条提醒`) })
    let sends = 0
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock })
    const real = createWeComTransport(client, {})
    // The process "dies" after its 25th send: that send and the ones in flight never get marked.
    const crashing = {
      name: 'wecom' as const,
      async send(row: OutboxMessage) {
        sends += 1
        if (sends > 25) {
          await real.send(row)
          return new Promise<never>(() => {})
        }
        return real.send(row)
      },
    }
    const first = worker({ transport: crashing, batchSize: 40, concurrency: 4 })
    void first.runOnce()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const inFlight = (await rows()).filter((r) => r.status === 'sending').length
    expect(inFlight).toBeGreaterThan(0)
    clock += 6 * 60_000
    const second = worker()
    while ((await second.runOnce()).claimed > 0) clock += 1000
    const all = await rows()
    expect(all.every((r) => r.status === 'sent')).toBe(true)
    const reached = new Set(fake.delivered.filter((d) => !d.suppressed).map((d) => d.touser[0]))
    expect(reached.size).toBe(40)
    const repeats = fake.delivered.filter((d) => d.suppressed)
    expect(repeats.length).toBeLessThanOrEqual(inFlight)
    // A repeat is byte-identical to the first send, so WeCom's duplicate check suppresses it.
    for (const repeat of repeats) expect(fake.delivered.find((d) => !d.suppressed && d.raw === repeat.raw)).toBeDefined()
  })

  it('prints messages with names in console delivery mode and marks them sent', async () => {
    const printed: string[] = []
    await put({ dedupeKey: 'k', to: { users: ['zhangwei', 'unknown-user'] }, message: markdown('**逾期提醒**\n#12 已逾期') })
    await worker({ transport: createConsoleTransport(ds, (t) => printed.push(t)) }).runOnce()
    expect(printed.join('')).toContain('→ unknown-user、张伟(zhangwei) [markdown]\n逾期提醒\n#12 已逾期')
    expect((await rows())[0]).toMatchObject({ status: 'sent' })
    expect(fake.delivered).toHaveLength(0)
  })

  it('logs with the worker and never the access token', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk))
        done()
      },
    })
    await put({ dedupeKey: 'l', to: { users: ['zhangwei'] }, message: text('提醒') })
    fake.inject({ kind: 'errcode', errcode: -1 }, 1, 'message/send')
    await worker({ logger: createLogger('debug', sink) }).runOnce()
    const token = fake.requests.find((r) => r.query.access_token)!.query.access_token!
    expect(lines.join('')).toContain('delivery failed, will retry')
    expect(lines.join('')).not.toContain(token)
    expect(lines.join('')).not.toContain('fake-secret')
  })
})
