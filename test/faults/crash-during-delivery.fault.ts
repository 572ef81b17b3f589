import { describe, expect, it } from 'vitest'
import { OutboxMessageSchema } from '../../src/db/entities/index.js'
import { dialect } from '../helpers/test-database.js'
import { deliveriesByContent, enqueueNumbered, faultEnv, reportFigures, seededRandom, sleep, startDeliveryWorker, useFaultRig, waitUntil } from './support/fault-kit.js'

const MESSAGES = 500
const KILLS = 10
/** Claim timeout of the test's workers: rows a killed worker held are taken again after it. */
const CLAIM_TIMEOUT_MS = 2000

/**
 * Each send in flight when a worker dies may have reached WeCom unrecorded, and is sent again:
 * at most one per kill with DELIVERY_CONCURRENCY=1, at most four with the default of 4.
 */
describe.each([1, 4])(`crash during delivery (${dialect}), DELIVERY_CONCURRENCY=%i`, (inFlight) => {
  const rig = useFaultRig(async ({ db, fake }) => {
    await enqueueNumbered(db.dataSource, 'crash', MESSAGES)
    // WeCom takes 20 ms per message: kills land while requests are in flight.
    fake.inject({ kind: 'latency', ms: 20 }, 1e9, 'message/send')
  })

  it(`${MESSAGES} messages, the worker killed ${KILLS} times at random points: all delivered, repeats only of sends in flight (≤ ${KILLS} × ${inFlight}), byte-identical`, async () => {
    const { db, fake } = rig
    const random = seededRandom()
    const env = faultEnv(db.url, fake, { FAULT_CLAIM_TIMEOUT_MS: String(CLAIM_TIMEOUT_MS), FAULT_POLL_MS: '100', DELIVERY_CONCURRENCY: String(inFlight) })
    const sends = () => fake.requests.filter((r) => r.api === 'message/send').length
    const sent = () => db.dataSource.getRepository(OutboxMessageSchema).countBy({ status: 'sent' })
    const started = Date.now()
    for (let kill = 0; kill < KILLS; kill += 1) {
      const worker = await startDeliveryWorker(env)
      const before = sends()
      await waitUntil(() => sends() > before, 'the worker to send')
      await sleep(50 + random.next() * 300)
      worker.child.kill('SIGKILL')
      await worker.exited
    }
    const sentBeforeRecovery = await sent()
    const restarted = Date.now()
    const last = await startDeliveryWorker(env)
    await waitUntil(async () => (await sent()) === MESSAGES, `all ${MESSAGES} messages sent`, 60_000, 100)
    const recoverMs = Date.now() - restarted
    last.child.kill('SIGTERM')
    expect(await last.exited).toBe(0)

    const byContent = deliveriesByContent(fake.delivered)
    // None lost: every message reached its recipient exactly once.
    expect(byContent.size).toBe(MESSAGES)
    for (const copies of byContent.values()) expect(copies.filter((c) => !c.suppressed)).toHaveLength(1)
    // A repeat is a send in flight when a worker died, byte-identical to the first, so WeCom's duplicate check dropped it.
    const repeats = [...byContent.values()].flatMap((copies) => copies.slice(1))
    for (const repeat of repeats) {
      expect(repeat.suppressed).toBe(true)
      expect(repeat.raw).toBe(byContent.get(String((repeat.body.text as { content: string }).content))![0]!.raw)
    }
    expect(repeats.length).toBeLessThanOrEqual(KILLS * inFlight)
    expect(await db.dataSource.getRepository(OutboxMessageSchema).countBy({ status: 'sending' })).toBe(0)
    reportFigures(`crash during delivery, ${inFlight} in flight`, dialect, {
      messages: MESSAGES,
      kills: KILLS,
      repeats: repeats.length,
      suppressed: fake.delivered.filter((d) => d.suppressed).length,
      sentBeforeFinalRestart: sentBeforeRecovery,
      recoverMs,
      totalMs: Date.now() - started,
      seed: random.seed,
    })
  })
})
