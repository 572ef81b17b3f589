import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ensureDirectory } from '../db/ensure-directory.js'
import type { CallbackSecrets } from '../wecom/callback/open-callback.js'

/** Where console mode keeps its local callback secrets, beside the default database. */
export const DEFAULT_DEV_CALLBACK_FILE = 'data/dev-callback.json'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const randomText = (length: number) => [...randomBytes(length)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('')

/** What the dev callback file holds: the secrets, and where the service last listened. */
interface DevCallbackFile extends CallbackSecrets {
  /** The callback URL of the service that started last in console mode, e.g. http://127.0.0.1:3000/wecom/callback. */
  url?: string
}

/**
 * Console mode (no WeCom credentials) still answers the callback, so that `npm run chat` can
 * play WeCom on this machine. Its token and key are made once, at random, and kept in a file
 * only this user can read: nobody else can sign a message to it.
 */
export function loadOrCreateDevSecrets(file = DEFAULT_DEV_CALLBACK_FILE): CallbackSecrets {
  const known = readDevCallback(file)
  if (known) return known.secrets
  // 43 characters decode to 32 bytes; the last one's two lowest bits are unused, so keep them zero (canonical base64).
  const aesKey = `${randomText(42)}${'AQgw'[randomBytes(1)[0]! % 4]}`
  const secrets: CallbackSecrets = { token: randomText(32), aesKey, corpId: 'wwlocaldevelopment' }
  writeDevCallback(file, secrets)
  return secrets
}

/** The secrets and the last callback URL in the dev callback file; null when there is no file. */
export function readDevCallback(file = DEFAULT_DEV_CALLBACK_FILE): { secrets: CallbackSecrets; url: string | null } | null {
  if (!existsSync(file)) return null
  const { token, aesKey, corpId, url } = JSON.parse(readFileSync(file, 'utf8')) as DevCallbackFile
  return { secrets: { token, aesKey, corpId }, url: typeof url === 'string' ? url : null }
}

/**
 * Console mode, at every start: the callback URL the service listens on (its actual port, so
 * PORT=0 works too) is written beside the secrets, where `npm run chat` finds it.
 */
export function recordDevCallbackUrl(file: string, url: string): void {
  writeDevCallback(file, { ...loadOrCreateDevSecrets(file), url })
}

/** Written whole under another name, then renamed: `npm run chat` never reads half a file. */
function writeDevCallback(file: string, content: DevCallbackFile): void {
  ensureDirectory(dirname(file))
  const partial = `${file}.${process.pid}.tmp`
  writeFileSync(partial, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 })
  chmodSync(partial, 0o600)
  renameSync(partial, file)
}
