import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A fake WeCom API server on a loopback port, answering with WeCom's real shapes and error
 * codes (docs/wecom.md, docs/cards.md): gettoken, message/send (template cards validated, their
 * task ids unique for all time, response codes issued), message/update_template_card,
 * message/recall, media/upload, appchat/create, appchat/send, webhook/send, and the app menu
 * (menu/create, menu/get, menu/delete), the web login's auth/getuserinfo, and media/get for media people sent
 * (addMedia; ranges, expiry, docs/wecom.md, Media people send). It records every request and can be told to misbehave;
 * `click` plays a member tapping a card. The real client reaches it by changing only its base URL.
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

/** A template card sent with a task id. */
export interface FakeCard {
  card: Record<string, unknown>
  /** Its member recipients that WeCom delivered to (lower-cased). */
  touser: string[]
  /** On the fake's clock. */
  sentAt: number
}

/** An update_template_card call WeCom took. */
export interface FakeCardUpdate {
  userids: string[]
  responseCode: string
  /** The whole request JSON: `template_card`, or `button: {replace_name}`. */
  body: Record<string, unknown>
  /** On the fake's clock. */
  at: number
}

/** A file someone sent to the app, as media/get serves it (docs/wecom.md, Media people send). */
export interface FakeMedia {
  /** Default: a fresh id. */
  mediaId?: string
  contentType: string
  /** Sent in `Content-disposition` as raw UTF-8, as WeCom does. */
  filename: string
  data: Uint8Array
  /** On the fake's clock, default now: the id answers 40007 from 3 days later. */
  issuedAt?: number
  /** Answer every request with 200 and the whole file, as a server that does not do ranges would. */
  ignoresRange?: boolean
}

/** One media/get request. */
export interface FakeMediaRequest {
  mediaId: string
  /** The Range header asked for, if any. */
  range: string | null
  /** Bytes of the file written in the answer (0 for an error). */
  bytes: number
  /** As in `requests`: the errcode answered, the HTTP status of bytes or of a fault, or 'dropped'. */
  readonly outcome: number | string
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
  /** Every template card sent with a task id, by task id: a task id is used once for all time. */
  cards: Map<string, FakeCard>
  cardUpdates: FakeCardUpdate[]
  /**
   * A member taps the card `taskId`: WeCom issues a fresh response code for that tap, returned
   * here for the test to post in the click event. Throws for a card that does not exist, has no
   * buttons, or was not sent to this member.
   */
  click(taskId: string, userid: string): string
  /**
   * A code as WeCom's login redirect gives it (docs/wecom.md, Web login): for a member (userid) or
   * someone outside the organization (openid). auth/getuserinfo exchanges it once, within 5 minutes.
   */
  issueLoginCode(who: { userid: string } | { openid: string }): string
  /** The app menu set through menu/create, by the agentid of the query. */
  menus: Map<string, unknown>
  tokenRequests(): number
  /** The next `times` calls to `api` (or to any API but gettoken when omitted) misbehave. */
  inject(fault: Fault, times?: number, api?: string): void
  /** Forgets every injected fault not used up yet: WeCom is well again. */
  clearFaults(): void
  /** Every token issued so far is now expired (42001). */
  expireTokens(): void
  invalidUsers: Set<string>
  unlicensedUsers: Set<string>
  /** Registers a file someone sent; returns its media id for media/get. */
  addMedia(media: FakeMedia): string
  /** Every media/get request, faulted ones included. */
  mediaRequests: FakeMediaRequest[]
  close(): Promise<void>
}

/** WeCom's largest range for media/get: a bigger one (or a whole file bigger than this) answers 830002. */
export const FAKE_MEDIA_RANGE_LIMIT = 20 * 1024 * 1024
/** A media id lives 3 days. */
const MEDIA_LIFETIME_MS = 3 * 24 * 3_600_000

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
  /** Login codes issued (issueLoginCode): whom they name, when, whether exchanged. */
  const loginCodes = new Map<string, { who: { userid: string } | { openid: string }; issuedAt: number; used: boolean }>()
  const sentAt = new Map<string, number>()
  const recalled = new Set<string>()
  let tokenCount = 0
  let msgidCount = 0
  const sockets = new Set<Socket>()
  /** When each member was delivered an app message (fake clock), for WeCom's per-member limits. */
  const memberTimes = new Map<string, number[]>()
  /** Every response code issued (by a send or a tap): its card, when, and whether an update used it. */
  const responseCodes = new Map<string, { taskId: string; issuedAt: number; used: boolean }>()
  /** Cards sent to departments or tags: any member may tap them. */
  const cardsToGroups = new Set<string>()
  /** Files people sent (addMedia), by media id. */
  const media = new Map<string, { contentType: string; filename: string; data: Buffer; issuedAt: number; ignoresRange: boolean }>()

  const fake: Omit<FakeWeCom, 'url' | 'close'> = {
    requests: [],
    delivered: [],
    robotMessages: [],
    appchatMessages: [],
    recalls: [],
    uploads: [],
    cards: new Map(),
    cardUpdates: [],
    issueLoginCode(who) {
      const code = `login-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
      loginCodes.set(code, { who, issuedAt: clock(), used: false })
      return code
    },
    click(taskId, userid) {
      const sent = fake.cards.get(taskId)
      if (!sent) throw new Error(`fake WeCom: no card with task id ${taskId}`)
      if (!INTERACTIVE_CARDS.has(String(sent.card.card_type))) throw new Error(`fake WeCom: card ${taskId} is a notice card, nothing to tap`)
      if (!cardsToGroups.has(taskId) && !sent.touser.includes(userid.toLowerCase())) throw new Error(`fake WeCom: card ${taskId} was not sent to ${userid}`)
      return issueResponseCode(taskId)
    },
    menus: new Map(),
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
    addMedia(file) {
      const mediaId = file.mediaId ?? `1${randomBytes(24).toString('base64url')}`
      media.set(mediaId, {
        contentType: file.contentType,
        filename: file.filename,
        data: Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength),
        issuedAt: file.issuedAt ?? clock(),
        ignoresRange: file.ignoresRange ?? false,
      })
      return mediaId
    },
    mediaRequests: [],
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
      // WeCom's limits per type: an image up to 10 MB, a file up to 20 MB (docs/wecom.md, Media).
      if (query.type === 'image' && part.data.length > 10 * 1024 * 1024) return { errcode: 40009, errmsg: 'invalid image size' }
      if (part.data.length > 20 * 1024 * 1024) return { errcode: 40006, errmsg: 'invalid media size' }
      const mediaId = `media-${fake.uploads.length + 1}`
      fake.uploads.push({ type: query.type ?? '', filename: part.filename, size: part.data.length, mediaId, data: Buffer.from(part.data) })
      return { errcode: 0, errmsg: 'ok', type: query.type, media_id: mediaId, created_at: String(Math.floor(Date.now() / 1000)) }
    }
    if (api === 'menu/get' || api === 'menu/delete') return menuRead(api, query)
    if (api === 'auth/getuserinfo') {
      // A code works once (42022 when used again — the fake's reading of WeCom's "code used"),
      // for 5 minutes; an unknown or expired one is 40029.
      const issued = loginCodes.get(query.code ?? '')
      if (!issued || clock() - issued.issuedAt > 5 * 60_000) return { errcode: 40029, errmsg: 'invalid code' }
      if (issued.used) return { errcode: 42022, errmsg: 'code has been used' }
      issued.used = true
      return { errcode: 0, errmsg: 'ok', ...issued.who }
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
    if (api === 'message/update_template_card') return updateTemplateCard(body)
    if (api === 'menu/create') return menuCreate(query, body)
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
    // An image message needs an id uploaded as an image.
    if (msgtype === 'image' && !fake.uploads.some((u) => u.type === 'image' && u.mediaId === (body.image as { media_id?: string } | undefined)?.media_id)) return { errcode: 40007, errmsg: 'invalid media_id' }
    // Before the duplicate check: a card sent again (a retry after a lost answer) is refused for its task id.
    const cardError = msgtype === 'template_card' ? checkCard(body.template_card, { taskIdUnique: true }) : null
    if (cardError) return cardError
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
    const card = msgtype === 'template_card' ? (body.template_card as Record<string, unknown>) : undefined
    const taskId = typeof card?.task_id === 'string' ? card.task_id : undefined
    if (card && taskId !== undefined) {
      fake.cards.set(taskId, { card, touser: reachable, sentAt: now })
      if (toparty.length > 0 || totag.length > 0) cardsToGroups.add(taskId)
    }
    return {
      errcode: 0,
      errmsg: 'ok',
      invaliduser: invalid.join('|'),
      invalidparty: '',
      invalidtag: '',
      unlicenseduser: unlicensed.join('|'),
      msgid,
      // One code per send of an interactive card (docs/cards.md).
      ...(card && taskId !== undefined && INTERACTIVE_CARDS.has(String(card.card_type)) ? { response_code: issueResponseCode(taskId) } : {}),
    }
  }

  function issueResponseCode(taskId: string): string {
    const code = randomBytes(24).toString('base64url')
    responseCodes.set(code, { taskId, issuedAt: clock(), used: false })
    return code
  }

  /**
   * A template card as WeCom checks it (docs/cards.md, Limits), with WeCom's errcodes where its
   * documents give one (42014 task id used, 42035 too many rows, 42038 button text, 42039 button
   * key, 42045 no card_action) and 40058 for anything else. On a send the task id must be new; on
   * an update it may be left out, or must be the card's own.
   */
  function checkCard(value: unknown, rule: { taskIdUnique: true } | { taskIdOf: string }): Record<string, unknown> | null {
    const invalid = (what: string) => ({ errcode: 40058, errmsg: `invalid template_card: ${what}` })
    if (!isRecord(value)) return invalid('missing')
    const type = String(value.card_type)
    if (!CARD_TYPES.has(type)) return invalid('card_type')
    const taskId = value.task_id
    if ('taskIdOf' in rule) {
      if (taskId !== undefined && taskId !== rule.taskIdOf) return invalid('task_id is not the one the card was sent with')
    } else if (INTERACTIVE_CARDS.has(type) || taskId !== undefined) {
      if (typeof taskId !== 'string' || !/^[A-Za-z0-9_\-@]{1,128}$/.test(taskId)) return invalid('task_id')
    }
    if ((type === 'text_notice' || type === 'news_notice') && !isRecord(value.card_action)) return { errcode: 42045, errmsg: 'card_action missing' }
    const rows = value.horizontal_content_list
    if (rows !== undefined && (!Array.isArray(rows) || rows.length > 6)) return { errcode: 42035, errmsg: 'horizontal_content_list exceed limit' }
    if (type === 'button_interaction') {
      const error = checkButtons(value.button_list) ?? checkSelection(value.button_selection)
      if (error) return error
    }
    if ('taskIdUnique' in rule && typeof taskId === 'string' && fake.cards.has(taskId)) return { errcode: 42014, errmsg: 'task_id already exist' }
    return null
  }

  function checkButtons(value: unknown): Record<string, unknown> | null {
    if (!Array.isArray(value) || value.length < 1 || value.length > 6) return { errcode: 40058, errmsg: 'invalid template_card: button_list' }
    const keys = new Set<string>()
    for (const button of value as unknown[]) {
      if (!isRecord(button)) return { errcode: 40058, errmsg: 'invalid template_card: button' }
      const text = button.text
      if (typeof text !== 'string' || text === '' || [...text].length > 10) return { errcode: 42038, errmsg: 'invalid button text' }
      if (button.type === 1) {
        if (typeof button.url !== 'string' || button.url === '') return { errcode: 40058, errmsg: 'invalid template_card: button url' }
        continue
      }
      const key = button.key
      if (typeof key !== 'string' || key === '' || Buffer.byteLength(key) > 1024 || keys.has(key)) return { errcode: 42039, errmsg: 'invalid button key' }
      keys.add(key)
    }
    return null
  }

  function checkSelection(value: unknown): Record<string, unknown> | null {
    if (value === undefined) return null
    const options = isRecord(value) ? value.option_list : undefined
    if (!Array.isArray(options) || options.length < 1 || options.length > 10) return { errcode: 40058, errmsg: 'invalid template_card: option_list' }
    return null
  }

  /** message/update_template_card (docs/cards.md, Updating a card): a response code this fake issued, once, within 72 hours. */
  function updateTemplateCard(body: Record<string, unknown>): Record<string, unknown> {
    if (body.agentid !== agentId) return { errcode: 301002, errmsg: 'not allow operate another agent with this accesstoken' }
    const responseCode = String(body.response_code ?? '')
    const issued = responseCodes.get(responseCode)
    // 40130 is this fake's own choice: WeCom's documents list no errcode for a used, expired or
    // unknown response_code. Tests rely only on it being a refusal.
    if (!issued || issued.used || clock() - issued.issuedAt > 72 * 3_600_000) return { errcode: 40130, errmsg: 'invalid response_code' }
    const userids = body.userids
    if (!Array.isArray(userids) || userids.length < 1 || userids.length > 1000 || !userids.every((u) => typeof u === 'string')) {
      return { errcode: 40058, errmsg: 'invalid userids' }
    }
    if (body.template_card !== undefined) {
      const error = checkCard(body.template_card, { taskIdOf: issued.taskId })
      if (error) return error
    } else {
      const replaceName = isRecord(body.button) ? body.button.replace_name : undefined
      if (typeof replaceName !== 'string' || replaceName === '') return { errcode: 40058, errmsg: 'invalid button.replace_name' }
    }
    issued.used = true
    fake.cardUpdates.push({ userids: userids as string[], responseCode, body, at: clock() })
    return { errcode: 0, errmsg: 'ok', invaliduser: [] }
  }

  /** menu/create: the agent's own menu, within WeCom's limits (https://developer.work.weixin.qq.com/document/path/90231). */
  function menuCreate(query: Record<string, string>, body: Record<string, unknown>): Record<string, unknown> {
    if (query.agentid !== String(agentId)) return { errcode: 301002, errmsg: 'not allow operate another agent with this accesstoken' }
    const problem = menuProblem(body.button)
    if (problem) return { errcode: 40058, errmsg: `invalid menu: ${problem}` }
    fake.menus.set(query.agentid, body)
    return { errcode: 0, errmsg: 'ok' }
  }

  function menuRead(api: 'menu/get' | 'menu/delete', query: Record<string, string>): Record<string, unknown> {
    const agent = query.agentid ?? ''
    if (agent !== String(agentId)) return { errcode: 301002, errmsg: 'not allow operate another agent with this accesstoken' }
    if (api === 'menu/delete') {
      fake.menus.delete(agent)
      return { errcode: 0, errmsg: 'ok' }
    }
    const menu = fake.menus.get(agent)
    return menu === undefined ? { errcode: 46003, errmsg: 'menu no exist' } : { errcode: 0, errmsg: 'ok', ...(menu as Record<string, unknown>) }
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
    const mediaRequest = api === 'media/get' ? trackMediaRequest(query, req.headers.range, record) : undefined
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
    if (mediaRequest && fault?.kind !== 'errcode') return serveMedia(req, res, query, record, mediaRequest, fault?.kind === 'deliver-then-drop')
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

  function trackMediaRequest(query: Record<string, string>, range: string | undefined, record: RecordedRequest): FakeMediaRequest {
    const entry: FakeMediaRequest = {
      mediaId: query.media_id ?? '',
      range: range ?? null,
      bytes: 0,
      get outcome() {
        return record.outcome
      },
    }
    fake.mediaRequests.push(entry)
    return entry
  }

  /**
   * media/get (docs/wecom.md, Media people send): the bytes with their Content-Type and
   * Content-disposition, 206 and Content-Range for a Range; errors as JSON with HTTP 200 (token
   * errors, 41006 no id, 40007 unknown or expired id, 830002 a range over 20 MB). `cutShort`
   * (the deliver-then-drop fault): half the bytes, then the connection closes.
   */
  function serveMedia(req: IncomingMessage, res: ServerResponse, query: Record<string, string>, record: RecordedRequest, entry: FakeMediaRequest, cutShort: boolean): void {
    const json = (errcode: number, errmsg: string) => {
      record.outcome = errcode
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ errcode, errmsg }))
    }
    const tokenError = checkToken(query)
    if (tokenError) return json(tokenError, tokenError === 42001 ? 'access_token expired' : 'invalid access_token')
    if (!query.media_id) return json(41006, 'media_id missing')
    const file = media.get(query.media_id)
    if (!file || clock() - file.issuedAt >= MEDIA_LIFETIME_MS) return json(40007, 'invalid media_id')
    const size = file.data.length
    let start = 0
    let end = size - 1
    const range = file.ignoresRange ? undefined : req.headers.range
    if (range !== undefined) {
      const asked = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(range)
      const first = asked?.[1] ? Number(asked[1]) : undefined
      const last = asked?.[2] ? Number(asked[2]) : undefined
      if (first === undefined && last !== undefined) start = Math.max(0, size - last)
      else if (first !== undefined) {
        start = first
        if (last !== undefined) end = Math.min(last, size - 1)
      }
      if (!asked || (first === undefined && last === undefined) || (first !== undefined && last !== undefined && last < first) || start >= size) {
        record.outcome = 416
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end()
        return
      }
    }
    if (end - start + 1 > FAKE_MEDIA_RANGE_LIMIT) return json(830002, 'range size exceed limit')
    const body = file.data.subarray(start, end + 1)
    const status = range === undefined ? 200 : 206
    record.outcome = status
    res.writeHead(status, {
      // Raw UTF-8 on the wire: Node writes a header string's characters as single bytes. Before
      // Content-Length, which would make Node re-encode this header.
      'content-disposition': `attachment; filename="${Buffer.from(file.filename, 'utf8').toString('latin1')}"`,
      'content-type': file.contentType,
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    })
    if (cutShort) {
      const half = body.subarray(0, Math.floor(body.length / 2))
      entry.bytes = half.length
      record.outcome = 'dropped'
      res.write(half, () => req.socket.destroy())
      return
    }
    entry.bytes = body.length
    res.end(body)
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

const CARD_TYPES = new Set(['text_notice', 'news_notice', 'button_interaction', 'vote_interaction', 'multiple_interaction'])
/** Card types a member taps: each send, and each tap, issues a response code. */
const INTERACTIVE_CARDS = new Set(['button_interaction', 'vote_interaction', 'multiple_interaction'])

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** What is wrong with a menu's `button` list, as WeCom would refuse it; undefined when nothing is. */
function menuProblem(buttons: unknown): string | undefined {
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) return 'button: 1 to 3 items'
  for (const button of buttons as unknown[]) {
    if (!isRecord(button)) return 'button'
    if (typeof button.name !== 'string' || button.name === '' || Buffer.byteLength(button.name) > 16) return 'name: at most 16 bytes'
    if (button.sub_button === undefined) {
      const problem = menuItemProblem(button)
      if (problem) return problem
      continue
    }
    const subs = button.sub_button
    if (!Array.isArray(subs) || subs.length < 1 || subs.length > 5) return 'sub_button: 1 to 5 items'
    for (const sub of subs as unknown[]) {
      if (!isRecord(sub)) return 'sub_button'
      if (typeof sub.name !== 'string' || sub.name === '' || Buffer.byteLength(sub.name) > 40) return 'sub-item name: at most 40 bytes'
      const problem = menuItemProblem(sub)
      if (problem) return problem
    }
  }
  return undefined
}

/** WeCom's item types other than view all send an event carrying the key. */
const KEYED_MENU_TYPES = new Set(['click', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto', 'pic_photo_or_album', 'pic_weixin', 'location_select'])

function menuItemProblem(item: Record<string, unknown>): string | undefined {
  if (item.type === 'view') return typeof item.url === 'string' && item.url !== '' ? undefined : 'view: url required'
  if (!KEYED_MENU_TYPES.has(String(item.type))) return `type ${String(item.type)}`
  if (typeof item.key !== 'string' || item.key === '' || Buffer.byteLength(item.key) > 128) return 'key: 1 to 128 bytes'
  return undefined
}
