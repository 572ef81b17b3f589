import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SECRETS } from '../helpers/wecom-callback-client.js'
import { createTypedTextMatcher, readTypedTexts } from './typed-texts.js'

/**
 * What the test suite configures as secrets, and a scan of captured log lines (LOG_CAPTURE_DIR,
 * see src/logger.ts) for any of them, for the fake WeCom server's access tokens, for any secret
 * in a URL's query, and for what the tests typed as messages (docs/logging.md). A hit names the
 * file, the line and which secret, never the secret itself; for a typed text (test data), the
 * part found, so that the test that typed it can be found.
 */
export const SUITE_SECRETS: Readonly<Record<string, string>> = {
  'callback Token (WECOM_TOKEN)': SECRETS.token,
  'EncodingAESKey (WECOM_AES_KEY)': SECRETS.aesKey,
  'another EncodingAESKey (callback-crypto.test)': 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  'app Secret of the fake server': 'fake-secret',
  'app Secret (service-delivery.test)': 'real-looking-secret',
  'app Secret (config.test)': 's3cr3t-value',
  'robot key of the fake server': 'robot-key-1',
  'robot key (config.test)': '693a91f6-7xxx',
}

const PATTERNS: Readonly<Record<string, RegExp>> = {
  'an access token issued by the fake WeCom server': /fake-token-\d+-[a-z0-9]+/,
  'an access token in a URL': /access_token=(?!\[redacted\])[^&\s"'\\]+/,
  'an app Secret in a URL': /corpsecret=(?!\[redacted\])[^&\s"'\\]+/,
}

export interface LogHit {
  file: string
  line: number
  what: string
}

/** The random token and key each console-mode service made for itself (newDevCallbackFile puts them here). */
function devCallbackSecrets(dir: string, names: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {}
  for (const name of names.filter((n) => /^dev-callback-.*\.json$/.test(n))) {
    const secrets = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { token: string; aesKey: string }
    found[`console-mode callback Token (${name})`] = secrets.token
    found[`console-mode EncodingAESKey (${name})`] = secrets.aesKey
  }
  return found
}

/** Every line of every captured log file in `dir` that holds a secret or a text a test typed (recorded in `dir`). */
export function scanLogDirectory(dir: string, known: Readonly<Record<string, string>> = SUITE_SECRETS): { hits: LogHit[]; lines: number; files: number; typedTexts: number } {
  const hits: LogHit[] = []
  let lines = 0
  const names = existsSync(dir) ? readdirSync(dir) : []
  const secrets = { ...known, ...devCallbackSecrets(dir, names) }
  const typedTexts = readTypedTexts(dir, names)
  const typed = createTypedTextMatcher(typedTexts)
  const files = names.filter((f) => f.endsWith('.ndjson'))
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8')
    for (const [index, line] of text.split('\n').entries()) {
      if (line === '') continue
      lines += 1
      for (const [what, value] of Object.entries(secrets)) if (line.includes(value)) hits.push({ file, line: index + 1, what })
      for (const [what, pattern] of Object.entries(PATTERNS)) if (pattern.test(line)) hits.push({ file, line: index + 1, what })
      const part = typed.find(line)
      if (part !== undefined) hits.push({ file, line: index + 1, what: `typed message text ${JSON.stringify(part)}` })
    }
  }
  return { hits, lines, files: files.length, typedTexts: typedTexts.size }
}
