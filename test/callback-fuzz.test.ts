import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commands } from '../commands/index.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { InboundMessageSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { createApp } from '../src/http/create-app.js'
import { createLogger } from '../src/logger.js'
import { computeSignature } from '../src/wecom/callback/callback-crypto.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { openPassiveReply, post, SECRETS, sign, textXml, type SignedRequest } from './helpers/wecom-callback-client.js'

/**
 * 2,000 random and mutated callbacks against the real app on loopback —
 * bit flips in Encrypt, random ciphertexts, wrong signatures, stale or malformed query
 * parameters, truncated and hostile XML, huge bodies, wrong content types and methods. None may
 * get a 5xx or store a row (inbound or outbox), and a genuine message afterwards is answered.
 * The cases come from a seeded generator: a failure names its seed and case number.
 */

const PATH = '/wecom/callback'
const CASES = 2000
const SEED = Number(process.env.FUZZ_SEED ?? 20151009)

/** mulberry32: a small seeded generator, so that a failing case can be replayed. */
function seeded(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (max: number) => Math.floor(next() * max)
  return { int, pick: <T,>(list: readonly T[]) => list[int(list.length)]!, bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))) }
}

interface FuzzRequest {
  kind: string
  method: string
  query: Record<string, string | string[]>
  body: string | Buffer
  contentType?: string
}

const envelope = (encrypt: string) => `<xml><ToUserName><![CDATA[${SECRETS.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`
const resign = (query: Record<string, string>, ciphertext: string) => ({ ...query, msg_signature: computeSignature(SECRETS.token, query.timestamp!, query.nonce!, ciphertext) })
const encryptOf = (request: SignedRequest) => /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(request.body)![1]!

function flipBit(base64: string, bit: number): string {
  const bytes = Buffer.from(base64, 'base64')
  bytes[Math.floor(bit / 8) % bytes.length]! ^= 1 << (bit % 8)
  return bytes.toString('base64')
}

/** One hostile request, built from a genuine signed message (from a person in the roster). */
function mutate(r: ReturnType<typeof seeded>, n: number): FuzzRequest {
  const genuine = sign(textXml('zhangwei', `我的 ${n}`))
  const cipher = encryptOf(genuine)
  const blocks = Buffer.from(cipher, 'base64').length / 16
  const same = (kind: string, over: Partial<FuzzRequest>): FuzzRequest => ({ kind, method: 'POST', query: genuine.query, body: genuine.body, contentType: 'text/xml', ...over })
  switch (r.int(16)) {
    case 0: {
      // A bit flipped in the first block (length and start of the XML) or the last two (receiveid, padding), re-signed: decrypted, then refused.
      const block = r.pick([0, blocks - 2, blocks - 1])
      const flipped = flipBit(cipher, block * 128 + r.int(128))
      return same('bit flip, re-signed', { query: resign(genuine.query, flipped), body: envelope(flipped) })
    }
    case 1: {
      const flipped = flipBit(cipher, r.int(blocks * 128))
      return same('bit flip anywhere, old signature', { body: envelope(flipped) })
    }
    case 2: {
      const random = r.bytes(16 * (1 + r.int(40))).toString('base64')
      return same('random ciphertext, signed', { query: resign(genuine.query, random), body: envelope(random) })
    }
    case 3: {
      const junk = r.pick(['', '====', '!!not base64!!', 'QUJD', cipher.slice(0, r.int(cipher.length)), `${cipher}${cipher}`, 'A'.repeat(1 + r.int(100))])
      return same('malformed ciphertext, signed', { query: junk === '' ? genuine.query : resign(genuine.query, junk), body: envelope(junk) })
    }
    case 4:
      return same('wrong signature', { query: { ...genuine.query, msg_signature: r.bytes(20).toString('hex').slice(0, r.pick([40, 39, 0, 12])) } })
    case 5:
      return same('truncated XML', { body: genuine.body.slice(0, r.int(genuine.body.length)) })
    case 6:
      return same('random bytes', { body: r.bytes(r.int(2000)) })
    case 7:
      return same('huge body', { body: `<xml><Encrypt><![CDATA[${'A'.repeat(64 * 1024 + r.int(200_000))}]]></Encrypt></xml>` })
    case 8:
      // The signature, not the content type, makes a message genuine: these bodies are not.
      return same('wrong content type', {
        contentType: r.pick(['application/json', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'text/plain; charset=gbk', '']),
        body: r.pick(['{"encrypt":"x"}', `{"tousername":"${SECRETS.corpId}","encrypt":"${cipher}"}`, 'a=b&c=d', envelope(flipBit(cipher, r.int(blocks * 128)))]),
      })
    case 9: {
      const query: Record<string, string | string[]> = { ...genuine.query }
      const name = r.pick(['msg_signature', 'timestamp', 'nonce'])
      const change = r.int(4)
      if (change === 0) delete query[name]
      else if (change === 1) query[name] = [genuine.query[name]!, 'again']
      else if (change === 2) query[name] = r.pick(['', '-1', '1e10', 'abc', '9'.repeat(40), '%00', '<xml>'])
      else query.timestamp = String(Number(genuine.query.timestamp) - 301 - r.int(100_000))
      return same('bad query parameter', { query })
    }
    case 10:
      return same('hostile XML', {
        body: r.pick([
          '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>',
          `<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>`,
          `<xml>${'<a>'.repeat(5000)}</xml>`,
          `<xml><Encrypt><![CDATA[${flipBit(cipher, 7)}]]></Encrypt><Encrypt><![CDATA[${flipBit(cipher, 9)}]]></Encrypt></xml>`,
          '<xml><Encrypt></Encrypt></xml>',
          `<xml><Encrypt>${cipher}</Encrypt>`,
          '<xml/>',
          '',
        ]),
      })
    case 11: {
      // Genuinely encrypted and signed, but for another corp or not a WeCom message inside.
      const inner = r.pick(['not xml at all', '<xml><MsgType>text</MsgType></xml>', '<xml><FromUserName>zhangwei</FromUserName></xml>', textXml('zhangwei', '我的')])
      // A well-formed message only for another corp: for ours it would be genuine.
      const receiveId = inner.startsWith('<xml><ToUserName>') ? 'wwsomeoneelse00001' : r.pick(['wwsomeoneelse00001', SECRETS.corpId])
      return same('signed, wrong inside', sign(inner, { receiveId }))
    }
    case 12:
      return same('wrong method', { method: r.pick(['PUT', 'DELETE', 'PATCH']) })
    case 13:
      return same('GET with junk', { method: 'GET', body: '', query: { ...genuine.query, echostr: r.pick([cipher, '', 'abc', flipBit(cipher, r.int(blocks * 128))]) } })
    case 14:
      return same('stale genuine message', { ...sign(textXml('zhangwei', '我的'), { at: new Date(Date.now() - 3600_000 * (1 + r.int(48))) }) })
    default: {
      // A genuine envelope with characters added around or inside the Encrypt text, re-signed.
      // Only real changes: a ciphertext without "+" (about 1 in 70) would otherwise stay genuine.
      const noisy = r.pick([` ${cipher}`, `${cipher}\n`, cipher.replace(/[A-Z]/, '%'), cipher.replaceAll('+', ' ')].filter((n) => n !== cipher))
      return same('noisy ciphertext, re-signed', { query: resign(genuine.query, noisy), body: envelope(noisy) })
    }
  }
}

async function send(url: string, request: FuzzRequest): Promise<number> {
  const target = new URL(url)
  for (const [key, value] of Object.entries(request.query)) for (const v of Array.isArray(value) ? value : [value]) target.searchParams.append(key, v)
  const headers: Record<string, string> = {}
  if (request.contentType) headers['content-type'] = request.contentType
  const response = await fetch(target, { method: request.method, headers, body: request.method === 'GET' ? undefined : request.body })
  await response.arrayBuffer()
  return response.status
}

describe(`the callback under fuzzing on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let server: Server
  let url: string

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedRoster(ds, '县委组织部', [{ userid: 'wangjian', name: '王健', roles: ['org_admin'] }])
    await seedRoster(ds, '城关镇', [{ userid: 'zhangwei', name: '张伟', roles: ['unit_head'] }])
    const app = createApp({
      dataSource: ds,
      logger: createLogger('silent'),
      deliveryMode: 'wecom',
      callback: { path: PATH, secrets: SECRETS, dispatcher: createDispatcher({ dataSource: ds, registry: createCommandRegistry(commands) }) },
    })
    server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`
  })
  /** The answer, passive (in the response) or, when the machine is slow, stored for the outbox. */
  async function answerTo(response: Response): Promise<string> {
    const body = await response.text()
    if (body !== '') return openPassiveReply(body).content
    for (let i = 0; i < 100; i++) {
      const [latest] = await ds.getRepository(InboundMessageSchema).find({ order: { id: 'DESC' }, take: 1 })
      if (latest?.reply) return latest.reply
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return ''
  }

  afterAll(async () => {
    server?.close()
    await db?.close()
  })

  it(`answers ${CASES} hostile requests without a 5xx and stores nothing, then serves a genuine message`, async () => {
    const r = seeded(SEED)
    const requests = Array.from({ length: CASES }, (_, n) => mutate(r, n))
    const statuses = new Map<string, number>()
    const failures: string[] = []
    // Eight at a time, as WeCom's retries and a scanner's requests would overlap.
    for (let i = 0; i < requests.length; i += 8) {
      await Promise.all(
        requests.slice(i, i + 8).map(async (request, j) => {
          const status = await send(url, request)
          statuses.set(`${request.kind} → ${status}`, (statuses.get(`${request.kind} → ${status}`) ?? 0) + 1)
          // A GET whose echostr is a signed ciphertext is a URL verification, answered 200.
          if (status >= 500 || (status === 200 && request.method !== 'GET')) failures.push(`case ${i + j} (seed ${SEED}, ${request.kind}): ${status}`)
        }),
      )
    }
    expect(failures).toEqual([])
    expect(await ds.getRepository(InboundMessageSchema).count()).toBe(0)
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(0)
    // Every kind of hostile request was tried.
    expect(new Set([...statuses.keys()].map((k) => k.split(' → ')[0])).size).toBe(16)

    const genuine = await post(url, sign(textXml('zhangwei', '帮助')))
    expect(genuine.status).toBe(200)
    expect(await answerTo(genuine)).toContain('可用命令')
    expect(await ds.getRepository(InboundMessageSchema).count()).toBe(1)
  }, 120_000)

  it('takes the sender from the encrypted message only: an unsigned FromUserName beside it changes nothing', async () => {
    const request = sign(textXml('zhangwei', '通报 列表'))
    const spoofed = request.body.replace('<xml>', '<xml><FromUserName><![CDATA[wangjian]]></FromUserName>')
    const response = await post(url, request, { body: spoofed })
    expect(response.status).toBe(200)
    expect(await answerTo(response)).toContain('「通报」只有组织部（干部监督科）可以使用')
    const latest = await ds.getRepository(InboundMessageSchema).find({ order: { id: 'DESC' }, take: 1 })
    expect(latest[0]!.fromUser).toBe('zhangwei')
  })
})
