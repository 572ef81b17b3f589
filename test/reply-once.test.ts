import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDeliveryWorker, type DeliveryWorker } from '../src/delivery/delivery-worker.js'
import { enqueue, type OutgoingMessage } from '../src/outbox/enqueue.js'
import { retryOutbox } from '../src/delivery/outbox-admin.js'
import { withSendTimeNote } from '../src/outbox/send-time-note.js'
import type { Transport } from '../src/delivery/transport.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { OutboxMessageSchema, type OutboxMessage } from '../src/db/entities/index.js'
import { createLogger } from '../src/logger.js'
import { markdown, text } from '../src/wecom/messages.js'
import { utf8Length } from '../src/wecom/utf8-limits.js'
import { createWeComClient, type WeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 2015-08-31 10:00 Beijing time: a working morning, outside quiet hours. */
const MORNING = Date.parse('2015-08-31T02:00:00Z')
const ANSWER = '**我的待办**\n- 🔴 #12 城关镇 招商引资项目跑办不积极（逾期 3 天）\n回复「进度 12 60% 说明」反馈进度。'

describe(`a reply, an app-chat message and a robot message arrive once (${dialect})`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let clock: number
  let client: WeComClient
  let chatid: string

  const outbox = () => ds.getRepository(OutboxMessageSchema)
  const put = (message: Omit<OutgoingMessage, 'subject'>) => ds.transaction((m) => enqueue(m, { subject: { kind: 'other', id: null }, ...message }, new Date(clock)))
  const row = (dedupeKey: string) => outbox().findOneByOrFail({ dedupeKey })
  function worker(transport: Transport = createWeComTransport(client, { lianxi: 'robot-key-1' })): DeliveryWorker {
    return createDeliveryWorker({ dataSource: ds, transport, logger: createLogger('silent'), quietHours: { startMinute: 0, endMinute: 0 }, now: () => new Date(clock), random: () => 0 })
  }
  /** What reached people, suppressed copies (WeCom's duplicate check) left out. */
  const replies = () => fake.delivered.filter((d) => !d.suppressed && d.touser.includes('zhangwei')).map((d) => (d.body.markdown as { content: string }).content)
  const destinations = {
    appchat: { to: () => ({ chatid }), received: () => fake.appchatMessages.map((m) => m.body), api: 'appchat/send' },
    webhook: { to: () => ({ robot: 'lianxi' }), received: () => fake.robotMessages.map((m) => m.body), api: 'webhook/send' },
  } as const

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedRoster(ds, '县委组织部', [{ userid: 'wangjian', name: '王健', roles: ['org_admin'] }])
  })
  afterAll(async () => {
    await db?.close()
  })
  beforeEach(async () => {
    await outbox().createQueryBuilder().delete().execute()
    clock = MORNING
    fake = await startFakeWeCom({ now: () => clock })
    client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock })
    chatid = await client.createAppChat({ name: '专项治理联络员', userlist: ['wangjian', 'lina'], chatid: 'lianxiqun' })
    return () => fake.close()
  })

  it('a reply whose answer was lost, a plain drop, and the same answer to a later question: each arrives exactly once', async () => {
    await put({ dedupeKey: 'reply:1', to: { users: ['zhangwei'] }, message: markdown(ANSWER), reply: true, urgent: true })
    fake.inject({ kind: 'deliver-then-drop' }, 1, 'message/send')
    expect(await worker().runOnce()).toMatchObject({ retried: 1 })
    // The same question again a second later: the same answer, to the same person.
    clock += 1000
    await put({ dedupeKey: 'reply:2', to: { users: ['zhangwei'] }, message: markdown(ANSWER), reply: true, urgent: true })
    expect(await worker().runOnce()).toMatchObject({ sent: 1 })
    // The first answer's retry (15 s later) is the same request again: WeCom's duplicate check drops it.
    clock += 15_000
    expect(await worker().runOnce()).toMatchObject({ sent: 1 })
    expect(replies()).toEqual([ANSWER, `${ANSWER}\n<font color="comment">（10:00 发送）</font>`])
    expect(fake.delivered.filter((d) => d.suppressed).map((d) => d.raw)).toEqual([fake.delivered[0]!.raw])
    expect((await row('reply:1')).status).toBe('sent')

    // A plain drop: nothing reached WeCom, the retry is delivered, once.
    await put({ dedupeKey: 'reply:3', to: { users: ['zhangwei'] }, message: markdown('已收到，谢谢。'), reply: true, urgent: true })
    fake.inject({ kind: 'drop' }, 1, 'message/send')
    expect(await worker().runOnce()).toMatchObject({ retried: 1 })
    clock += 15_000
    expect(await worker().runOnce()).toMatchObject({ sent: 1 })
    expect(replies().filter((c) => c.startsWith('已收到'))).toEqual(['已收到，谢谢。'])
    expect(fake.delivered.filter((d) => d.suppressed)).toHaveLength(1)
  })

  it('notes the second within the minute, or a counter, when the same answer went out in the same minute', async () => {
    for (let i = 1; i <= 3; i += 1) await put({ dedupeKey: `reply:${i}`, to: { users: ['zhangwei'] }, message: markdown(ANSWER), reply: true, urgent: true })
    expect(await worker().runOnce()).toMatchObject({ sent: 3 })
    expect(replies()).toEqual([ANSWER, `${ANSWER}\n<font color="comment">（10:00 发送）</font>`, `${ANSWER}\n<font color="comment">（10:00:00 发送）</font>`])
    expect(withSendTimeNote(text('已收到'), new Date(MORNING + 5000), 2)).toEqual(text('已收到\n（10:00:05 发送 · 2）'))
    // Four hours later WeCom's duplicate check has forgotten it: no note.
    clock += 4 * 3_600_000 + 60_000
    await put({ dedupeKey: 'reply:4', to: { users: ['zhangwei'] }, message: markdown(ANSWER), reply: true, urgent: true })
    await worker().runOnce()
    expect(replies().at(-1)).toBe(ANSWER)
  })

  it('keeps room for the note in every part of a long answer', async () => {
    const long = Array.from({ length: 120 }, (_, i) => `🔴 #${i + 1} 城关镇 招商引资项目跑办不积极`).join('\n')
    for (let i = 1; i <= 2; i += 1) await put({ dedupeKey: `reply:${i}`, to: { users: ['zhangwei'] }, message: markdown(long), reply: true, urgent: true })
    await worker().runOnce()
    const parts = replies()
    expect(parts.length).toBeGreaterThan(4)
    expect(parts.filter((p) => p.includes('发送）'))).toHaveLength(parts.length / 2)
    for (const part of parts) expect(utf8Length(part)).toBeLessThanOrEqual(2048)
  })

  it.each(['appchat', 'webhook'] as const)('%s: a message whose answer was lost is not sent again and the administrators are asked; a plain drop is held the same way and sent once when retried', async (channel) => {
    const destination = destinations[channel]
    await put({ dedupeKey: `${channel}:1`, to: destination.to(), message: markdown('**联席会议通知**\n9月2日 15:00 县委3楼会议室') })
    fake.inject({ kind: 'deliver-then-drop' }, 1, destination.api)
    expect(await worker().runOnce()).toMatchObject({ dead: 1 })
    const held = await row(`${channel}:1`)
    expect(held).toMatchObject({ status: 'dead', attempts: 1 })
    expect(held.lastError).toMatch(/^发送结果未知：.*npm run cli -- outbox retry \d+$/)
    // No retry, ever: the message is in the group once.
    clock += 3_600_000
    expect(await worker().runOnce()).toMatchObject({ sent: 1 })
    expect(destination.received()).toHaveLength(1)
    const alert = fake.delivered.find((d) => d.touser.includes('wangjian'))!
    expect((alert.body.markdown as { content: string }).content).toContain('1 条群消息发送结果未知，为免重复未再发送')

    // A drop that never reached WeCom looks the same from here: held, until an administrator has checked the group.
    await put({ dedupeKey: `${channel}:2`, to: destination.to(), message: markdown('**联席会议通知（更正）**\n改为 16:00') })
    fake.inject({ kind: 'drop' }, 1, destination.api)
    expect(await worker().runOnce()).toMatchObject({ dead: 1 })
    expect(destination.received()).toHaveLength(1)
    expect(await retryOutbox(ds, { id: (await row(`${channel}:2`)).id }, new Date(clock))).toBe(1)
    // The message, and the administrators' alert about it.
    expect(await worker().runOnce()).toMatchObject({ sent: 2 })
    expect(destination.received()).toHaveLength(2)
    expect(await worker().runOnce()).toMatchObject({ claimed: 0 })
  })

  /** The real transport; after `crashAfter` sends the process "dies": the sends are made, their outcomes never recorded. */
  function crashingTransport(when: 'after-send' | 'before-send') {
    const real = createWeComTransport(client, { lianxi: 'robot-key-1' })
    return {
      name: 'wecom' as const,
      async send(sent: OutboxMessage): Promise<never> {
        if (when === 'after-send') await real.send(sent)
        return new Promise<never>(() => {})
      },
    }
  }

  it('after a crash mid-send and the claim timeout: the reply is not delivered twice, the app-chat and robot messages are held', async () => {
    await put({ dedupeKey: 'reply:1', to: { users: ['zhangwei'] }, message: markdown(ANSWER), reply: true, urgent: true })
    await put({ dedupeKey: 'appchat:1', to: { chatid }, message: markdown('**会议通知**') })
    await put({ dedupeKey: 'webhook:1', to: { robot: 'lianxi' }, message: markdown('**通报**') })
    void worker(crashingTransport('after-send')).runOnce()
    while (fake.robotMessages.length + fake.appchatMessages.length + fake.delivered.length < 3) await new Promise((resolve) => setTimeout(resolve, 10))
    clock += 6 * 60_000
    expect(await worker().runOnce()).toMatchObject({ claimed: 3, sent: 1, dead: 2 })
    expect(fake.delivered.map((d) => d.suppressed)).toEqual([false, true])
    expect(fake.appchatMessages).toHaveLength(1)
    expect(fake.robotMessages).toHaveLength(1)
    expect((await row('appchat:1')).lastError).toMatch(/^发送结果未知/)
    expect((await row('webhook:1')).lastError).toMatch(/^发送结果未知/)
  })

  it('after a crash before the request left: the reply is delivered once; the app-chat and robot messages are held all the same (their outcome is unknown)', async () => {
    await put({ dedupeKey: 'reply:1', to: { users: ['zhangwei'] }, message: markdown(ANSWER), reply: true, urgent: true })
    await put({ dedupeKey: 'webhook:1', to: { robot: 'lianxi' }, message: markdown('**通报**') })
    void worker(crashingTransport('before-send')).runOnce()
    while ((await ds.query('SELECT id FROM send_slot')).length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
    clock += 6 * 60_000
    expect(await worker().runOnce()).toMatchObject({ claimed: 2, sent: 1, dead: 1 })
    expect(replies()).toEqual([ANSWER])
    expect(fake.robotMessages).toHaveLength(0)
  })
})
