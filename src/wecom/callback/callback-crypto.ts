import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto'
import { decrypt, encrypt } from '@wecom/crypto'

/**
 * The WeCom callback cryptography, pure: strings and Buffers in and out, nothing of HTTP or XML
 * (docs/architecture.md, How the code is built). Signature: SHA-1 of token, timestamp, nonce and ciphertext sorted and joined
 * (docs/wecom.md, URL verification). Decryption is @wecom/crypto's, guarded: that library neither checks the
 * PKCS#7 padding nor the length field, so malformed ciphertext is refused here first.
 */

/** Why a ciphertext was refused: it is not what WeCom produces (400), or it is for another corp (401). */
export class CallbackCryptoError extends Error {
  constructor(
    readonly reason: 'malformed' | 'receiveid',
    message: string,
  ) {
    super(message)
    this.name = 'CallbackCryptoError'
  }
}

// @wecom/crypto's CommonJS build does not export getSignature (only its ESM build does), so
// the four-line algorithm is written out here rather than depend on which build Node loads.
export function computeSignature(token: string, timestamp: string, nonce: string, ciphertext: string): string {
  return createHash('sha1').update([token, timestamp, nonce, ciphertext].sort().join('')).digest('hex')
}

/** Constant-time comparison of the signature WeCom sent with the one computed. */
export function signatureMatches(received: string, token: string, timestamp: string, nonce: string, ciphertext: string): boolean {
  const expected = Buffer.from(computeSignature(token, timestamp, nonce, ciphertext), 'utf8')
  const actual = Buffer.from(received.toLowerCase(), 'utf8')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Decrypts a callback ciphertext and checks that it was meant for `receiveId` (our CorpID).
 * Throws CallbackCryptoError('malformed') for anything WeCom would not have produced and
 * CallbackCryptoError('receiveid') for a message for another corp.
 */
export function decryptCallback(aesKey: string, ciphertext: string, receiveId: string): string {
  if (!BASE64.test(ciphertext)) throw new CallbackCryptoError('malformed', 'ciphertext is not base64')
  const raw = Buffer.from(ciphertext, 'base64')
  // random(16) + length(4) + padding: at least two AES blocks, always whole blocks.
  if (raw.length < 32 || raw.length % 16 !== 0) throw new CallbackCryptoError('malformed', `ciphertext of ${raw.length} bytes is not whole AES blocks`)
  const key = Buffer.from(`${aesKey}=`, 'base64')
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16))
  decipher.setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(raw), decipher.final()])
  const pad = plain[plain.length - 1]!
  // WeCom pads PKCS#7 to 32 bytes (docs/wecom.md, Callback messages): 1–32 bytes, each holding the pad length.
  if (pad < 1 || pad > 32 || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
    throw new CallbackCryptoError('malformed', 'bad padding')
  }
  const content = plain.length - pad
  const length = content >= 20 ? plain.readUInt32BE(16) : -1
  if (length < 0 || 20 + length > content) throw new CallbackCryptoError('malformed', 'length field larger than the data')
  const { message, id } = decrypt(aesKey, ciphertext)
  if (id !== receiveId) throw new CallbackCryptoError('receiveid', 'receiveid is not our CorpID')
  return message
}

/** Encrypts a passive reply for WeCom (receiveid = our CorpID). */
export function encryptReply(aesKey: string, plaintext: string, receiveId: string): string {
  return encrypt(aesKey, plaintext, receiveId)
}
