import { describe, expect, it } from 'vitest'
import { enqueueMany } from '../../src/outbox/enqueue.js'
import { OutboxMessageSchema } from '../../src/db/entities/index.js'
import { text } from '../../src/wecom/messages.js'
import { dialect } from '../helpers/test-database.js'
import { maxInWindow } from './outage-helpers.js'
import { deliveriesByContent, enqueueNumbered, faultEnv, reportFigures, startDeliveryWorker, useFaultRig, waitUntil } from './support/fault-kit.js'

const TO_MEMBER = 120
const TO_ROBOT = 60
/** enqueueNumbered(…, 1) sends every message to this member. */
const MEMBER = 'member0'

/**
 * WeCom's per-member (30 a minute) and per-robot (20 a minute) limits, kept by two worker
 * processes on one database together, across a SIGKILL and a restart of one of them; measured
 * from the times the fake WeCom server took each message, in sliding 60 s windows. It takes
 * the four minutes it must: 120 messages to one member go out in four bursts a minute apart.
 */
describe(`one send budget for two instances (${dialect})`, () => {
  const rig = useFaultRig(async ({ db, fake }) => {
    await enqueueNumbered(db.dataSource, 'budget', TO_MEMBER, 1)
    // WeCom takes 30 ms a message, so that the kill finds sends in flight.
    fake.inject({ kind: 'latency', ms: 30 }, 1e9, 'message/send')
    fake.inject({ kind: 'latency', ms: 30 }, 1e9, 'webhook/send')
  })

  it(`${TO_MEMBER} messages to one member and ${TO_ROBOT} to one robot, an instance killed and restarted mid-burst: never over 30 (20) in any 60 s, all delivered once`, async () => {
    const { db, fake } = rig
    const env = faultEnv(db.url, fake, { FAULT_POLL_MS: '100', FAULT_CLAIM_TIMEOUT_MS: '3000', WECOM_ROBOTS: 'lianxi=robot-key-1' })
    const started = Date.now()
    const workers = await Promise.all([startDeliveryWorker(env), startDeliveryWorker(env)])
    // The robot's messages from 30 s on: its bursts fall between the member's, where the kill lands.
    const robotMessages = Array.from({ length: TO_ROBOT }, (_, i) => ({ dedupeKey: `fault:robot:${i}`, subject: { kind: 'other' as const, id: null }, to: { robot: 'lianxi' }, message: text(`故障测试 robot 第${i + 1}条`), notBefore: new Date(started + 30_000) }))
    await db.dataSource.transaction((manager) => enqueueMany(manager, robotMessages, new Date()))

    // Into the member's second minute, with its messages in flight: one instance dies and comes back.
    const toMember = () => fake.delivered.filter((d) => !d.suppressed && d.touser.includes(MEMBER))
    await waitUntil(() => toMember().length >= 40, 'the member’s second minute', 120_000, 5)
    workers[0]!.child.kill('SIGKILL')
    await workers[0]!.exited
    const killedAtS = (Date.now() - started) / 1000
    workers[0] = await startDeliveryWorker(env)

    const sent = () => db.dataSource.getRepository(OutboxMessageSchema).countBy({ status: 'sent' })
    await waitUntil(async () => (await sent()) === TO_MEMBER + TO_ROBOT, 'every message sent', 210_000, 250)
    const totalS = (Date.now() - started) / 1000
    for (const worker of workers) worker.child.kill('SIGTERM')
    for (const worker of workers) expect(await worker.exited).toBe(0)

    const memberTimes = toMember().map((d) => d.at)
    const robotTimes = fake.robotMessages.map((m) => m.at)
    const figures = {
      maxPerMinuteMember: maxInWindow(memberTimes, 60_000),
      maxPerMinuteRobot: maxInWindow(robotTimes, 60_000),
      killedAtS: killedAtS.toFixed(1),
      totalS: totalS.toFixed(1),
      memberRepeatsSuppressed: fake.delivered.filter((d) => d.suppressed).length,
    }
    reportFigures('send budget, two instances, one killed', dialect, figures)

    // All delivered, each once (a send in flight at the kill went again, byte-identical, and WeCom dropped the copy).
    const byContent = deliveriesByContent(toMember().filter((d) => !d.overLimit.includes(MEMBER)))
    expect(byContent.size).toBe(TO_MEMBER)
    expect([...byContent.values()].every((copies) => copies.length === 1)).toBe(true)
    const robotContents = fake.robotMessages.map((m) => (m.body.text as { content: string }).content)
    expect(new Set(robotContents).size).toBe(TO_ROBOT)
    expect(robotContents).toHaveLength(TO_ROBOT)
    // Within WeCom's limits in every sliding window: nothing dropped silently, nothing refused.
    expect(figures.maxPerMinuteMember).toBeLessThanOrEqual(30)
    expect(figures.maxPerMinuteRobot).toBeLessThanOrEqual(20)
    expect(fake.delivered.flatMap((d) => d.overLimit)).toEqual([])
    expect(fake.requests.filter((r) => r.api === 'webhook/send' && r.outcome !== 0)).toEqual([])
    expect(await db.dataSource.getRepository(OutboxMessageSchema).countBy({ status: 'dead' })).toBe(0)
  }, 240_000)
})
