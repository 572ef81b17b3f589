import { performance } from 'node:perf_hooks'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InboundMessageSchema, OutboxMessageSchema, ProgressUpdateSchema, type LedgerItem } from '../../src/db/entities/index.js'
import { startFakeWeCom, type FakeWeCom } from '../fakes/fake-wecom-server.js'
import { newMsgId, SECRETS } from '../helpers/wecom-callback-client.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from '../helpers/test-database.js'
import { reportFigures, seedItemsInProgress, sendText, serviceBehindOutage, simulatedClock, sleep, startOutageBot, waitUntil, type CallbackOutcome, type DatabaseOutage, type OutageBot } from './outage-helpers.js'

/** How long the database is gone (real time). */
const OUTAGE_MS = 30_000
/** A callback is answered (503 included) within this while the database is gone: WeCom then retries. */
const ANSWER_BOUND_MS = 2000
const ITEMS = 120

interface Sent extends CallbackOutcome {
  from: string
  content: string
  msgId: string
  itemId: number
  /** Real ms since the outage began. */
  at: number
}

describe(`database outage on ${dialect}: callbacks answer 503 quickly, the service recovers by itself, nothing acknowledged is lost`, () => {
  let db: MigratedDatabase
  let fake: FakeWeCom
  let outage: DatabaseOutage
  let service: DataSource | undefined
  let bot: OutageBot | undefined
  const items: LedgerItem[] = []

  beforeAll(async () => {
    db = await createMigratedDatabase()
    items.push(...(await seedItemsInProgress(db.dataSource, ITEMS, '政务服务问题')))
    fake = await startFakeWeCom({ corpId: SECRETS.corpId })
    const behind = await serviceBehindOutage(db.target)
    outage = behind.outage
    service = behind.service
  })
  afterAll(async () => {
    await bot?.close()
    await outage?.close()
    if (service?.isInitialized) await service.destroy()
    await fake?.close()
    await db?.close()
  })

  it('answers 503 within 2 s while the database is gone for 30 s, answers 200 again without a restart, and every acknowledged update is stored and notified once', async () => {
    // 2015-08-31 10:00 Beijing time, a working morning, running at the real clock's pace.
    const clock = simulatedClock('2015-08-31T02:00:00Z', 1)
    bot = await startOutageBot({ dataSource: service!, clock, wecomUrl: fake.url, timeoutMs: 10_000, worker: { pollIntervalMs: 200 } })
    const sent: Sent[] = []
    let next = 0
    let started = performance.now()
    /** A progress update on the next item (or WeCom's retry of an earlier message); its note names it. */
    const report = async (retry?: Sent, command = '进度'): Promise<Sent> => {
      const item = retry ? items.find((i) => i.id === retry.itemId)! : items[next++]!
      const msgId = retry?.msgId ?? newMsgId()
      const content = retry?.content ?? (command === '完成' ? `完成 ${item.id} 已整改到位 ${msgId}` : `进度 ${item.id} 60% 反馈 ${msgId}`)
      const outcome = await sendText(bot!.url, clock, 'zhaolei', content, msgId)
      const record = { ...outcome, from: 'zhaolei', content, msgId, itemId: item.id, at: performance.now() - started }
      sent.push(record)
      return record
    }

    // Before: rectifications, each notifying 王健. WeCom is busy for the first sends, so
    // acknowledged notifications wait in the outbox (with backoff) when the database goes away;
    // the next send is slow, so that the database goes away while it is with WeCom and its
    // outcome can only be recorded after the outage (in CI that once left it 'sending' for the
    // claim timeout).
    fake.inject({ kind: 'errcode', errcode: -1 }, 3)
    fake.inject({ kind: 'latency', ms: 3000 }, 1, 'message/send')
    for (let i = 0; i < 5; i += 1) expect((await report(undefined, '完成')).status).toBe(200)
    await waitUntil('WeCom has refused three sends', () => fake.requests.filter((r) => r.outcome === -1).length === 3, 10_000)

    // The outage: a message every 500 ms, each answered quickly with 503.
    started = performance.now()
    await outage.cut()
    const during: Sent[] = []
    while (performance.now() - started < OUTAGE_MS) {
      during.push(await report())
      await sleep(500)
    }
    await outage.restore()
    const restoredAt = performance.now() - started

    // After: new messages are answered again, without a restart.
    const after: Sent[] = []
    let firstOk: number | undefined
    while (performance.now() - started < restoredAt + 20_000) {
      const outcome = await report()
      after.push(outcome)
      if (outcome.status === 200) {
        firstOk = outcome.at
        break
      }
      await sleep(200)
    }
    // WeCom retries what got 503, with the same MsgId.
    const retried: Sent[] = []
    for (const failed of [...during, ...after].filter((s) => s.status !== 200)) retried.push(await report(failed))

    const acknowledged = sent.filter((s) => s.status === 200)
    const outbox = db.dataSource.getRepository(OutboxMessageSchema)
    const rectified = acknowledged.filter((s) => s.content.startsWith('完成'))
    await waitUntil('every rectification is notified', async () => (await outbox.countBy({ status: 'sent' })) === rectified.length, 60_000)
    const notifiedAt = performance.now() - started

    const latencies = during.map((s) => s.ms)
    reportFigures(`database-outage/${dialect}`, {
      outage: `${OUTAGE_MS / 1000}s`,
      callbacksDuringOutage: during.length,
      statusesDuringOutage: [...new Set(during.map((s) => s.status))].join(','),
      maxCallbackMsDuringOutage: Math.round(Math.max(...latencies)),
      p50CallbackMsDuringOutage: Math.round([...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)]!),
      timeToFirst200AfterRestoreMs: firstOk === undefined ? 'never' : Math.round(firstOk - restoredAt),
      allNotifiedMsAfterRestore: Math.round(notifiedAt - restoredAt),
      retriedByWeCom: retried.length,
      acknowledged: acknowledged.length,
      lostAcknowledged: acknowledged.length - (await db.dataSource.getRepository(ProgressUpdateSchema).countBy({ personId: items[0]!.responsiblePersonId! })),
      notificationsSent: await outbox.countBy({ status: 'sent' }),
      delivered: fake.delivered.length,
    })

    // While the database was gone every callback was answered, quickly, with 503 (WeCom retries).
    expect(during.length).toBeGreaterThan(15)
    expect(during.map((s) => s.status)).toEqual(during.map(() => 503))
    expect(Math.max(...latencies)).toBeLessThan(ANSWER_BOUND_MS)
    // The service came back by itself; WeCom's retries were all handled.
    expect(firstOk).toBeDefined()
    expect(retried.map((s) => s.status)).toEqual(retried.map(() => 200))
    expect(retried.map((s) => s.reply)).toEqual(retried.map(() => expect.stringMatching(/^已记录 #\d+ 进度：50% → 60%/)))
    // Nothing acknowledged was lost: every message answered 200 is stored, handled once, and its
    // notification went out once.
    const inbound = await db.dataSource.getRepository(InboundMessageSchema).find()
    for (const ack of acknowledged) expect(inbound.find((m) => m.msgId === ack.msgId)?.status).toBe('processed')
    const updates = await db.dataSource.getRepository(ProgressUpdateSchema).find({ where: { personId: items[0]!.responsiblePersonId! } })
    expect(updates).toHaveLength(acknowledged.length)
    expect(acknowledged.map((s) => updates.filter((u) => u.note.endsWith(s.msgId)).length)).toEqual(acknowledged.map(() => 1))
    expect(fake.delivered.filter((d) => !d.suppressed)).toHaveLength(rectified.length)
    expect(new Set(fake.delivered.map((d) => d.raw)).size).toBe(rectified.length)
  })
})
