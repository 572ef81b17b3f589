import { createCipheriv, createDecipheriv, createHash, randomFillSync, timingSafeEqual } from 'node:crypto'

/**
 * The WeCom callback cryptography, pure: strings and Buffers in and out, nothing of HTTP or XML
 * (docs/architecture.md, How the code is built). Signature: SHA-1 of token, timestamp, nonce and ciphertext sorted and joined
 * (docs/wecom.md, URL verification). Encryption and decryption are written out as @wecom/crypto lays them out (its
 * decrypt neither checks the PKCS#7 padding nor the length field, so malformed ciphertext is refused here), in one
 * pass each (docs/callback-speed.md).
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
  const key = keyOf(aesKey)
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
  // The layout @wecom/crypto's decrypt reads, from the bytes already decrypted and checked above
  // (decrypting a second time cost as much again): random(16), length(4), message, receiveid.
  const id = plain.toString('utf8', 20 + length, content)
  if (id !== receiveId) throw new CallbackCryptoError('receiveid', 'receiveid is not our CorpID')
  return plain.toString('utf8', 20, 20 + length)
}

/**
 * Encrypts a passive reply for WeCom (receiveid = our CorpID), laid out as @wecom/crypto's
 * encrypt does it: random(16), the message's length (4 bytes, big-endian), the message, the
 * receiveid, PKCS#7 padding to 32 bytes (docs/wecom.md, Callback messages) — written into one
 * buffer, with the key decoded once.
 */
export function encryptReply(aesKey: string, plaintext: string, receiveId: string): string {
  const key = keyOf(aesKey)
  const message = Buffer.from(plaintext, 'utf8')
  const id = Buffer.from(receiveId, 'utf8')
  const length = 20 + message.length + id.length
  const pad = 32 - (length % 32)
  const plain = Buffer.allocUnsafe(length + pad)
  randomBytesPooled(16).copy(plain, 0)
  plain.writeUInt32BE(message.length, 16)
  message.copy(plain, 20)
  id.copy(plain, 20 + message.length)
  plain.fill(pad, length)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

let pool = Buffer.alloc(0)
let pooled = 0

/**
 * Random bytes from the system's CSPRNG, drawn from a pool refilled 4 KiB at a time, as Node's
 * randomUUID does: one call for many replies (a call per reply cost as much as the encryption).
 * A refill replaces the pool, so bytes handed out are never overwritten.
 */
export function randomBytesPooled(size: number): Buffer {
  if (pooled + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(Math.max(4096, size)))
    pooled = 0
  }
  pooled += size
  return pool.subarray(pooled - size, pooled)
}

let cachedKey: { aesKey: string; key: Buffer } | undefined

/** The AES key: base64(EncodingAESKey + "="), 32 bytes (docs/wecom.md, Callback messages); the last one decoded is kept. */
function keyOf(aesKey: string): Buffer {
  if (cachedKey?.aesKey !== aesKey) {
    const key = Buffer.from(`${aesKey}=`, 'base64')
    if (key.length !== 32) throw new Error('invalid EncodingAESKey: it must be 43 characters of base64 (32 bytes)')
    cachedKey = { aesKey, key }
  }
  return cachedKey.key
}
