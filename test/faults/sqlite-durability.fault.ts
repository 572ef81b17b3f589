import { describe, expect, it } from 'vitest'
import { OutboxMessageSchema, ProgressUpdateSchema } from '../../src/db/entities/index.js'
import { seedLedger } from '../helpers/ledger-fixture.js'
import { spawnService, type ServiceProcess } from '../helpers/service-process.js'
import { dialect } from '../helpers/test-database.js'
import { deliveriesByContent, enqueueNumbered, faultEnv, reportFigures, seededRandom, sleep, startDeliveryWorker, useFaultRig, waitUntil } from './support/fault-kit.js'

const ROUNDS = 5
const MESSAGES = 1000

/**
 * Two processes write the same database at once — progress updates (read, then write, in one
 * transaction) and the delivery worker's claims and settlements — and both are killed with
 * SIGKILL mid-write. On SQLite (WAL, transactions begun IMMEDIATE) no update fails with
 * SQLITE_BUSY, the file stays intact, and nothing acknowledged is lost; the same holds on MariaDB.
 */
describe(`durability under SIGKILL mid-write (${dialect})`, () => {
  let item: number
  const rig = useFaultRig(async ({ db, fake }) => {
    item = (await seedLedger(db.dataSource)).items.overdue
    await enqueueNumbered(db.dataSource, 'durable', MESSAGES)
    fake.inject({ kind: 'latency', ms: 5 }, 1e9, 'message/send')
  })

  it(`a progress writer and a delivery worker killed ${ROUNDS} times: integrity ok, every acknowledged update kept`, async () => {
    const { db, fake } = rig
    const random = seededRandom()
    const env = faultEnv(db.url, fake, { FAULT_CLAIM_TIMEOUT_MS: '2000', FAULT_POLL_MS: '100' })
    const acked: number[] = []
    const failures: string[] = []
    let worker: ServiceProcess | undefined
    let kills = 0
    const started = Date.now()
    for (let round = 0; round < ROUNDS; round += 1) {
      worker ??= await startDeliveryWorker(env)
      const writer = spawnService({ ...env, FAULT_USERID: 'zhaolei', FAULT_ITEM: String(item), FAULT_FIRST: String(round * 1_000_000 + 1) }, 'test/faults/support/progress-writer-process.ts')
      await writer.waitFor(/progress writer ready/, 60_000)
      await waitUntil(() => /^ack /m.test(writer.output()), 'the writer to commit')
      await sleep(100 + random.next() * 400)
      writer.child.kill('SIGKILL')
      kills += 1
      // Every other round the worker dies at the same moment, mid-claim or mid-settle.
      if (round % 2 === 0) {
        worker.child.kill('SIGKILL')
        kills += 1
      }
      await writer.exited
      if (round % 2 === 0) {
        await worker.exited
        worker = undefined
      }
      acked.push(...[...writer.output().matchAll(/^ack (\d+)$/gm)].map((m) => Number(m[1])))
      failures.push(...[...writer.output().matchAll(/^failed .*$/gm)].map((m) => m[0]))
    }
    worker ??= await startDeliveryWorker(env)
    const sent = () => db.dataSource.getRepository(OutboxMessageSchema).countBy({ status: 'sent' })
    await waitUntil(async () => (await sent()) === MESSAGES, `all ${MESSAGES} messages sent`, 90_000, 100)
    worker.child.kill('SIGTERM')
    expect(await worker.exited).toBe(0)

    if (dialect === 'sqlite') {
      expect(await db.dataSource.query('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
      expect(await db.dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }])
    }
    // No update failed (no SQLITE_BUSY between the two processes) and none acknowledged was lost.
    expect(failures).toEqual([])
    expect(acked.length).toBeGreaterThan(0)
    const stored = new Set(
      (await db.dataSource.getRepository(ProgressUpdateSchema).find({ where: { ledgerItemId: item }, select: { note: true } })).map((u) => u.note),
    )
    const lost = acked.filter((n) => !stored.has(`故障测试进度 ${n}`))
    expect(lost).toEqual([])
    // The outbox too: every message reached WeCom once; repeats only of sends in flight, dropped by the duplicate check.
    const byContent = deliveriesByContent(fake.delivered)
    expect(byContent.size).toBe(MESSAGES)
    for (const copies of byContent.values()) expect(copies.filter((c) => !c.suppressed)).toHaveLength(1)
    reportFigures('durability under SIGKILL', dialect, {
      acknowledgedUpdates: acked.length,
      storedUpdates: stored.size,
      lost: lost.length,
      failedUpdates: failures.length,
      messages: MESSAGES,
      kills,
      repeats: fake.delivered.length - byContent.size,
      totalMs: Date.now() - started,
      seed: random.seed,
    })
  })
})
