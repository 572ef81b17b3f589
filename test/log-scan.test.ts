import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.js'
import { scanLogDirectory, SUITE_SECRETS } from './log-capture/scan-logs.js'
import { SECRETS } from './helpers/wecom-callback-client.js'

/**
 * The log scan of the whole suite (test/log-capture/global-setup.ts) catches a logged secret:
 * here the real logger writes to a capture folder of this test's own, so the suite's scan is
 * not touched, and that folder is scanned.
 */
describe('the log scan', () => {
  const folders: string[] = []
  const saved = process.env.LOG_CAPTURE_DIR
  afterEach(() => {
    process.env.LOG_CAPTURE_DIR = saved
    for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  /** A logger of the given level whose lines are captured into a fresh folder. */
  function capturedLogger(level: string) {
    const dir = mkdtempSync(join(tmpdir(), 'log-scan-test-'))
    folders.push(dir)
    process.env.LOG_CAPTURE_DIR = dir
    const logger = createLogger(level, new Writable({ write: (_chunk, _encoding, done) => done() }))
    process.env.LOG_CAPTURE_DIR = saved
    return { logger, dir }
  }

  it('finds a secret written into a message or a URL, even from a silenced logger', () => {
    const { logger, dir } = capturedLogger('silent')
    logger.info('all quiet')
    logger.warn(`callback token is ${SECRETS.token}`)
    logger.warn({ url: 'http://127.0.0.1:9/cgi-bin/gettoken?corpid=ww1&corpsecret=fake-secret' }, 'fetching a token')
    logger.error({ response: { body: 'access_token=fake-token-7-x1y2z3' } }, 'odd answer')
    const { hits, lines } = scanLogDirectory(dir)
    expect(lines).toBe(4)
    expect(hits.map((h) => `${h.line} ${h.what}`)).toEqual([
      '2 callback Token (WECOM_TOKEN)',
      '3 app Secret of the fake server',
      '3 an app Secret in a URL',
      '4 an access token issued by the fake WeCom server',
      '4 an access token in a URL',
    ])
    // A hit says where and what, never the secret.
    expect(JSON.stringify(hits)).not.toContain(SECRETS.token)
  })

  it('finds nothing where the logger redacted: secret fields, and tokens in an error’s message and stack', () => {
    const { logger, dir } = capturedLogger('info')
    logger.info({ token: SECRETS.token, aesKey: SECRETS.aesKey, config: { secret: 'fake-secret', robotKey: 'robot-key-1' } }, 'configured')
    logger.error({ err: new Error('GET http://127.0.0.1:9/cgi-bin/message/send?access_token=fake-token-3-abc9 failed (key=robot-key-1)') }, 'send failed')
    const text = readFileSync(join(dir, `${process.pid}.ndjson`), 'utf8')
    expect(text).toContain('[redacted]')
    expect(text).toContain('access_token=[redacted]')
    expect(scanLogDirectory(dir)).toEqual({ hits: [], lines: 2, files: 1 })
  })

  it('knows the random secrets each console-mode service made in the capture folder', () => {
    const { logger, dir } = capturedLogger('silent')
    writeFileSync(join(dir, 'dev-callback-1-abc.json'), JSON.stringify({ token: 'Zq8RandomLocalToken', aesKey: 'K'.repeat(43), corpId: 'wwlocaldevelopment' }))
    logger.info({ query: { note: 'seen Zq8RandomLocalToken' } }, 'oops')
    expect(scanLogDirectory(dir).hits.map((h) => h.what)).toEqual(['console-mode callback Token (dev-callback-1-abc.json)'])
  })

  it('knows every secret the suite configures', () => {
    expect(Object.values(SUITE_SECRETS)).toEqual(expect.arrayContaining([SECRETS.token, SECRETS.aesKey]))
  })
})
