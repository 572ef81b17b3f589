import { createConnection } from 'mysql2/promise'
import { describe, expect, it } from 'vitest'
import { ProgressUpdateSchema } from '../../src/db/entities/index.js'
import { InboundMessageSchema, OutboxMessageSchema } from '../../src/db/entities/index.js'
import { seedLedger } from '../helpers/ledger-fixture.js'
import { spawnService } from '../helpers/service-process.js'
import { dialect } from '../helpers/test-database.js'
import { newMsgId, post, sign, textXml } from '../helpers/wecom-callback-client.js'
import { deliveriesByContent, enqueueNumbered, exitWithin, faultEnv, reportFigures, sleep, useFaultRig, waitUntil } from './support/fault-kit.js'

const MESSAGES = 400
/** Shutdown must finish well inside main.ts's own 25 s deadline. */
const SHUTDOWN_BOUND_MS = 10_000
const SENDERS = ['zhaolei', 'lina', 'chenjing', 'zhangwei', 'wangjian']
const COMMANDS = ['我的', '帮助', '阶段', '详情 1']

describe(`graceful shutdown (${dialect})`, () => {
  let item: number
  const rig = useFaultRig(async ({ db, fake }) => {
    item = (await seedLedger(db.dataSource)).items.overdue
    await enqueueNumbered(db.dataSource, 'shutdown', MESSAGES)
    // 30 ms per send: at SIGTERM sends are in flight and claimed rows are waiting.
    fake.inject({ kind: 'latency', ms: 30 }, 1e9, 'message/send')
  })

  it('SIGTERM while delivering and answering: refuses new callbacks, finishes what is in flight, releases the rest; the next instance sends nothing twice', async () => {
    const { db, fake } = rig
    const env = faultEnv(db.url, fake)
    const service = spawnService(env)
    const [, port] = await service.waitFor(/health:\s+http:\/\/localhost:(\d+)\/healthz/, 60_000)
    const callback = `http://127.0.0.1:${port}/wecom/callback`
    const sends = () => fake.requests.filter((r) => r.api === 'message/send').length
    await waitUntil(() => sends() > 20, 'the service to deliver')

    // Chat commands keep arriving, several at a time, until the process is gone.
    const answered: string[] = []
    const refused: string[] = []
    let exited = false
    void service.exited.then(() => (exited = true))
    const chatter = Promise.all(
      SENDERS.map(async (from, lane) => {
        for (let i = 0; !exited; i += 1) {
          const msgId = newMsgId()
          try {
            const response = await post(callback, sign(textXml(from, COMMANDS[(lane + i) % COMMANDS.length]!, { msgId })))
            await response.arrayBuffer()
            ;(response.status === 200 ? answered : refused).push(msgId)
            // A person's pace, not a flood: each answer through the outbox counts against
            // WeCom's 30 messages a minute to that person, which the next instance honours.
            if (response.status === 200) await sleep(250)
          } catch {
            refused.push(msgId) // connection refused or closed: the server is gone
            await sleep(20)
          }
        }
      }),
    )
    await waitUntil(() => answered.length >= 10, 'commands to be answered')

    // MariaDB: a command still running at SIGTERM, after its request was answered. Another
    // session holds the item's row lock, so 进度 waits in its UPDATE past the 1.5 s passive-reply
    // budget; WeCom gets its 200 and the answer is to go through the outbox. (On SQLite a lock
    // wait blocks the whole process, so no single command can be held up alone.)
    const slowNote = '故障测试 停机时仍在处理'
    const slowMsgId = newMsgId()
    const { target } = db
    const lock = target.kind === 'mysql' ? await createConnection({ host: target.host, port: target.port, user: target.user, password: target.password, database: target.database }) : undefined
    if (lock) {
      await lock.query('START TRANSACTION')
      await lock.query('SELECT id FROM ledger_item WHERE id = ? FOR UPDATE', [item])
      const late = await post(callback, sign(textXml('zhaolei', `进度 ${item} 55% ${slowNote}`, { msgId: slowMsgId })))
      expect([late.status, await late.text()]).toEqual([200, ''])
    }
    // WeCom slows down: the sends in flight at SIGTERM take 1.5 s more, so shutdown has sends
    // to finish, and callbacks arrive (and are refused) while it waits for them.
    fake.clearFaults()
    fake.inject({ kind: 'latency', ms: 1500 }, 1e9, 'message/send')
    await sleep(100)
    const sentAtSignal = sends()
    const inFlightAtSignal = sentAtSignal - fake.delivered.length
    const signalled = Date.now()
    service.child.kill('SIGTERM')
    if (lock) {
      await sleep(1000)
      await lock.query('ROLLBACK')
      await lock.end()
    }
    expect(await exitWithin(service, SHUTDOWN_BOUND_MS)).toBe(0)
    const shutdownMs = Date.now() - signalled
    await chatter

    // Every command answered 200 was finished and its answer stored; none is left half-done.
    const inbound = await db.dataSource.getRepository(InboundMessageSchema).find()
    expect(inbound.filter((m) => m.status === 'received')).toEqual([])
    const handled = new Set(inbound.map((m) => m.msgId))
    expect(answered.filter((id) => !handled.has(id))).toEqual([])
    expect(inbound.every((m) => m.replyVia !== null)).toBe(true)
    if (lock) {
      expect(inbound.find((m) => m.msgId === slowMsgId)).toMatchObject({ status: 'processed', replyVia: 'outbox' })
      expect(await db.dataSource.getRepository(ProgressUpdateSchema).countBy({ ledgerItemId: item, note: slowNote })).toBe(1)
    }
    // Nothing is left claimed: rows not begun went back to pending at once.
    const outbox = db.dataSource.getRepository(OutboxMessageSchema)
    expect(await outbox.countBy({ status: 'sending' })).toBe(0)
    const pendingAfterStop = await outbox.countBy({ status: 'pending' })
    expect(pendingAfterStop).toBeGreaterThan(0) // it really was stopped mid-delivery
    const deliveredBeforeRestart = fake.delivered.length
    // The sends in flight at SIGTERM were finished, none cut off, and whatever reached WeCom is
    // recorded as sent; callbacks that came meanwhile were refused (WeCom retries them).
    expect(inFlightAtSignal).toBeGreaterThan(0)
    expect(deliveredBeforeRestart).toBe(sends())
    expect(await outbox.countBy({ status: 'sent' })).toBe(deliveredBeforeRestart)
    expect(refused.length).toBeGreaterThan(0)
    fake.clearFaults()
    fake.inject({ kind: 'latency', ms: 30 }, 1e9, 'message/send')

    // The answers to the five senders wait for WeCom's per-member limit (30 a minute): a minute
    // more for every 30 rows to one person.
    const pendingRows = await outbox.findBy({ status: 'pending' })
    const perMember = new Map<string, number>()
    for (const row of pendingRows) perMember.set(row.recipients, (perMember.get(row.recipients) ?? 0) + 1)
    const mostToOneMember = Math.max(0, ...perMember.values())
    const restarted = Date.now()
    const next = spawnService(env)
    await next.waitFor(/health:\s+http:\/\/localhost:(\d+)\/healthz/, 60_000)
    // (Its start-up may add the day's reminder digests, depending on the hour: they count as rows too.)
    const unsent = async () => (await outbox.countBy({ status: 'pending' })) + (await outbox.countBy({ status: 'sending' }))
    await waitUntil(async () => (await unsent()) === 0, 'the next instance to deliver the rest', 90_000 + 60_000 * Math.floor(mostToOneMember / 30), 100)
    const recoverMs = Date.now() - restarted
    next.child.kill('SIGTERM')
    expect(await next.exited).toBe(0)

    // The next instance sent nothing twice: one WeCom call per stored row, none a repeat.
    const rows = await outbox.count()
    expect(await outbox.countBy({ status: 'sent' })).toBe(rows)
    expect(fake.delivered.filter((d) => d.suppressed)).toEqual([])
    expect(fake.delivered).toHaveLength(rows)
    const numbered = [...deliveriesByContent(fake.delivered).entries()].filter(([content]) => content.startsWith('故障测试 shutdown'))
    expect(numbered).toHaveLength(MESSAGES)
    expect(numbered.every(([, copies]) => copies.length === 1)).toBe(true)
    reportFigures('graceful shutdown', dialect, {
      messages: MESSAGES,
      sentBeforeSignal: sentAtSignal,
      inFlightAtSignal,
      releasedPending: pendingAfterStop,
      mostPendingToOneMember: mostToOneMember,
      commandsAnswered: answered.length,
      commandsRefused: refused.length,
      shutdownMs,
      repeats: fake.delivered.length - rows,
      recoverMs,
    })
  })
})
