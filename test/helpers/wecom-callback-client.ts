import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeCallback, openPassiveReply as openReply, textMessageXml } from '../../src/wecom/callback/wecom-sender.js'
import { cdata } from '../../src/wecom/callback/parse-xml.js'

/** The credentials the tests configure; the AES key is the official sample's (docs/wecom.md, The official worked example). */
export const SECRETS = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'ww1436e0e65a779aee' }

let nextMsgId = 4561255354251345929n

/** A distinct 64-bit MsgId, beyond Number.MAX_SAFE_INTEGER as WeCom's are. */
export function newMsgId(): string {
  nextMsgId += 1n
  return nextMsgId.toString()
}

const seconds = (at: Date) => Math.floor(at.getTime() / 1000)

/**
 * In the suite (LOG_CAPTURE_DIR set by test/log-capture/global-setup.ts), every text message
 * built here is recorded in `<dir>/typed-texts-<pid>.jsonl`, one JSON string a line, so that the
 * log scan can check that no log line repeats what a person typed.
 */
export function recordTypedText(content: string, dir = process.env.LOG_CAPTURE_DIR): void {
  if (dir) appendFileSync(join(dir, `typed-texts-${process.pid}.jsonl`), `${JSON.stringify(content)}\n`)
}

export function textXml(from: string, content: string, options: { msgId?: string; at?: Date; cdata?: boolean } = {}): string {
  recordTypedText(content)
  return textMessageXml(SECRETS.corpId, from, content, options.msgId ?? newMsgId(), options.at ?? new Date(), options.cdata !== false)
}

export function eventXml(from: string, event: string, options: { at?: Date; eventKey?: string } = {}): string {
  return (
    `<xml><ToUserName><![CDATA[${SECRETS.corpId}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>` +
    `<CreateTime>${seconds(options.at ?? new Date())}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
    `<Event><![CDATA[${event}]]></Event><EventKey><![CDATA[${options.eventKey ?? ''}]]></EventKey><AgentID>1000002</AgentID></xml>`
  )
}

/** A tap on a button card, as WeCom posts it (docs/cards.md, Taps). */
export function cardTapXml(from: string, taskId: string, key: string, options: { at?: Date; responseCode?: string; select?: string } = {}): string {
  const selected = options.select === undefined ? '' : `<SelectedItems><SelectedItem><QuestionKey><![CDATA[item]]></QuestionKey><OptionIds><OptionId><![CDATA[${options.select}]]></OptionId></OptionIds></SelectedItem></SelectedItems>`
  return (
    `<xml><ToUserName><![CDATA[${SECRETS.corpId}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>` +
    `<CreateTime>${seconds(options.at ?? new Date())}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>` +
    `<EventKey><![CDATA[${key}]]></EventKey><TaskId><![CDATA[${taskId}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>` +
    `<ResponseCode><![CDATA[${options.responseCode ?? 'rc-' + newMsgId()}]]></ResponseCode>${selected}<AgentID>1000002</AgentID></xml>`
  )
}

export function imageXml(from: string, options: { at?: Date; msgId?: string } = {}): string {
  return (
    `<xml><ToUserName><![CDATA[${SECRETS.corpId}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>` +
    `<CreateTime>${seconds(options.at ?? new Date())}</CreateTime><MsgType><![CDATA[image]]></MsgType>` +
    `<PicUrl><![CDATA[https://example.invalid/p.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>${options.msgId ?? newMsgId()}</MsgId><AgentID>1000002</AgentID></xml>`
  )
}

/**
 * A media message's fields as a test gives them: each as WeCom would write it, or left out when
 * undefined (to build malformed messages). Coordinates and the scale are written as given.
 */
export type MediaFields =
  | { type: 'image'; mediaId?: string; picUrl?: string }
  | { type: 'voice'; mediaId?: string; format?: string }
  | { type: 'video'; mediaId?: string; thumbMediaId?: string }
  | { type: 'location'; latitude?: number | string; longitude?: number | string; scale?: number | string; label?: string }

/** An image, voice, video or location message, as WeCom posts it (docs/wecom.md, Callback messages). */
export function mediaXml(from: string, media: MediaFields, options: { msgId?: string; at?: Date } = {}): string {
  const field = (name: string, value: string | number | undefined, wrap = true) =>
    value === undefined ? '' : `<${name}>${wrap ? cdata(String(value)) : String(value)}</${name}>`
  let fields: string
  switch (media.type) {
    case 'image':
      fields = field('PicUrl', media.picUrl) + field('MediaId', media.mediaId)
      break
    case 'voice':
      fields = field('MediaId', media.mediaId) + field('Format', media.format)
      break
    case 'video':
      fields = field('MediaId', media.mediaId) + field('ThumbMediaId', media.thumbMediaId)
      break
    case 'location':
      // A place's name is what a person chose to share: the log scan looks for it like typed text.
      if (media.label) recordTypedText(media.label)
      fields = field('Location_X', media.latitude, false) + field('Location_Y', media.longitude, false) + field('Scale', media.scale, false) + field('Label', media.label)
      break
  }
  return (
    `<xml><ToUserName>${cdata(SECRETS.corpId)}</ToUserName><FromUserName>${cdata(from)}</FromUserName>` +
    `<CreateTime>${seconds(options.at ?? new Date())}</CreateTime><MsgType>${cdata(media.type)}</MsgType>` +
    `${fields}<MsgId>${options.msgId ?? newMsgId()}</MsgId><AgentID>1000002</AgentID></xml>`
  )
}

export interface SignedRequest {
  query: Record<string, string>
  body: string
}

/** Encrypts and signs like WeCom: the envelope, and msg_signature over token, timestamp, nonce and Encrypt. */
export function sign(inner: string, options: { at?: Date; nonce?: string; receiveId?: string; ciphertext?: string } = {}): SignedRequest {
  return encodeCallback(SECRETS, inner, options)
}

export async function post(url: string, request: SignedRequest, init: { method?: string; body?: string } = {}): Promise<Response> {
  const target = new URL(url)
  for (const [key, value] of Object.entries(request.query)) target.searchParams.append(key, value)
  return fetch(target, { method: init.method ?? 'POST', body: init.body ?? request.body, headers: { 'content-type': 'text/xml' } })
}

/** Opens a passive reply as WeCom would: checks its signature, decrypts it, reads the text. */
export function openPassiveReply(body: string): { toUser: string; content: string; msgType: string } {
  return openReply(SECRETS, body)
}
