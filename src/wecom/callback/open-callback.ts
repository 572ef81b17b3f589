import { CallbackVerificationError } from '../errors.js'
import { CallbackCryptoError, computeSignature, decryptCallback, encryptReply, signatureMatches } from './callback-crypto.js'
import { parseInbound, type WeComInbound } from './inbound-message.js'
import { cdata, parseWeComXml, xmlText, XmlRejectedError } from './parse-xml.js'

/** What the callback needs from the app's configuration (「接收消息 → 设置API接收」). */
export interface CallbackSecrets {
  token: string
  aesKey: string
  corpId: string
}

/** As koa gives it: a parameter given twice arrives as an array, which is refused (400). */
export type CallbackQuery = Readonly<Record<string, string | string[] | undefined>>

/** Reject timestamps further than this from our clock, default 300 s. */
const DEFAULT_WINDOW_SECONDS = 300

function requireParams(query: CallbackQuery, names: string[]): Record<string, string> {
  const missing = names.filter((name) => !query[name])
  if (missing.length > 0) throw new CallbackVerificationError(400, 'missing_parameter', `missing query parameter(s): ${missing.join(', ')}`)
  const repeated = names.filter((name) => Array.isArray(query[name]))
  if (repeated.length > 0) throw new CallbackVerificationError(400, 'repeated_parameter', `query parameter(s) given more than once: ${repeated.join(', ')}`)
  return Object.fromEntries(names.map((name) => [name, query[name] as string]))
}

function checkTimestamp(timestamp: string, now: Date, windowSeconds: number): void {
  if (!/^\d{1,12}$/.test(timestamp)) throw new CallbackVerificationError(400, 'bad_timestamp', 'timestamp is not a number')
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp))
  if (skew > windowSeconds) throw new CallbackVerificationError(401, 'stale_timestamp', `timestamp is ${Math.round(skew)} s away from our clock`)
}

/** Signature first: nothing is decrypted for a request that is not signed with our token. */
function verifyAndDecrypt(secrets: CallbackSecrets, params: Record<string, string>, ciphertext: string): string {
  if (!signatureMatches(params.msg_signature!, secrets.token, params.timestamp!, params.nonce!, ciphertext)) {
    throw new CallbackVerificationError(401, 'bad_signature', 'msg_signature does not match')
  }
  try {
    return decryptCallback(secrets.aesKey, ciphertext, secrets.corpId)
  } catch (error) {
    if (error instanceof CallbackCryptoError) {
      throw error.reason === 'receiveid'
        ? new CallbackVerificationError(401, 'wrong_receiveid', 'the message is for another corp')
        : new CallbackVerificationError(400, 'malformed_ciphertext', error.message)
    }
    throw error
  }
}

/**
 * URL verification (GET, docs/wecom.md, URL verification): the admin console sends msg_signature, timestamp, nonce
 * and echostr when an administrator saves the callback URL; we answer the decrypted echostr.
 * The query values arrive URL-decoded (koa decodes them).
 */
export function verifyCallbackUrl(query: CallbackQuery, secrets: CallbackSecrets, now: Date, windowSeconds = DEFAULT_WINDOW_SECONDS): string {
  const params = requireParams(query, ['msg_signature', 'timestamp', 'nonce', 'echostr'])
  checkTimestamp(params.timestamp!, now, windowSeconds)
  return verifyAndDecrypt(secrets, params, params.echostr!)
}

/**
 * A message callback (POST, docs/wecom.md, Callback messages): query parameters, then the envelope's Encrypt field,
 * signature, decryption, receiveid, and the inner message. Every failure is a
 * CallbackVerificationError with the HTTP status to answer.
 */
export function openCallback(
  query: CallbackQuery,
  body: string,
  secrets: CallbackSecrets,
  now: Date,
  windowSeconds = DEFAULT_WINDOW_SECONDS,
): WeComInbound {
  const params = requireParams(query, ['msg_signature', 'timestamp', 'nonce'])
  checkTimestamp(params.timestamp!, now, windowSeconds)
  let ciphertext: string
  try {
    ciphertext = xmlText(parseWeComXml(body), 'Encrypt') ?? ''
  } catch (error) {
    if (error instanceof XmlRejectedError) throw new CallbackVerificationError(400, 'bad_envelope', error.message)
    throw error
  }
  if (ciphertext === '') throw new CallbackVerificationError(400, 'bad_envelope', 'no Encrypt field')
  const plaintext = verifyAndDecrypt(secrets, params, ciphertext)
  try {
    return parseInbound(plaintext)
  } catch (error) {
    if (error instanceof XmlRejectedError) throw new CallbackVerificationError(400, 'bad_message', error.message)
    throw error
  }
}

/** The plaintext of a passive text reply (docs/wecom.md, Callback messages). */
export function textReplyXml(toUser: string, corpId: string, content: string, createTime: number): string {
  return (
    `<xml><ToUserName>${cdata(toUser)}</ToUserName><FromUserName>${cdata(corpId)}</FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>${cdata(content)}</Content></xml>`
  )
}

/** The encrypted, signed envelope of a passive reply. */
export function sealReply(secrets: CallbackSecrets, plaintext: string, timestamp: string, nonce: string): string {
  const encrypted = encryptReply(secrets.aesKey, plaintext, secrets.corpId)
  const signature = computeSignature(secrets.token, timestamp, nonce, encrypted)
  return `<xml><Encrypt>${cdata(encrypted)}</Encrypt><MsgSignature>${cdata(signature)}</MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce>${cdata(nonce)}</Nonce></xml>`
}
