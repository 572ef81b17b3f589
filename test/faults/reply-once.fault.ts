import { describe, expect, it } from 'vitest'
import { enqueue } from '../../src/outbox/enqueue.js'
import { OutboxMessageSchema } from '../../src/db/entities/index.js'
import { markdown } from '../../src/wecom/messages.js'
import { seedRoster } from '../helpers/roster.js'
import { dialect } from '../helpers/test-database.js'
import { faultClient, faultEnv, reportFigures, startDeliveryWorker, useFaultRig, waitUntil } from './support/fault-kit.js'

const APIS = ['message/send', 'appchat/send', 'webhook/send']
const ANSWER = '**我的待办**\n- 🔴 #12 城关镇 招商引资项目跑办不积极（逾期 3 天）'

/**
 * A worker killed (SIGKILL) while a command's reply, an app group chat message and a group
 * robot message are with WeCom, which delivers all three after the worker is gone. The next
 * worker takes the rows over after the claim timeout: the reply goes again byte-identical and
 * WeCom's duplicate check drops the copy; the chat and robot messages, which have no duplicate
 * check, are not sent again — the administrators are told their outcome is unknown.
 */
describe(`a reply, an app-chat and a robot message, killed mid-send (${dialect})`, () => {
  const rig = useFaultRig(async ({ db, fake }) => {
    await seedRoster(db.dataSource, '县委组织部', [{ userid: 'wangjian', name: '王健', roles: ['org_admin'] }])
    const chatid = await faultClient(fake).createAppChat({ name: '专项治理联络员', userlist: ['wangjian', 'lina'], chatid: 'lianxiqun' })
    await db.dataSource.transaction(async (manager) => {
      const at = new Date(Date.now() - 1000)
      await enqueue(manager, { dedupeKey: 'reply:1', subject: { kind: 'reply', id: 1 }, to: { users: ['zhangwei'] }, message: markdown(ANSWER), reply: true, urgent: true }, at)
      await enqueue(manager, { dedupeKey: 'meeting:1', subject: { kind: 'meeting', id: 1 }, to: { chatid }, message: markdown('**联席会议通知**\n9月2日 15:00') }, at)
      await enqueue(manager, { dedupeKey: 'circular:1', subject: { kind: 'circular', id: 1 }, to: { robot: 'lianxi' }, message: markdown('**通报**\n第3期') }, at)
    })
    // WeCom takes 1.5 s over each: the kill finds all three with WeCom.
    for (const api of APIS) fake.inject({ kind: 'latency', ms: 1500 }, 1, api)
  })

  it('one of each arrives; the reply is resent and dropped by WeCom, the group messages are held and reported', async () => {
    const { db, fake } = rig
    const env = faultEnv(db.url, fake, { FAULT_CLAIM_TIMEOUT_MS: '2000', FAULT_POLL_MS: '100', WECOM_ROBOTS: 'lianxi=robot-key-1' })
    const first = await startDeliveryWorker(env)
    await waitUntil(() => APIS.every((api) => fake.requests.some((r) => r.api === api)), 'all three sends with WeCom')
    first.child.kill('SIGKILL')
    await first.exited
    await waitUntil(() => fake.delivered.length + fake.appchatMessages.length + fake.robotMessages.length === 3, 'WeCom to deliver them', 10_000)

    const restarted = Date.now()
    const second = await startDeliveryWorker(env)
    const outbox = db.dataSource.getRepository(OutboxMessageSchema)
    const settled = async () => (await outbox.countBy({ status: 'sending' })) + (await outbox.countBy({ status: 'pending' })) === 0
    // Done when the three rows are sent (as a worker that resends blindly would have it), or when the alert about the held ones is sent too.
    const done = async () => (await outbox.countBy({ status: 'sent' })) === 3 || ((await outbox.count()) > 3 && (await settled()))
    await waitUntil(done, 'the rows taken over (and the alert sent)', 60_000, 100)
    const recoverMs = Date.now() - restarted
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    const replies = fake.delivered.filter((d) => d.touser.includes('zhangwei'))
    reportFigures('reply once, killed mid-send', dialect, {
      replyCopies: replies.length,
      replySuppressed: replies.filter((d) => d.suppressed).length,
      appchatDelivered: fake.appchatMessages.length,
      robotDelivered: fake.robotMessages.length,
      recoverMs,
    })
    expect(replies.map((d) => d.suppressed)).toEqual([false, true])
    expect(replies[1]!.raw).toBe(replies[0]!.raw)
    expect(fake.appchatMessages).toHaveLength(1)
    expect(fake.robotMessages).toHaveLength(1)
    const rows = await outbox.find({ order: { id: 'ASC' } })
    expect(rows.map((r) => [r.dedupeKey, r.status, r.lastError?.slice(0, 6) ?? null])).toEqual([
      ['reply:1', 'sent', null],
      ['meeting:1', 'dead', '发送结果未知'],
      ['circular:1', 'dead', '发送结果未知'],
      [expect.stringMatching(/^alert:dead:/), 'sent', null],
    ])
    const alert = fake.delivered.find((d) => d.touser.includes('wangjian'))!
    expect((alert.body.markdown as { content: string }).content).toContain('2 条群消息发送结果未知，为免重复未再发送')
  })
})
