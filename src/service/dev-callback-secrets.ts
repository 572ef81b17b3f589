import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ensureDirectory } from '../db/ensure-directory.js'
import type { CallbackSecrets } from '../wecom/callback/open-callback.js'

/** Where console mode keeps its local callback secrets, beside the default database. */
export const DEFAULT_DEV_CALLBACK_FILE = 'data/dev-callback.json'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const randomText = (length: number) => [...randomBytes(length)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('')

/**
 * Console mode (no WeCom credentials) still answers the callback, so that `npm run chat` can
 * play WeCom on this machine. Its token and key are made once, at random, and kept in a file
 * only this user can read: nobody else can sign a message to it.
 */
export function loadOrCreateDevSecrets(file = DEFAULT_DEV_CALLBACK_FILE): CallbackSecrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as CallbackSecrets
  // 43 characters decode to 32 bytes; the last one's two lowest bits are unused, so keep them zero (canonical base64).
  const aesKey = `${randomText(42)}${'AQgw'[randomBytes(1)[0]! % 4]}`
  const secrets: CallbackSecrets = { token: randomText(32), aesKey, corpId: 'wwlocaldevelopment' }
  ensureDirectory(dirname(file))
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return secrets
}
