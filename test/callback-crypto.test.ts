import { describe, expect, it } from 'vitest'
import { encrypt } from '@wecom/crypto'
import { createCipheriv } from 'node:crypto'
import { CallbackCryptoError, computeSignature, decryptCallback, signatureMatches } from '../src/wecom/callback/callback-crypto.js'
import { openCallback, verifyCallbackUrl } from '../src/wecom/callback/open-callback.js'
import { CallbackVerificationError } from '../src/wecom/errors.js'

// The official worked example (docs/wecom.md: weworkapi_php callback/Sample.php).
const SECRETS = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' }
const GET = {
  msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
}
const POST_QUERY = { msg_signature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149' }
const POST_BODY =
  '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>'

/** Encrypts raw plaintext bytes exactly, with the given padding, to build malformed ciphertexts. */
function rawCipher(plain: Buffer): string {
  const key = Buffer.from(`${SECRETS.aesKey}=`, 'base64')
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

function framed(message: string, lengthField: number, pad: number): Buffer {
  const body = Buffer.concat([Buffer.alloc(16, 1), Buffer.alloc(4), Buffer.from(message), Buffer.from(SECRETS.corpId)])
  body.writeUInt32BE(lengthField, 16)
  const total = Math.ceil((body.length + 1) / 32) * 32
  const padLength = total - body.length
  return Buffer.concat([body, Buffer.alloc(padLength, pad === -1 ? padLength : pad)])
}

describe('the official WeCom worked example', () => {
  it('verifies the callback URL and answers the decrypted echostr', () => {
    expect(verifyCallbackUrl(GET, SECRETS, new Date(1409659589_000))).toBe('1616140317555161061')
  })

  it('opens the sample message: text "hello" from mycreate, MsgId kept exactly', () => {
    const message = openCallback(POST_QUERY, POST_BODY, SECRETS, new Date(1409659813_000))
    expect(message).toEqual({
      kind: 'text',
      from: 'mycreate',
      createTime: '1409659813',
      agentId: '218',
      msgId: '4561255354251345929',
      content: 'hello',
      dedupeKey: 'msg:4561255354251345929:mycreate',
    })
  })
})

describe('signatures', () => {
  it('matches the published signature and rejects any other in constant time', () => {
    expect(computeSignature(SECRETS.token, GET.timestamp, GET.nonce, GET.echostr)).toBe(GET.msg_signature)
    expect(signatureMatches(GET.msg_signature, SECRETS.token, GET.timestamp, GET.nonce, GET.echostr)).toBe(true)
    expect(signatureMatches(GET.msg_signature.replace('5', '6'), SECRETS.token, GET.timestamp, GET.nonce, GET.echostr)).toBe(false)
    expect(signatureMatches('short', SECRETS.token, GET.timestamp, GET.nonce, GET.echostr)).toBe(false)
  })
})

describe('guarded decryption', () => {
  const decrypt = (ciphertext: string) => decryptCallback(SECRETS.aesKey, ciphertext, SECRETS.corpId)
  const reason = (ciphertext: string) => {
    try {
      decrypt(ciphertext)
    } catch (error) {
      if (error instanceof CallbackCryptoError) return error.reason
      throw error
    }
    return 'accepted'
  }

  it('round-trips what @wecom/crypto encrypts, emoji included', () => {
    expect(decrypt(encrypt(SECRETS.aesKey, '<xml>进度 12 60% 👍</xml>', SECRETS.corpId))).toBe('<xml>进度 12 60% 👍</xml>')
  })

  it.each([
    ['not base64', 'this is not base64!'],
    ['truncated', GET.echostr.slice(0, 40)],
    ['not whole blocks', Buffer.alloc(40, 7).toString('base64')],
    ['bad padding value', rawCipher(framed('<xml/>', 6, 0))],
    ['inconsistent padding bytes', rawCipher(Buffer.concat([framed('<xml/>', 6, -1).subarray(0, -2), Buffer.from([3, 4])]))],
    ['a length field larger than the data', rawCipher(framed('<xml/>', 4000, -1))],
  ])('refuses %s as malformed, without throwing anything else', (_name, ciphertext) => {
    expect(reason(ciphertext)).toBe('malformed')
  })

  it('refuses a message for another corp', () => {
    expect(reason(encrypt(SECRETS.aesKey, '<xml/>', 'wwanothercorp0001'))).toBe('receiveid')
  })

  it('refuses the sample under the wrong key, as the library never would', () => {
    const other = { ...SECRETS, aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }
    expect(() => verifyCallbackUrl(GET, other, new Date(1409659589_000))).toThrow(CallbackVerificationError)
  })
})

describe('event keys', () => {
  it('hashes a key too long for the column instead of cutting it, so two long events stay two', async () => {
    const { parseInbound } = await import('../src/wecom/callback/inbound-message.js')
    const event = (key: string) =>
      `<xml><FromUserName>zhangwei</FromUserName><CreateTime>1409659813</CreateTime><MsgType>event</MsgType><Event>template_card_event</Event><EventKey>${key}</EventKey><TaskId>t1</TaskId></xml>`
    const long = 'k'.repeat(300)
    const a = parseInbound(event(`${long}a`))
    const b = parseInbound(event(`${long}b`))
    expect(a.dedupeKey).not.toBe(b.dedupeKey)
    expect(a.dedupeKey.length).toBeLessThanOrEqual(191)
    expect(parseInbound(event('short')).dedupeKey).toBe('card:zhangwei:t1:short:')
    const menu = parseInbound('<xml><FromUserName>zhangwei</FromUserName><CreateTime>1409659813</CreateTime><MsgType>event</MsgType><Event>click</Event><EventKey>menu:todo</EventKey></xml>')
    expect(menu.dedupeKey).toBe('event:zhangwei:1409659813:click:menu:todo:')
  })

  it('keys a card tap on sender, card, button and response code (not its time), and reads its selection', async () => {
    const { parseInbound } = await import('../src/wecom/callback/inbound-message.js')
    const tap = (time: number, code: string, options: string) =>
      `<xml><FromUserName>LiNa</FromUserName><CreateTime>${time}</CreateTime><MsgType>event</MsgType><Event>template_card_event</Event><EventKey>done</EventKey><TaskId>c1x</TaskId><CardType>button_interaction</CardType><ResponseCode>${code}</ResponseCode><SelectedItems><SelectedItem><QuestionKey>item</QuestionKey><OptionIds>${options}</OptionIds></SelectedItem></SelectedItems></xml>`
    const first = parseInbound(tap(1409659813, 'rc1', '<OptionId>12</OptionId>'))
    expect(first.dedupeKey).toBe('card:lina:c1x:done:rc1')
    expect(parseInbound(tap(1409659899, 'rc1', '<OptionId>12</OptionId>')).dedupeKey).toBe(first.dedupeKey)
    expect(parseInbound(tap(1409659813, 'rc2', '<OptionId>12</OptionId>')).dedupeKey).toBe('card:lina:c1x:done:rc2')
    expect(first.kind === 'event' && first.selected).toEqual([{ questionKey: 'item', optionIds: ['12'] }])
    const two = parseInbound(tap(1409659813, 'rc3', '<OptionId>12</OptionId><OptionId><![CDATA[13]]></OptionId>'))
    expect(two.kind === 'event' && two.selected).toEqual([{ questionKey: 'item', optionIds: ['12', '13'] }])
  })
})
