import { randomBytes } from 'node:crypto'
import { encrypt } from '@wecom/crypto'
import { computeSignature, decryptCallback } from './callback-crypto.js'
import type { CallbackSecrets } from './open-callback.js'
import { cdata, parseWeComXml, xmlText } from './parse-xml.js'

/**
 * WeCom's side of the callback, for the chat simulator and the tests: builds a message as WeCom
 * does (inner XML, encrypted with receiveid = CorpID, envelope, msg_signature) and opens a
 * passive reply as WeCom would.
 */
export function textMessageXml(corpId: string, from: string, content: string, msgId: string, at: Date, useCdata = true): string {
  const wrap = (value: string) => (useCdata ? cdata(value) : value)
  return (
    `<xml><ToUserName>${wrap(corpId)}</ToUserName>\n<FromUserName>${wrap(from)}</FromUserName>\n` +
    `<CreateTime>${Math.floor(at.getTime() / 1000)}</CreateTime>\n<MsgType>${wrap('text')}</MsgType>\n` +
    `<Content>${wrap(content)}</Content>\n<MsgId>${msgId}</MsgId>\n<AgentID>1000002</AgentID>\n</xml>`
  )
}

export interface SignedCallback {
  query: Record<string, string>
  body: string
}

export function encodeCallback(
  secrets: CallbackSecrets,
  inner: string,
  options: { at?: Date; nonce?: string; receiveId?: string; ciphertext?: string } = {},
): SignedCallback {
  const timestamp = String(Math.floor((options.at ?? new Date()).getTime() / 1000))
  const nonce = options.nonce ?? randomBytes(6).toString('hex')
  const ciphertext = options.ciphertext ?? encrypt(secrets.aesKey, inner, options.receiveId ?? secrets.corpId)
  return {
    query: { msg_signature: computeSignature(secrets.token, timestamp, nonce, ciphertext), timestamp, nonce },
    body: `<xml><ToUserName>${cdata(secrets.corpId)}</ToUserName><Encrypt>${cdata(ciphertext)}</Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
  }
}

/** Checks a passive reply's signature, decrypts it and reads it. */
export function openPassiveReply(secrets: CallbackSecrets, body: string): { toUser: string; content: string; msgType: string } {
  const envelope = parseWeComXml(body)
  const encrypted = xmlText(envelope, 'Encrypt') ?? ''
  const signature = computeSignature(secrets.token, xmlText(envelope, 'TimeStamp') ?? '', xmlText(envelope, 'Nonce') ?? '', encrypted)
  if (signature !== xmlText(envelope, 'MsgSignature')) throw new Error('passive reply signature does not match')
  const inner = parseWeComXml(decryptCallback(secrets.aesKey, encrypted, secrets.corpId))
  return { toUser: xmlText(inner, 'ToUserName') ?? '', content: xmlText(inner, 'Content') ?? '', msgType: xmlText(inner, 'MsgType') ?? '' }
}

/** A 64-bit MsgId, as WeCom's are (beyond Number.MAX_SAFE_INTEGER). */
export function randomMsgId(): string {
  return (BigInt(`0x${randomBytes(8).toString('hex')}`) & 0x7fffffffffffffffn).toString()
}
