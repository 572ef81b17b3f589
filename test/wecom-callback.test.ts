import { createCipheriv } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { commands } from '../commands/index.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { defineCommand } from '../src/bot/define-command.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { InboundMessageSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { createApp } from '../src/http/create-app.js'
import { createLogger } from '../src/logger.js'
import { markdown } from '../src/wecom/messages.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { eventXml, imageXml, newMsgId, openPassiveReply, post, SECRETS, sign, textXml } from './helpers/wecom-callback-client.js'

const PATH = '/wecom/callback'

/** Encrypts raw bytes as WeCom frames them (random, length, message, receiveid, PKCS#7 to 32). */
function encryptBytes(message: Buffer, lengthField = message.length, padByte?: number): string {
  const head = Buffer.alloc(20, 7)
  head.writeUInt32BE(lengthField, 16)
  const body = Buffer.concat([head, message, Buffer.from(SECRETS.corpId)])
  const padLength = 32 - (body.length % 32)
  const plain = Buffer.concat([body, Buffer.alloc(padLength, padByte ?? padLength)])
  const key = Buffer.from(`${SECRETS.aesKey}=`, 'base64')
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

describe(`the WeCom callback on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  const servers: Server[] = []
  const logLines: Record<string, unknown>[] = []
  let url: string

  function start(options: { dataSource?: DataSource; registry?: ReturnType<typeof createCommandRegistry>; budget?: number; storeDeadline?: number; now?: () => Date; secrets?: typeof SECRETS } = {}) {
    const dataSource = options.dataSource ?? ds
    const sink = new Writable({
      write(chunk, _e, done) {
        logLines.push(JSON.parse(String(chunk)))
        done()
      },
    })
    const app = createApp({
      dataSource,
      logger: createLogger('info', sink),
      deliveryMode: 'wecom',
      now: options.now,
      callback: {
        path: PATH,
        secrets: options.secrets ?? SECRETS,
        dispatcher: createDispatcher({ dataSource, registry: options.registry ?? createCommandRegistry(commands), now: options.now }),
        replyBudgetMs: options.budget,
        storeDeadlineMs: options.storeDeadline,
      },
    })
    const server = app.listen(0, '127.0.0.1')
    servers.push(server)
    return new Promise<string>((resolve) => server.once('listening', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`)))
  }

  const inboundCount = () => ds.getRepository(InboundMessageSchema).count()
  const replies = () => ds.getRepository(OutboxMessageSchema).find({ where: { channel: 'reply' }, order: { id: 'ASC' } })

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedRoster(ds, '县委组织部', [{ userid: 'wangjian', name: '王健', roles: ['org_admin'] }])
    await seedRoster(ds, '城关镇', [{ userid: 'zhangwei', name: '张伟', roles: ['unit_head'] }])
    url = await start()
  })
  afterAll(async () => {
    for (const server of servers) server.close()
    await db?.close()
  })
  beforeEach(() => {
    logLines.length = 0
  })

  describe('URL verification', () => {
    it('answers the official worked example (docs/wecom.md) with the decrypted echostr', async () => {
      const official = await start({ secrets: { token: 'QDG6eK', aesKey: SECRETS.aesKey, corpId: 'wx5823bf96d3bd56c7' }, now: () => new Date(1409659589_000) })
      const response = await fetch(
        `${official}?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D`,
      )
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('1616140317555161061')
    })

    it('refuses a wrong signature and missing parameters', async () => {
      expect((await fetch(`${url}?msg_signature=00&timestamp=${Math.floor(Date.now() / 1000)}&nonce=1&echostr=abc`)).status).toBe(401)
      expect((await fetch(url)).status).toBe(400)
    })
  })

  describe('messages', () => {
    it('answers an unknown command at once in the response (passive reply), with a suggestion', async () => {
      const response = await post(url, sign(textXml('zhangwei', '帮主')))
      expect(response.status).toBe(200)
      const reply = openPassiveReply(await response.text())
      expect(reply).toEqual({ toUser: 'zhangwei', msgType: 'text', content: '没有「帮主」这个命令。您是不是想用「帮助」（帮助 [命令]）？发送「帮助」查看可用命令。' })
      const row = await ds.getRepository(InboundMessageSchema).findOneByOrFail({ content: '帮主' })
      expect(row).toMatchObject({ status: 'processed', replyVia: 'passive', fromUser: 'zhangwei' })
    })

    it('sends a markdown answer through the outbox, once, with an empty response', async () => {
      const before = (await replies()).length
      const response = await post(url, sign(textXml('zhangwei', '＃帮助')))
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('')
      const after = await replies()
      expect(after).toHaveLength(before + 1)
      expect(JSON.parse(after.at(-1)!.payload)).toMatchObject({ msgtype: 'markdown' })
      expect(after.at(-1)!.payload).toContain('「帮助 命令」看用法和示例')
      expect(after.at(-1)!.urgent).toBe(true)
    })

    it('processes a retried message once and repeats the same passive answer', async () => {
      const request = sign(textXml('zhangwei', '进展 12', { msgId: newMsgId() }))
      const first = openPassiveReply(await (await post(url, request)).text())
      const before = await inboundCount()
      const retry = await post(url, request)
      expect(openPassiveReply(await retry.text()).content).toBe(first.content)
      expect(await inboundCount()).toBe(before)
      expect(logLines.some((l) => l.outcome === 'duplicate')).toBe(true)
    })

    it('processes a message once when two replicas receive copies at the same moment', async () => {
      const second = await (await import('../src/db/create-data-source.js')).createDataSource(db.target)
      await second.initialize()
      try {
        const other = await start({ dataSource: second })
        const msgId = newMsgId()
        const [a, b] = await Promise.all([post(url, sign(textXml('zhangwei', '帮助', { msgId }))), post(other, sign(textXml('zhangwei', '帮助', { msgId })))])
        expect([a.status, b.status]).toEqual([200, 200])
        expect(await ds.getRepository(InboundMessageSchema).countBy({ msgId })).toBe(1)
        const row = await ds.getRepository(InboundMessageSchema).findOneByOrFail({ msgId })
        expect((await replies()).filter((r) => r.dedupeKey === `reply:${row.id}`)).toHaveLength(1)
      } finally {
        await second.destroy()
      }
    })

    it('answers a slow command through the outbox after answering WeCom within the budget', async () => {
      const slow = defineCommand({
        name: '慢',
        aliases: [],
        summary: '测试用',
        usage: '慢',
        example: '慢',
        roles: 'everyone',
        parse: () => ({}),
        async run(context) {
          await new Promise((resolve) => setTimeout(resolve, 400))
          context.reply('慢慢来')
        },
      })
      const quick = await start({ registry: createCommandRegistry([slow]), budget: 100 })
      const started = Date.now()
      const response = await post(quick, sign(textXml('zhangwei', '慢')))
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('')
      expect(Date.now() - started).toBeLessThan(380)
      await new Promise((resolve) => setTimeout(resolve, 600))
      const row = await ds.getRepository(InboundMessageSchema).findOneByOrFail({ content: '慢' })
      expect(row).toMatchObject({ status: 'processed', replyVia: 'outbox' })
      const late = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: `reply:${row.id}` })
      expect(JSON.parse(late.payload)).toEqual({ msgtype: 'text', text: { content: '慢慢来' } })
    })

    /**
     * A database that does not answer (a network partition to MariaDB, a long transaction ahead
     * on SQLite) must not hold the callback past WeCom's 5 s: 503 at the deadline, WeCom retries;
     * the message is handled once it is stored after all, and the retry is a duplicate.
     */
    it('answers 503 when the message is not stored within the deadline, handles it once it is, and takes WeCom’s retry as a duplicate', async () => {
      const slow = await start({ storeDeadline: 200 })
      const release = await holdInboundTable()
      const msgId = newMsgId()
      const request = sign(textXml('zhangwei', '帮助', { msgId }))
      const started = Date.now()
      let first: Response
      try {
        first = await post(slow, request)
      } finally {
        await release()
      }
      expect(first.status).toBe(503)
      expect(Date.now() - started).toBeLessThan(1000)
      expect(logLines.find((l) => l.msg === 'callback failed')?.reason).toMatch(/storing the message: no answer from the database within 200 ms/)
      const inbound = ds.getRepository(InboundMessageSchema)
      for (let i = 0; i < 100 && (await inbound.findOneBy({ msgId }))?.status !== 'processed'; i += 1) await new Promise((resolve) => setTimeout(resolve, 50))
      const row = await inbound.findOneByOrFail({ msgId })
      expect(row).toMatchObject({ status: 'processed', replyVia: 'outbox' })
      // (The retry to the service with the default deadline: this one's 200 ms is for the test.)
      const retry = await post(url, request)
      expect([retry.status, await retry.text()]).toEqual([200, ''])
      expect(await inbound.countBy({ msgId })).toBe(1)
      expect((await replies()).filter((r) => r.dedupeKey === `reply:${row.id}`)).toHaveLength(1)
    })

    /** Another session holds the inbound table (MariaDB), or a transaction holds SQLite's one connection. */
    async function holdInboundTable(): Promise<() => Promise<void>> {
      if (db.target.kind === 'mysql') {
        const { createConnection } = await import('mysql2/promise')
        const { target } = db
        const lock = await createConnection({ host: target.host, port: target.port, user: target.user, password: target.password, database: target.database })
        await lock.query('LOCK TABLES inbound_message WRITE')
        return async () => {
          await lock.query('UNLOCK TABLES')
          await lock.end()
        }
      }
      let end!: () => void
      let begun!: () => void
      const holding = new Promise<void>((resolve) => (begun = resolve))
      const done = ds.transaction(async () => {
        begun()
        await new Promise<void>((resolve) => (end = resolve))
      })
      await holding
      return async () => {
        end()
        await done
      }
    }

    it('answers 503 when the answer cannot be stored, and tells the person on WeCom’s retry', async () => {
      const breaking = defineCommand({
        name: '坏',
        aliases: [],
        summary: '测试用',
        usage: '坏',
        example: '坏',
        roles: 'everyone',
        parse: () => ({}),
        async run(context) {
          context.reply(markdown('**不会送达**'))
        },
      })
      const fragile = await start({ registry: createCommandRegistry([breaking]) })
      const request = sign(textXml('zhangwei', '坏'))
      // The outbox table is away: the message is stored, storing its answer fails.
      await ds.query('ALTER TABLE outbox_message RENAME TO outbox_message_away')
      try {
        expect((await post(fragile, request)).status).toBe(503)
      } finally {
        await ds.query('ALTER TABLE outbox_message_away RENAME TO outbox_message')
      }
      const row = await ds.getRepository(InboundMessageSchema).findOneByOrFail({ content: '坏' })
      expect(row.status).toBe('failed')
      expect(logLines.some((l) => l.msg === 'wecom callback' && l.status === 503 && l.outcome === 'error')).toBe(true)
      const retry = await post(fragile, request)
      expect(retry.status).toBe(200)
      const apology = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: `reply:${row.id}` })
      expect(apology.payload).toContain('结果未能确认')
      expect(await post(fragile, request).then((r) => r.status)).toBe(200)
      expect(await ds.getRepository(OutboxMessageSchema).countBy({ dedupeKey: `reply:${row.id}` })).toBe(1)
    })

    it('never tells a person their message failed while its change is being written, nor after it took effect', async () => {
      const { recoverStuckInbound } = await import('../src/bot/recover-inbound.js')
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      let entered!: () => void
      const inside = new Promise<void>((resolve) => (entered = resolve))
      const slow = defineCommand({
        name: '慢写',
        aliases: [],
        summary: '测试用',
        usage: '慢写',
        example: '慢写',
        roles: 'everyone',
        parse: () => ({}),
        async run(context) {
          // The change is written, then the command is held before it commits.
          await context.dataSource.query("UPDATE person SET title = '已改' WHERE userid = 'zhangwei'")
          entered()
          await gate
          context.reply('已完成慢命令。')
        },
      })
      const slowUrl = await start({ registry: createCommandRegistry([slow]), budget: 60_000 })
      const answered = post(slowUrl, sign(textXml('zhangwei', '慢写')))
      await inside
      // The recovery job runs as if the message were long overdue; it must wait for the command.
      const recovery = recoverStuckInbound(ds, new Date(Date.now() + 10 * 60_000))
      let recovered: number | undefined
      void recovery.then((n) => (recovered = n))
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(recovered).toBeUndefined()
      release()
      const response = await answered
      expect(openPassiveReply(await response.text()).content).toBe('已完成慢命令。')
      expect(await recovery).toBe(0)
      const row = await ds.getRepository(InboundMessageSchema).findOneByOrFail({ content: '慢写' })
      expect(row).toMatchObject({ status: 'processed', replyVia: 'passive' })
      expect(await ds.getRepository(OutboxMessageSchema).countBy({ dedupeKey: `reply:${row.id}` })).toBe(0)
      expect(((await ds.query("SELECT title FROM person WHERE userid = 'zhangwei'")) as { title: string }[])[0]!.title).toBe('已改')
    })

    it('answers messages left unanswered by a process that stopped, once', async () => {
      const { recoverStuckInbound } = await import('../src/bot/recover-inbound.js')
      const { insertInbound } = await import('../src/bot/inbound-store.js')
      const at = new Date()
      const id = await insertInbound(ds, { dedupeKey: 'msg:stuck', msgId: '1', fromUser: 'zhangwei', msgType: 'text', event: null, content: '进度 1 50% 说明', receivedAt: new Date(at.getTime() - 5 * 60_000) })
      await insertInbound(ds, { dedupeKey: 'msg:fresh', msgId: '2', fromUser: 'zhangwei', msgType: 'text', event: null, content: '帮助', receivedAt: at })
      expect(await recoverStuckInbound(ds, at)).toBe(1)
      expect(await recoverStuckInbound(ds, at)).toBe(0)
      expect(await ds.getRepository(InboundMessageSchema).findOneByOrFail({ id: id! })).toMatchObject({ status: 'failed', replyVia: 'outbox' })
      expect(await ds.getRepository(OutboxMessageSchema).countBy({ dedupeKey: `reply:${id}` })).toBe(1)
      expect((await ds.getRepository(InboundMessageSchema).findOneByOrFail({ dedupeKey: 'msg:fresh' })).status).toBe('received')
    })

    it('greets a person entering the app once a day', async () => {
      const day = new Date('2015-08-31T01:00:00Z')
      const greeter = await start({ now: () => day })
      for (const minutes of [0, 5]) {
        const at = new Date(day.getTime() + minutes * 60_000)
        expect((await post(greeter, sign(eventXml('zhangwei', 'enter_agent', { at }), { at }))).status).toBe(200)
      }
      const greetings = await ds.getRepository(OutboxMessageSchema).findBy({ dedupeKey: 'greeting:zhangwei:2015-08-31' })
      expect(greetings).toHaveLength(1)
      expect(greetings[0]!.payload).toContain('张伟，您好')
      expect(greetings[0]!.payload).toContain('- `待办` 现在要办的事，附办理命令')
      expect(greetings[0]!.payload).toContain('发送「帮助」查看全部命令。')
      // Someone opening the app at night is greeted then, not at 8 in the morning.
      expect(greetings[0]!.urgent).toBe(true)
    })

    it('tells someone not in the roster whom to contact, and keeps the message', async () => {
      const response = await post(url, sign(textXml('stranger', '进度 12 60%')))
      expect(openPassiveReply(await response.text()).content).toBe(
        '您的企业微信账号（stranger）尚未登记在专项治理花名册中，暂时不能使用命令。请联系县委组织部干部监督科（王健）登记。',
      )
      expect(await ds.getRepository(InboundMessageSchema).findOneByOrFail({ fromUser: 'stranger' })).toMatchObject({ status: 'unregistered', content: '进度 12 60%' })
    })

    it('answers a photo from someone with nothing to attach it to politely (evidence: test/evidence.test.ts)', async () => {
      const response = await post(url, sign(imageXml('zhangwei')))
      expect(openPassiveReply(await response.text()).content).toBe('照片、语音、视频和位置用作整改佐证，只能附在您负责、尚未销号的事项上。您目前没有这样的事项，所以没有保存。发送「帮助」查看可用命令。')
    })

    it.each([
      ['an empty Content', ''],
      ['a 10 KB Content', '进度'.repeat(1700)],
      ['emoji and full-width characters', '帮助👍　ＡＢＣ，１２％'],
      ['Content without CDATA, with entities', '&lt;b&gt; &amp; 帮助'],
    ])('handles %s without error', async (_name, content) => {
      const response = await post(url, sign(textXml('zhangwei', content, { cdata: !content.includes('&') })))
      expect(response.status).toBe(200)
    })

    it('handles invalid UTF-8 in Content without error', async () => {
      const [head, tail] = textXml('zhangwei', 'MARK').split('MARK') as [string, string]
      const inner = Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(' 帮助'), Buffer.from(tail)])
      const response = await post(url, sign('', { ciphertext: encryptBytes(inner) }))
      expect(response.status).toBe(200)
    })

    it('writes one log line per callback without content, token or key', async () => {
      await post(url, sign(textXml('zhangwei', '秘密内容 帮助')))
      const lines = logLines.filter((l) => l.msg === 'wecom callback')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ status: 200, from: 'zhangwei', kind: 'text' })
      expect(lines[0]!.requestId).toBeTypeOf('string')
      expect(lines[0]!.durationMs).toBeTypeOf('number')
      const all = JSON.stringify(logLines)
      expect(all).not.toContain('秘密内容')
      expect(all).not.toContain(SECRETS.aesKey)
      expect(all).not.toContain(SECRETS.token)
    })
  })

  describe('bad input: the right status, nothing stored, still serving', () => {
    const now = () => new Date()
    const signedOver = (ciphertext: string) => sign('', { ciphertext })
    const cases: [string, () => { query: Record<string, string>; body: string; method?: string; extraQuery?: string }, number][] = [
      ['missing query parameters', () => ({ query: {}, body: sign(textXml('zhangwei', '帮助')).body }), 400],
      [
        'a bad signature (checked before any decryption: the ciphertext is garbage too)',
        () => {
          const request = signedOver('not-base64!!')
          return { ...request, query: { ...request.query, msg_signature: 'a'.repeat(40) } }
        },
        401,
      ],
      ['a stale timestamp', () => sign(textXml('zhangwei', '帮助'), { at: new Date(now().getTime() - 301_000) }), 401],
      ['a future timestamp', () => sign(textXml('zhangwei', '帮助'), { at: new Date(now().getTime() + 3600_000) }), 401],
      ['a message for another corp', () => sign(textXml('zhangwei', '帮助'), { receiveId: 'wwanothercorp0001' }), 401],
      ['non-base64 Encrypt', () => signedOver('****'), 400],
      ['truncated Encrypt', () => signedOver(encryptBytes(Buffer.from(textXml('zhangwei', '帮助'))).slice(0, 64)), 400],
      ['wrong padding', () => signedOver(encryptBytes(Buffer.from(textXml('zhangwei', '帮助')), undefined, 0)), 400],
      ['a length field larger than the data', () => signedOver(encryptBytes(Buffer.from(textXml('zhangwei', '帮助')), 100_000)), 400],
      ['a body over 64 KiB', () => ({ ...sign(textXml('zhangwei', '帮助')), body: `<xml>${'x'.repeat(70_000)}</xml>` }), 413],
      ['a body that is not XML', () => ({ ...sign(textXml('zhangwei', '帮助')), body: 'hello, not xml' }), 400],
      [
        'an XML bomb (entity expansion)',
        () => ({
          ...sign(textXml('zhangwei', '帮助')),
          body: '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><xml><Encrypt>&lol2;</Encrypt></xml>',
        }),
        400,
      ],
      ['a DOCTYPE inside the encrypted message', () => sign(`<!DOCTYPE xml SYSTEM "file:///etc/passwd">${textXml('zhangwei', '帮助')}`), 400],
      ['a decrypted message that is not XML', () => sign('just text'), 400],
      ['the wrong method', () => ({ ...sign(textXml('zhangwei', '帮助')), method: 'PUT' }), 405],
      ['a query parameter given twice', () => ({ ...sign(textXml('zhangwei', '帮助')), extraQuery: 'msg_signature=abc' }), 400],
    ]

    it.each(cases)('%s', async (_name, build, status) => {
      const before = await inboundCount()
      const request = build()
      const target = request.extraQuery ? `${url}?${request.extraQuery}` : url
      const response = await post(target, request, { method: request.method, body: request.body })
      expect(response.status).toBe(status)
      expect(await inboundCount()).toBe(before)
      const health = await fetch(url.replace(PATH, '/healthz'))
      expect(health.status).toBe(200)
    })
  })
})
