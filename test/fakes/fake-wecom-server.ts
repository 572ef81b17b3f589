import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A fake WeCom API server on a loopback port, answering with WeCom's real shapes and error
 * codes (docs/wecom.md): gettoken, message/send, message/recall, media/upload, appchat/create,
 * appchat/send and webhook/send. It records every request and can be told to misbehave. The real client reaches
 * it by changing only its base URL.
 */
export interface FakeWeComOptions {
  corpId?: string
  secret?: string
  agentId?: number
  robotKeys?: string[]
  /** Seconds a token lives (expires_in). */
  tokenLifetime?: number
  /** The fake's clock for its rate limits and duplicate check; tests share one with the client. */
  now?: () => number
}

export type Fault =
  | { kind: 'errcode'; errcode: number; errmsg?: string }
  | { kind: 'http'; status: number }
  /** The connection closes before WeCom handles the request: nothing is delivered, no answer comes. */
  | { kind: 'drop' }
  /** WeCom handles the request (the message is delivered) but the answer never arrives: to the client, the same as a drop. */
  | { kind: 'deliver-then-drop' }
  | { kind: 'latency'; ms: number }
  /** WeCom takes the request and never answers (an outage behind its load balancer): only the client's timeout ends it. */
  | { kind: 'hang' }
  | { kind: 'expire-token' }

export interface RecordedRequest {
  api: string
  method: string
  query: Record<string, string>
  body: unknown
  /** What the fake answered (errcode), or the HTTP status / 'dropped'. */
  outcome: number | string
  at: number
}

export interface DeliveredMessage {
  touser: string[]
  toparty: string[]
  totag: string[]
  msgtype: string
  body: Record<string, unknown>
  /** The raw request JSON, for byte-identical comparisons. */
  raw: string
  msgid: string
  /** Suppressed by WeCom's duplicate check (identical request within the interval). */
  suppressed: boolean
  /** When it arrived, on the fake's clock. */
  at: number
  /**
   * Recipients whose copy WeCom drops silently: they already had 30 app messages in the last
   * minute or 1,000 in the last hour (docs/wecom.md, Sending app messages). The answer is still errcode 0.
   */
  overLimit: string[]
}

export interface FakeWeCom {
  url: string
  requests: RecordedRequest[]
  delivered: DeliveredMessage[]
  /** What each group robot posted, and when (the fake's clock). */
  robotMessages: { key: string; body: Record<string, unknown>; at: number }[]
  appchatMessages: { chatid: string; body: Record<string, unknown> }[]
  /** message/recall calls, with what the fake answered (0: recalled). */
  recalls: { msgid: string; errcode: number }[]
  uploads: { type: string; filename: string; size: number; mediaId: string; data: Buffer }[]
  tokenRequests(): number
  /** The next `times` calls to `api` (or to any API but gettoken when omitted) misbehave. */
  inject(fault: Fault, times?: number, api?: string): void
  /** Forgets every injected fault not used up yet: WeCom is well again. */
  clearFaults(): void
  /** Every token issued so far is now expired (42001). */
  expireTokens(): void
  invalidUsers: Set<string>
  unlicensedUsers: Set<string>
  close(): Promise<void>
}

export async function startFakeWeCom(options: FakeWeComOptions = {}): Promise<FakeWeCom> {
  const corpId = options.corpId ?? 'wwfakecorp0000001'
  const secret = options.secret ?? 'fake-secret'
  const agentId = options.agentId ?? 1000002
  const robotKeys = new Set(options.robotKeys ?? ['robot-key-1'])
  const tokens = new Map<string, 'valid' | 'expired'>()
  const faults: { fault: Fault; remaining: number; api?: string }[] = []
  const chats = new Set<string>()
  const recentRequests = new Map<string, number>()
  const robotTimes = new Map<string, number[]>()
  const clock = options.now ?? Date.now
  const sentAt = new Map<string, number>()
  const recalled = new Set<string>()
  let tokenCount = 0
  let msgidCount = 0
  const sockets = new Set<Socket>()
  /** When each member was delivered an app message (fake clock), for WeCom's per-member limits. */
  const memberTimes = new Map<string, number[]>()

  const fake: Omit<FakeWeCom, 'url' | 'close'> = {
    requests: [],
    delivered: [],
    robotMessages: [],
    appchatMessages: [],
    recalls: [],
    uploads: [],
    tokenRequests: () => fake.requests.filter((r) => r.api === 'gettoken').length,
    inject(fault, times = 1, api) {
      faults.push({ fault, remaining: times, api })
    },
    clearFaults() {
      faults.length = 0
    },
    expireTokens() {
      for (const token of tokens.keys()) tokens.set(token, 'expired')
    },
    invalidUsers: new Set(),
    unlicensedUsers: new Set(),
  }

  function takeFault(api: string): Fault | undefined {
    const entry = faults.find((f) => f.remaining > 0 && (f.api === undefined ? api !== 'gettoken' : f.api === api))
    if (!entry) return undefined
    entry.remaining -= 1
    return entry.fault
  }

  function checkToken(query: Record<string, string>): number {
    const token = query.access_token
    if (!token) return 41001
    const state = tokens.get(token)
    if (state === undefined) return 40014
    return state === 'expired' ? 42001 : 0
  }

  async function handle(api: string, query: Record<string, string>, raw: Buffer, contentType: string): Promise<Record<string, unknown>> {
    if (api === 'gettoken') {
      if (query.corpid !== corpId || query.corpsecret !== secret) return { errcode: 40001, errmsg: 'invalid credential' }
      tokenCount += 1
      const token = `fake-token-${tokenCount}-${Math.random().toString(36).slice(2)}`
      tokens.set(token, 'valid')
      return { errcode: 0, errmsg: 'ok', access_token: token, expires_in: options.tokenLifetime ?? 7200 }
    }
    if (api === 'webhook/send') {
      if (!robotKeys.has(query.key ?? '')) return { errcode: 93000, errmsg: 'invalid webhook url' }
      const now = clock()
      const times = (robotTimes.get(query.key!) ?? []).filter((t) => t > now - 60_000)
      if (times.length >= 20) return { errcode: 45009, errmsg: 'api freq out of limit' }
      robotTimes.set(query.key!, [...times, now])
      fake.robotMessages.push({ key: query.key!, body: JSON.parse(raw.toString('utf8')), at: now })
      return { errcode: 0, errmsg: 'ok' }
    }
    const tokenError = checkToken(query)
    if (tokenError) return { errcode: tokenError, errmsg: tokenError === 42001 ? 'access_token expired' : 'invalid access_token' }
    if (api === 'media/upload') {
      const part = parseMultipartFile(raw, contentType)
      if (!part || part.name !== 'media') return { errcode: 40058, errmsg: 'invalid parameter: media' }
      if (part.data.length <= 5) return { errcode: 40006, errmsg: 'invalid media size' }
      const mediaId = `media-${fake.uploads.length + 1}`
      fake.uploads.push({ type: query.type ?? '', filename: part.filename, size: part.data.length, mediaId, data: Buffer.from(part.data) })
      return { errcode: 0, errmsg: 'ok', type: query.type, media_id: mediaId, created_at: String(Math.floor(Date.now() / 1000)) }
    }
    let body: Record<string, unknown>
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
    } catch {
      return { errcode: 40058, errmsg: 'Warning: wrong json format.' }
    }
    if (api === 'appchat/create') {
      const userlist = (body.userlist as string[] | undefined) ?? []
      if (userlist.length < 2 || userlist.length > 2000) return { errcode: 40058, errmsg: 'invalid userlist' }
      const chatid = String(body.chatid ?? `chat${chats.size + 1}`)
      chats.add(chatid)
      return { errcode: 0, errmsg: 'ok', chatid }
    }
    if (api === 'appchat/send') {
      if (!chats.has(String(body.chatid))) return { errcode: 86008, errmsg: 'chat not created by this app' }
      fake.appchatMessages.push({ chatid: String(body.chatid), body })
      return { errcode: 0, errmsg: 'ok' }
    }
    if (api === 'message/send') return messageSend(body, raw.toString('utf8'))
    if (api === 'message/recall') return messageRecall(String(body.msgid ?? ''))
    return { errcode: 40058, errmsg: `unknown api ${api}` }
  }

  function messageSend(body: Record<string, unknown>, raw: string): Record<string, unknown> {
    if (body.agentid !== agentId) return { errcode: 301002, errmsg: 'not allow operate another agent with this accesstoken' }
    const split = (v: unknown) => (typeof v === 'string' && v !== '' ? v.split('|') : [])
    const touser = split(body.touser).map((u) => u.toLowerCase())
    const toparty = split(body.toparty)
    const totag = split(body.totag)
    if (touser.length + toparty.length + totag.length === 0) return { errcode: 82001, errmsg: 'All touser & toparty & totag invalid' }
    if (touser.length > 1000 || toparty.length > 100 || totag.length > 100) return { errcode: 40058, errmsg: 'too many recipients' }
    const msgtype = String(body.msgtype)
    const content = (body[msgtype] as { content?: string } | undefined)?.content
    if ((msgtype === 'text' || msgtype === 'markdown') && !content) return { errcode: 44004, errmsg: 'empty content' }
    if (msgtype === 'file' && !fake.uploads.some((u) => u.mediaId === (body.file as { media_id?: string } | undefined)?.media_id)) return { errcode: 40007, errmsg: 'invalid media_id' }
    const invalid = touser.filter((u) => fake.invalidUsers.has(u))
    const unlicensed = touser.filter((u) => fake.unlicensedUsers.has(u))
    const reachable = touser.filter((u) => !fake.invalidUsers.has(u) && !fake.unlicensedUsers.has(u))
    if (reachable.length === 0 && toparty.length === 0 && totag.length === 0) return { errcode: 81013, errmsg: 'user & party & tag all invalid' }
    // WeCom's duplicate check: an identical request within the interval is accepted, not delivered.
    const now = clock()
    let suppressed = false
    if (body.enable_duplicate_check === 1) {
      const interval = Number(body.duplicate_check_interval ?? 1800) * 1000
      const last = recentRequests.get(raw)
      suppressed = last !== undefined && now - last < interval
      if (!suppressed) recentRequests.set(raw, now)
    }
    const overLimit = suppressed ? [] : reachable.filter((u) => !countMemberMessage(u, now))
    msgidCount += 1
    const msgid = `msgid-${msgidCount}`
    fake.delivered.push({ touser: reachable, toparty, totag, msgtype, body, raw, msgid, suppressed, at: now, overLimit })
    sentAt.set(msgid, now)
    return {
      errcode: 0,
      errmsg: 'ok',
      invaliduser: invalid.join('|'),
      invalidparty: '',
      invalidtag: '',
      unlicenseduser: unlicensed.join('|'),
      msgid,
    }
  }

  /** Counts an app message to a member; false when WeCom would drop it (30 a minute, 1,000 an hour, docs/wecom.md, Sending app messages). */
  function countMemberMessage(userid: string, now: number): boolean {
    const times = (memberTimes.get(userid) ?? []).filter((t) => t > now - 3_600_000)
    const lastMinute = times.filter((t) => t > now - 60_000).length
    const within = lastMinute < 30 && times.length < 1000
    if (within) times.push(now)
    memberTimes.set(userid, times)
    return within
  }

  /** message/recall (docs/wecom.md, Recall): a message this app sent, within 24 hours, once. */
  function messageRecall(msgid: string): Record<string, unknown> {
    const at = sentAt.get(msgid)
    const answer =
      at === undefined || recalled.has(msgid)
        ? { errcode: 40058, errmsg: 'invalid msgid' }
        : clock() - at > 24 * 3_600_000
          ? { errcode: 40058, errmsg: 'msg recall exceed time limit' }
          : { errcode: 0, errmsg: 'ok' }
    if (answer.errcode === 0) recalled.add(msgid)
    fake.recalls.push({ msgid, errcode: answer.errcode })
    return answer
  }

  // A client that dies mid-request (a worker killed by a fault test) must not break the fake.
  const server: Server = createServer((req, res) => void route(req, res).catch(() => req.socket.destroy()))
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake')
    const api = url.pathname.replace(/^\/cgi-bin\//, '')
    const query = Object.fromEntries(url.searchParams)
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    const record: RecordedRequest = { api, method: req.method ?? '', query, body: raw.toString('utf8'), outcome: 0, at: Date.now() }
    fake.requests.push(record)
    const fault = takeFault(api)
    if (fault?.kind === 'latency') await new Promise((resolve) => setTimeout(resolve, fault.ms))
    if (fault?.kind === 'drop') {
      record.outcome = 'dropped'
      req.socket.destroy()
      return
    }
    if (fault?.kind === 'hang') {
      record.outcome = 'hung'
      if (!req.socket.destroyed) await new Promise((resolve) => req.socket.once('close', resolve))
      return
    }
    if (fault?.kind === 'http') {
      record.outcome = fault.status
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>')
      return
    }
    if (fault?.kind === 'expire-token') fake.expireTokens()
    if (fault?.kind === 'deliver-then-drop') {
      const handled = await handle(api, query, raw, req.headers['content-type'] ?? '')
      record.outcome = `dropped after ${Number(handled.errcode ?? 0)}`
      req.socket.destroy()
      return
    }
    const answer =
      fault?.kind === 'errcode'
        ? { errcode: fault.errcode, errmsg: fault.errmsg ?? `injected ${fault.errcode}` }
        : await handle(api, query, raw, req.headers['content-type'] ?? '')
    record.outcome = Number(answer.errcode ?? 0)
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    ...fake,
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Reads the single file part of a multipart/form-data body. */
function parseMultipartFile(raw: Buffer, contentType: string): { name: string; filename: string; data: Buffer } | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType)
  if (!boundary) return undefined
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`)
  const start = raw.indexOf(delimiter)
  const headerEnd = raw.indexOf('\r\n\r\n', start)
  const next = raw.indexOf(delimiter, headerEnd)
  if (start < 0 || headerEnd < 0 || next < 0) return undefined
  const headers = raw.subarray(start, headerEnd).toString('utf8')
  const name = /name="([^"]*)"/.exec(headers)?.[1] ?? ''
  const filename = /filename="([^"]*)"/.exec(headers)?.[1] ?? ''
  return { name, filename, data: raw.subarray(headerEnd + 4, next - 2) }
}
