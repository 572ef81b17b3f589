import { performance } from 'node:perf_hooks'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDataSource } from '../../src/db/create-data-source.js'
import { InboundMessageSchema, OutboxMessageSchema, ProgressUpdateSchema, type LedgerItem } from '../../src/db/entities/index.js'
import { startFakeWeCom, type FakeWeCom } from '../fakes/fake-wecom-server.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from '../helpers/test-database.js'
import { newMsgId, SECRETS } from '../helpers/wecom-callback-client.js'
import { reportFigures, seedItemsInProgress, sendText, simulatedClock, sleep, startOutageBot, startTcpProxy, waitUntil, type CallbackOutcome, type OutageBot } from './outage-helpers.js'

/** How long nothing passes between the service and MariaDB (real time). */
const PARTITION_MS = 20_000
/** The callback's store deadline (2.5 s) and a margin: well inside WeCom's 5 s. */
const ANSWER_BOUND_MS = 3500
const ITEMS = 40

interface Sent extends CallbackOutcome {
  content: string
  msgId: string
  itemId: number
}

/**
 * A network partition between the service and MariaDB: unlike a server that goes down, nothing
 * is refused or closed, packets just stop, so without a deadline every statement would wait for
 * TCP to give up (minutes) and each callback with it. (SQLite has no network: MariaDB only.)
 */
describe.runIf(dialect === 'mysql')('database partition on mysql: callbacks answer 503 within WeCom’s 5 s, the service recovers by itself, each message handled and answered once', () => {
  let db: MigratedDatabase
  let fake: FakeWeCom
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>
  let service: DataSource
  let bot: OutageBot | undefined
  const items: LedgerItem[] = []

  beforeAll(async () => {
    db = await createMigratedDatabase()
    items.push(...(await seedItemsInProgress(db.dataSource, ITEMS, '窗口服务问题')))
    fake = await startFakeWeCom({ corpId: SECRETS.corpId })
    proxy = await startTcpProxy(db.target as { host: string; port: number })
    service = await createDataSource({ ...(db.target as Extract<typeof db.target, { kind: 'mysql' }>), host: '127.0.0.1', port: proxy.port })
    await service.initialize()
  })
  afterAll(async () => {
    proxy?.thaw()
    await bot?.close()
    await proxy?.close()
    if (service?.isInitialized) await service.destroy()
    await fake?.close()
    await db?.close()
  })

  it('answers 503 within 3.5 s while nothing reaches MariaDB for 20 s (WeCom’s retries too), 200 again once it heals, and every message is stored, handled and answered once', async () => {
    const clock = simulatedClock('2015-08-31T02:00:00Z', 1)
    bot = await startOutageBot({ dataSource: service, clock, wecomUrl: fake.url, timeoutMs: 10_000, worker: { pollIntervalMs: 200 } })
    const sent: Sent[] = []
    let next = 0
    const report = async (retry?: Sent): Promise<Sent> => {
      const item = retry ? items.find((i) => i.id === retry.itemId)! : items[next++]!
      const msgId = retry?.msgId ?? newMsgId()
      const content = retry?.content ?? `进度 ${item.id} 60% 分区 ${msgId}`
      const outcome = await sendText(bot!.url, clock, 'zhaolei', content, msgId)
      const record = { ...outcome, content, msgId, itemId: item.id }
      sent.push(record)
      return record
    }
    expect((await report()).status).toBe(200)

    // The partition: a message every 500 ms, each answered 503 by the store deadline and retried
    // by WeCom at once, in vain too: two copies of each wait for the database.
    proxy.freeze()
    const started = performance.now()
    const during: Sent[] = []
    while (performance.now() - started < PARTITION_MS) {
      const first = await report()
      during.push(first, await report(first))
      await sleep(500)
    }
    proxy.thaw()
    const healedAt = performance.now()

    // Healed: a new message is answered at once; WeCom retries what got 503, with the same MsgId.
    const after = await report()
    const firstOkMs = performance.now() - healedAt
    const retried: Sent[] = []
    for (const failed of new Map(during.filter((s) => s.status !== 200).map((s) => [s.msgId, s])).values()) retried.push(await report(failed))

    // Every message is handled once, each answered once: in a retry's response, or through the outbox.
    const messages = [...new Set(sent.map((s) => s.msgId))]
    const inbound = db.dataSource.getRepository(InboundMessageSchema)
    await waitUntil('every message is handled', async () => (await inbound.countBy({ status: 'processed' })) === messages.length, 30_000)
    const rows = await inbound.find()
    const outboxReplies = await db.dataSource.getRepository(OutboxMessageSchema).find()
    const answers = (msgId: string) => {
      const row = rows.find((r) => r.msgId === msgId)!
      const passive = sent.filter((s) => s.msgId === msgId && s.reply !== null).length
      return passive + outboxReplies.filter((o) => o.dedupeKey === `reply:${row.id}`).length
    }
    const latencies = during.map((s) => s.ms)
    reportFigures('database-partition/mysql', {
      partition: `${PARTITION_MS / 1000}s`,
      callbacksDuringPartition: during.length,
      statusesDuringPartition: [...new Set(during.map((s) => s.status))].join(','),
      maxCallbackMsDuringPartition: Math.round(Math.max(...latencies)),
      timeToFirst200AfterHealMs: Math.round(firstOkMs),
      retriedByWeCom: retried.length,
      answeredInRetry: retried.filter((s) => s.reply !== null).length,
      messages: messages.length,
      progressUpdates: await db.dataSource.getRepository(ProgressUpdateSchema).countBy({ personId: items[0]!.responsiblePersonId! }),
    })

    expect(during.length).toBeGreaterThanOrEqual(6)
    expect(during.map((s) => s.status)).toEqual(during.map(() => 503))
    expect(Math.max(...latencies)).toBeLessThan(ANSWER_BOUND_MS)
    expect(after.status).toBe(200)
    expect(retried.map((s) => s.status)).toEqual(retried.map(() => 200))
    expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'processed'))
    expect(rows).toHaveLength(messages.length)
    const updates = await db.dataSource.getRepository(ProgressUpdateSchema).find({ where: { personId: items[0]!.responsiblePersonId! } })
    expect(messages.map((id) => updates.filter((u) => u.note.endsWith(id)).length)).toEqual(messages.map(() => 1))
    expect(messages.map(answers)).toEqual(messages.map(() => 1))
  })
})
