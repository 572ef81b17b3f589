import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInboundWriter } from '../src/bot/inbound-writer.js'
import { recoverStuckInbound } from '../src/bot/recover-inbound.js'
import { InboundMessageSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { encryptReply, randomBytesPooled } from '../src/wecom/callback/callback-crypto.js'
import { decrypt } from '@wecom/crypto'
import { serviceBehindOutage, type DatabaseOutage } from './faults/outage-helpers.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { newMsgId, openPassiveReply, post, SECRETS, sign, textXml } from './helpers/wecom-callback-client.js'

/** Ten people of one unit; each sends 帮主, a mistyped 帮助, answered passively (没有「帮主」这个命令…发送「帮助」…). */
const PEOPLE = Array.from({ length: 10 }, (_, index) => ({ userid: `user${index}`, name: `人员${index}`, roles: ['staff' as const] }))

interface Sent {
  msgId: string
  from: string
  content: string
  status: number
  /** The passive answer, '' when none. */
  answer: string
}

/** Counts the multi-row and single-row inserts of inbound messages the service's DataSource runs (the statements themselves run unchanged). */
function countInserts(dataSource: DataSource): { rows: number[] } {
  const seen = { rows: [] as number[] }
  const query = dataSource.query.bind(dataSource)
  // Every argument passed on: an EntityManager's query gives its transaction's query runner here.
  dataSource.query = ((sql: string, parameters?: unknown[], ...rest: unknown[]) => {
    if (sql.startsWith('INSERT INTO inbound_message')) seen.rows.push((parameters?.length ?? 0) / 8)
    return (query as (...args: unknown[]) => Promise<unknown>)(sql, parameters, ...rest)
  }) as typeof dataSource.query
  return seen
}

describe(`group commit of the callback's first write on ${dialect} (docs/callback-speed.md)`, () => {
  let db: MigratedDatabase
  let service: DataSource
  let outage: DatabaseOutage
  /** The callback on the database itself, its inserts counted. */
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  /** The callback on a database the test can take away. */
  let cutRig: Awaited<ReturnType<typeof startCallbackRig>>
  let inserts: { rows: number[] }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    await seedRoster(db.dataSource, '城关镇', PEOPLE)
    const behind = await serviceBehindOutage(db.target)
    outage = behind.outage
    service = behind.service
    inserts = countInserts(db.dataSource)
    rig = await startCallbackRig(db.dataSource)
    cutRig = await startCallbackRig(service)
  })
  afterAll(async () => {
    await rig?.close()
    await cutRig?.close()
    await outage?.close()
    if (service?.isInitialized) await service.destroy()
    await db?.close()
  })

  /** Posts the messages all at once, as WeCom would (a retry keeps its MsgId). */
  async function sendAtOnce(messages: readonly { msgId: string; from: string; content: string }[], url = rig.url): Promise<Sent[]> {
    return Promise.all(
      messages.map(async (message) => {
        const response = await post(url, sign(textXml(message.from, message.content, { msgId: message.msgId })))
        const body = await response.text()
        return { ...message, status: response.status, answer: response.status === 200 && body !== '' ? openPassiveReply(body).content : '' }
      }),
    )
  }

  const fresh = (count: number, content = '帮主') => Array.from({ length: count }, (_, index) => ({ msgId: newMsgId(), from: `user${index % 10}`, content }))
  const rowsOf = async (sent: readonly { msgId: string }[]) => {
    const rows = await db.dataSource.getRepository(InboundMessageSchema).find()
    return sent.map((message) => rows.filter((row) => row.msgId === message.msgId))
  }

  it('thirty messages at once: fewer inserts than messages, each stored once, handled once and answered', async () => {
    const before = inserts.rows.length
    const sent = await sendAtOnce(fresh(30))
    expect(sent.map((s) => s.status)).toEqual(sent.map(() => 200))
    expect(sent.map((s) => s.answer)).toEqual(sent.map(() => expect.stringContaining('帮助')))
    const rows = await rowsOf(sent)
    expect(rows.map((r) => r.length)).toEqual(sent.map(() => 1))
    expect(rows.map((r) => [r[0]!.status, r[0]!.replyVia])).toEqual(sent.map(() => ['processed', 'passive']))
    const statements = inserts.rows.slice(before)
    expect(statements.reduce((sum, rows) => sum + rows, 0)).toBe(30)
    expect(statements.length).toBeLessThan(30)
    expect(Math.max(...statements)).toBeGreaterThan(1)

    // WeCom's retries of the same messages, at once: the same answers, nothing handled twice.
    const retried = await sendAtOnce(sent)
    expect(retried.map((s) => [s.status, s.answer])).toEqual(sent.map((s) => [200, s.answer]))
    expect((await rowsOf(sent)).map((r) => r.length)).toEqual(sent.map(() => 1))
  })

  it('a message the database refuses fails alone (503, not stored); the others of its batch are stored and answered', async () => {
    const refuse =
      dialect === 'mysql'
        ? "CREATE TRIGGER refuse_marked BEFORE INSERT ON inbound_message FOR EACH ROW BEGIN IF NEW.content LIKE '%refuse-me%' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF; END"
        : "CREATE TRIGGER refuse_marked BEFORE INSERT ON inbound_message WHEN NEW.content LIKE '%refuse-me%' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    await db.dataSource.query(refuse)
    try {
      const refused = new Set([5, 17, 25])
      const messages = fresh(30).map((message, index) => (refused.has(index) ? { ...message, content: '帮主 refuse-me' } : message))
      const before = inserts.rows.length
      const sent = await sendAtOnce(messages)
      expect(sent.map((s) => s.status)).toEqual(sent.map((_, index) => (refused.has(index) ? 503 : 200)))
      const rows = await rowsOf(sent)
      expect(rows.map((r) => r.length)).toEqual(sent.map((_, index) => (refused.has(index) ? 0 : 1)))
      expect(sent.filter((_, index) => !refused.has(index)).map((s) => s.answer)).toEqual(sent.slice(3).map(() => expect.stringContaining('帮助')))
      // A batch was refused whole and its messages written again one by one.
      expect(inserts.rows.slice(before).reduce((sum, rows) => sum + rows, 0)).toBeGreaterThan(30)
    } finally {
      await db.dataSource.query('DROP TRIGGER refuse_marked')
    }
  })

  it('the database gone while messages arrive at once: each answered 503 or stored; none lost once WeCom retries; none handled twice', async () => {
    const messages = fresh(30)
    const sending = sendAtOnce(messages, cutRig.url)
    // Gone while the first batches are on their way.
    await new Promise((resolve) => setTimeout(resolve, 5))
    await outage.cut()
    const first = await sending
    expect(first.map((s) => s.status).filter((status) => status !== 200 && status !== 503)).toEqual([])
    await outage.restore()
    // Every message answered 200 was stored (and handled, as a passive answer or not at all yet).
    const afterCut = await rowsOf(first)
    first.forEach((s, index) => {
      if (s.status === 200) expect(afterCut[index]).toHaveLength(1)
    })

    // WeCom retries what got 503, with the same MsgId, until answered 200.
    let pending = first.filter((s) => s.status !== 200)
    for (let round = 0; round < 5 && pending.length > 0; round += 1) pending = (await sendAtOnce(pending, cutRig.url)).filter((s) => s.status !== 200)
    expect(pending).toEqual([])

    // Stored once each. One stored just as the database went (the answer lost) and not yet
    // handled is given up by the recovery job, which tells its sender: nobody is left unanswered.
    await recoverStuckInbound(db.dataSource, new Date(Date.now() + 10 * 60_000))
    const rows = await rowsOf(messages)
    expect(rows.map((r) => r.length)).toEqual(messages.map(() => 1))
    const outbox = await db.dataSource.getRepository(OutboxMessageSchema).find()
    for (const [row] of rows) {
      expect(['processed', 'failed']).toContain(row!.status)
      const answered = row!.replyVia === 'passive' || outbox.some((message) => message.dedupeKey === `reply:${row!.id}`)
      expect(answered, `message ${row!.msgId} (${row!.status}) has an answer`).toBe(true)
    }
  })
})

describe(`the inbound writer on ${dialect}`, () => {
  let db: MigratedDatabase
  beforeAll(async () => {
    db = await createMigratedDatabase()
  })
  afterAll(async () => {
    await db?.close()
  })

  const row = (key: string) => ({ dedupeKey: key, msgId: null, fromUser: 'user0', msgType: 'text', event: null, content: '帮助', receivedAt: new Date() })

  it.each([true, false])('gives each message its own id, null for a key stored before or twice in one batch (RETURNING: %s)', async (returning) => {
    const writer = createInboundWriter(db.dataSource, { returning })
    const prefix = `w-${returning}`
    const ids = await Promise.all(Array.from({ length: 30 }, (_, index) => writer.insert(row(`${prefix}-${index}`)).stored))
    expect(new Set(ids).size).toBe(30)
    const stored = await db.dataSource.getRepository(InboundMessageSchema).find()
    for (const [index, id] of ids.entries()) expect(stored.find((r) => r.id === id)?.dedupeKey).toBe(`${prefix}-${index}`)
    const again = await Promise.all([`${prefix}-3`, `${prefix}-new`, `${prefix}-new`, `${prefix}-7`].map((key) => writer.insert(row(key)).stored))
    expect(again[0]).toBeNull()
    expect(again[3]).toBeNull()
    expect([again[1], again[2]].filter((id) => id === null)).toHaveLength(1)
  })

  it('takes back a message still waiting for its batch: never written', async () => {
    const writer = createInboundWriter(db.dataSource, { concurrency: 1 })
    const first = writer.insert(row('wd-1'))
    const second = writer.insert(row('wd-2'))
    const refused = expect(second.stored).rejects.toThrow('withdrawn')
    expect(second.withdraw()).toBe(true)
    await refused
    // The next turn of the event loop: the first is on its way, too late to take back.
    await new Promise((resolve) => setImmediate(resolve))
    expect(first.withdraw()).toBe(false)
    expect(await first.stored).toEqual(expect.any(Number))
    expect(await db.dataSource.getRepository(InboundMessageSchema).countBy({ dedupeKey: 'wd-2' })).toBe(0)
  })
})

describe('the passive reply is encrypted as @wecom/crypto lays it out', () => {
  it('with fresh random bytes each time, across refills of the pool', () => {
    const drawn = Array.from({ length: 1000 }, () => randomBytesPooled(16).toString('hex'))
    expect(new Set(drawn).size).toBe(1000)
    expect(randomBytesPooled(5000)).toHaveLength(5000)
    expect(encryptReply(SECRETS.aesKey, '已收到', SECRETS.corpId)).not.toBe(encryptReply(SECRETS.aesKey, '已收到', SECRETS.corpId))
  })

  it.each(['已收到', '', 'x'.repeat(31), '进度 😀 '.repeat(200)])('so that it decrypts to the text and our CorpID: %#', (content) => {
    const { message, id } = decrypt(SECRETS.aesKey, encryptReply(SECRETS.aesKey, content, SECRETS.corpId))
    expect([message, id]).toEqual([content, SECRETS.corpId])
  })
})
