import { Like } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_BACKOFF } from '../../src/delivery/backoff.js'
import { InboundMessageSchema, LedgerItemSchema, OutboxMessageSchema, PersonSchema, ProgressUpdateSchema, type LedgerItem } from '../../src/db/entities/index.js'
import { createLogger } from '../../src/logger.js'
import { startFakeWeCom, type Fault, type FakeWeCom } from '../fakes/fake-wecom-server.js'
import { seedLedger } from '../helpers/ledger-fixture.js'
import { SECRETS } from '../helpers/wecom-callback-client.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from '../helpers/test-database.js'
import { maxInWindow, reportFigures, simulatedClock, sendText, sleep, startOutageBot, waitUntil, type CallbackOutcome, type OutageBot } from './outage-helpers.js'

/** Simulated time runs ten times faster: the two-minute outage takes twelve real seconds. */
const SPEED = 10
/** The outage's three faces, 40 simulated seconds each: system busy, a proxy's 502, then no answer at all. */
const PHASES: { name: string; fault: Fault }[] = [
  { name: 'errcode -1', fault: { kind: 'errcode', errcode: -1, errmsg: 'system busy' } },
  { name: 'HTTP 502', fault: { kind: 'http', status: 502 } },
  { name: 'hang', fault: { kind: 'hang' } },
]
const PHASE_MS = 40_000
const OUTAGE_MS = PHASES.length * PHASE_MS
/** The client gives up on a request after 1 s real = 10 s simulated (production's default is 10 s). */
const TIMEOUT_MS = 1000
/** Rectifications reported during the outage: each tells the one org_admin, more than his 30 a minute. */
const RECTIFIED = 40

describe(`WeCom outage on ${dialect}: callbacks keep answering, messages queue and go out once, spread, after recovery`, () => {
  let db: MigratedDatabase
  let fake: FakeWeCom
  let bot: OutageBot | undefined
  // 2015-08-31 10:00 Beijing time: a working morning, outside quiet hours.
  const clock = simulatedClock('2015-08-31T02:00:00Z', SPEED)
  const items: LedgerItem[] = []

  beforeAll(async () => {
    db = await createMigratedDatabase()
    const { chengguan } = await seedLedger(db.dataSource)
    const people = db.dataSource.getRepository(PersonSchema)
    const staff = [await people.findOneByOrFail({ userid: 'zhaolei' }), await people.findOneByOrFail({ userid: 'chenjing' })]
    const lina = await people.findOneByOrFail({ userid: 'lina' })
    const template = await db.dataSource.getRepository(LedgerItemSchema).findOneByOrFail({ unitId: chengguan })
    for (let i = 0; i < RECTIFIED; i += 1) {
      items.push(
        await db.dataSource.getRepository(LedgerItemSchema).save({
          campaignId: template.campaignId,
          unitId: chengguan,
          categoryId: template.categoryId,
          problem: `窗口服务问题第 ${i + 1} 项`,
          measures: '明确专人，限期整改',
          target: '群众满意',
          responsibleDepartment: null,
          responsibleLeaderId: lina.id,
          responsiblePersonId: staff[i % 2]!.id,
          status: 'in_progress',
          progress: 50,
          dueDate: '2015-09-30',
          originalDueDate: '2015-09-30',
        } as LedgerItem),
      )
    }
    fake = await startFakeWeCom({ corpId: SECRETS.corpId, now: clock.now })
  })
  afterAll(async () => {
    await bot?.close()
    await fake?.close()
    await db?.close()
  })

  it('answers every callback within 1 s through a 2-minute outage (-1, 502, hang), then delivers each message once, with backoff and jitter, within the per-member limits', async () => {
    // The worker's warnings say why each attempt failed.
    const failures: string[] = []
    // A failed send logs its error (the serializer's message), or a text.
    const errorText = (err: unknown) => (typeof err === 'object' && err !== null ? String((err as { message?: unknown }).message ?? '') : String(err ?? ''))
    const logger = createLogger('warn', { write: (line: string) => void failures.push(errorText(JSON.parse(line).err)) })
    // The outage covers every API, gettoken included.
    const breakDown = (fault: Fault) => {
      fake.clearFaults()
      fake.inject(fault, Number.MAX_SAFE_INTEGER)
      fake.inject(fault, Number.MAX_SAFE_INTEGER, 'gettoken')
    }
    bot = await startOutageBot({ dataSource: db.dataSource, logger, clock, wecomUrl: fake.url, timeoutMs: TIMEOUT_MS, worker: { pollIntervalMs: 100 } })
    // The service is in normal use when WeCom goes down: it has answered and sent (its token is cached).
    expect((await sendText(bot.url, clock, 'lina', `进度 ${items[0]!.id} 55% 开始整改`)).reply).toMatch(/^已记录/)
    expect((await sendText(bot.url, clock, 'sunli', '我的')).reply).toBeNull()
    await waitUntil('the answer before the outage is delivered', () => fake.delivered.length === 1, 10_000)
    const before = fake.delivered[0]!
    breakDown(PHASES[0]!.fault)
    const outageStart = clock.now()
    const outageEnd = outageStart + OUTAGE_MS
    const phaseTimers = PHASES.slice(1).map(({ fault }, index) => setTimeout(() => breakDown(fault), clock.real((index + 1) * PHASE_MS)))
    phaseTimers.push(setTimeout(() => fake.clearFaults(), clock.real(OUTAGE_MS)))
    try {
      // Officials keep working through the outage: rectifications (each tells 王健 through the
      // outbox) and progress updates (answered in the response), spread over the two minutes.
      const answers: (CallbackOutcome & { at: number })[] = []
      const messages = items.map((item, i) => ({ from: i % 2 === 0 ? 'zhaolei' : 'chenjing', content: `完成 ${item.id} 已整改到位，第 ${i + 1} 项` }))
      for (let i = 0; i < 8; i += 1) messages.splice(i * 5, 0, { from: 'lina', content: `进度 ${items[RECTIFIED - 1 - i]!.id} ${60 + i}% 正在推进` })
      // A list is answered in markdown, which a passive reply cannot carry: the answer waits in the outbox (urgent, no duplicate check).
      for (const i of [3, 30]) messages.splice(i, 0, { from: 'sunli', content: '我的' })
      const gap = (OUTAGE_MS - 10_000) / messages.length
      for (const [i, { from, content }] of messages.entries()) {
        await sleep(Math.max(0, clock.real(outageStart + i * gap - clock.now())))
        answers.push({ ...(await sendText(bot.url, clock, from, content)), at: clock.now() })
      }
      expect(clock.now()).toBeLessThan(outageEnd)

      // Every callback was answered, in the response, well within WeCom's 1 s.
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
      expect(answers.map((a) => a.reply)).toEqual(messages.map((m) => (m.from === 'sunli' ? null : expect.stringMatching(/^已(标记|记录) #\d+/))))
      const maxLatency = Math.max(...answers.map((a) => a.ms))
      expect(maxLatency).toBeLessThan(1000)
      // Each phase of the outage really happened, the hang included, and nothing got through.
      const outcomes = new Set(fake.requests.map((r) => r.outcome))
      expect([...outcomes]).toEqual(expect.arrayContaining([-1, 502, 'hung']))
      expect(failures).toEqual(expect.arrayContaining([expect.stringContaining('errcode -1'), expect.stringContaining('HTTP 502'), expect.stringContaining(`timeout: ${TIMEOUT_MS} ms`)]))
      expect(fake.delivered.filter((d) => d.at < outageEnd)).toEqual([before])

      // After recovery everything is delivered.
      const outbox = db.dataSource.getRepository(OutboxMessageSchema)
      await waitUntil('every outbox row is sent', async () => (await outbox.countBy({ status: 'sent' })) === RECTIFIED + 3, 75_000)
      const rows = await outbox.find({ order: { id: 'ASC' } })
      const deliveredAt = fake.delivered.filter((d) => d !== before).map((d) => d.at)
      const toAdmin = fake.delivered.filter((d) => d.touser.includes('wangjian')).map((d) => d.at)
      const firstAfter = Math.min(...deliveredAt)
      const lastAfter = Math.max(...deliveredAt)
      const attempts = rows.map((r) => r.attempts)
      const histogram = (values: number[]) => [...new Set(values)].sort((x, y) => x - y).map((v) => `${v}:${values.filter((x) => x === v).length}`).join(',')
      reportFigures(`wecom-outage/${dialect}`, {
        callbacks: answers.length,
        messages: rows.length,
        failedRequests: fake.requests.filter((r) => r.outcome !== 0).length,
        hungRequests: fake.requests.filter((r) => r.outcome === 'hung').length,
        maxCallbackMs: Math.round(maxLatency),
        slowestCallbackAtS: ((answers.find((a) => a.ms === maxLatency)!.at - outageStart) / 1000).toFixed(1),
        p50CallbackMs: Math.round([...answers.map((a) => a.ms)].sort((x, y) => x - y)[Math.floor(answers.length / 2)]!),
        firstDeliveryAfterRecoveryS: ((firstAfter - outageEnd) / 1000).toFixed(1),
        timeToRecoverS: ((lastAfter - outageEnd) / 1000).toFixed(1),
        deliverySpreadS: ((lastAfter - firstAfter) / 1000).toFixed(1),
        deliveriesPer10s: histogram(deliveredAt.map((t) => Math.floor((t - outageEnd) / 10_000) * 10)),
        maxIn1s: maxInWindow(deliveredAt, 1_000),
        maxPerMinuteToOneMember: maxInWindow(toAdmin, 60_000),
        attempts: histogram(attempts),
      })

      expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'sent'))
      expect(rows.map((r) => `${r.channel}:${(JSON.parse(r.recipients) as { touser: string[] }).touser.join('|')}`).sort()).toEqual([
        ...Array.from({ length: RECTIFIED }, () => 'app:wangjian'),
        ...Array.from({ length: 3 }, () => 'reply:sunli'),
      ])
      // Once each: one delivery per row, none suppressed by WeCom's duplicate check, none dropped over a limit.
      expect(fake.delivered.filter((d) => d.suppressed)).toEqual([])
      expect(fake.delivered.map((d) => d.msgid).sort()).toEqual(rows.map((r) => r.wecomMsgid).sort())
      expect(new Set(fake.delivered.filter((d) => d.touser.includes('wangjian')).map((d) => d.raw)).size).toBe(RECTIFIED)
      expect(fake.delivered.flatMap((d) => d.overLimit)).toEqual([])
      expect(toAdmin).toHaveLength(RECTIFIED)
      expect(maxInWindow(toAdmin, 60_000)).toBeLessThanOrEqual(30)
      // Retries were spread by backoff with jitter: most rows failed at least once, none died,
      // and they came back over time rather than all at once when WeCom recovered. (Rows whose
      // retry fell due during the outage's last seconds all go at recovery: 22 of 40 within one
      // simulated second in one run, within WeCom's per-member limit asserted above.)
      expect(attempts.filter((n) => n >= 2).length).toBeGreaterThan(RECTIFIED / 2)
      expect(Math.max(...attempts)).toBeLessThan(DEFAULT_BACKOFF.maxAttempts)
      expect(lastAfter - firstAfter).toBeGreaterThanOrEqual(60_000)
      // The commands' effects were all stored: nothing acknowledged was lost.
      const inbound = await db.dataSource.getRepository(InboundMessageSchema).find()
      expect(inbound).toHaveLength(messages.length + 2)
      expect(inbound.map((m) => `${m.status}/${m.replyVia}`).sort()).toEqual(messages.map((m) => (m.from === 'sunli' ? 'processed/outbox' : 'processed/passive')).concat('processed/passive', 'processed/outbox').sort())
      expect(await db.dataSource.getRepository(ProgressUpdateSchema).countBy({ note: Like('%项') })).toBe(RECTIFIED)
      expect(await db.dataSource.getRepository(ProgressUpdateSchema).countBy({ note: '正在推进' })).toBe(8)
    } finally {
      for (const timer of phaseTimers) clearTimeout(timer)
    }
  })
})
