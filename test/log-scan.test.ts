import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.js'
import { scanLogDirectory, SUITE_SECRETS } from './log-capture/scan-logs.js'
import { createTypedTextMatcher, typedParts } from './log-capture/typed-texts.js'
import { recordTypedText, SECRETS, textXml } from './helpers/wecom-callback-client.js'

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
    expect(scanLogDirectory(dir)).toEqual({ hits: [], lines: 2, files: 1, typedTexts: 0 })
  })

  it('knows the random secrets each console-mode service made in the capture folder', () => {
    const { logger, dir } = capturedLogger('silent')
    writeFileSync(join(dir, 'dev-callback-1-abc.json'), JSON.stringify({ token: 'Zq8RandomLocalToken', aesKey: 'K'.repeat(43), corpId: 'wwlocaldevelopment' }))
    logger.info({ query: { note: 'seen Zq8RandomLocalToken' } }, 'oops')
    expect(scanLogDirectory(dir).hits.map((h) => h.what)).toEqual(['console-mode callback Token (dev-callback-1-abc.json)'])
  })

  it('finds a typed text of 6 or more characters (the command word removed) in a log line, as typed or JSON-escaped', () => {
    const { logger, dir } = capturedLogger('silent')
    const note = '已约谈"承办人"，材料齐全'
    const report = `本月召开推进会2次，查摆问题2个，1个已完成整改；${'下月继续推进'.repeat(10)}`
    process.env.LOG_CAPTURE_DIR = dir
    textXml('zhaolei', `进度 3 60% ${note}`) // recorded where the test process's capture is
    process.env.LOG_CAPTURE_DIR = saved
    for (const text of [`月报 ${report}`, '你好请问怎么反馈', '进度 1 50%', '完成 2 好了', '请假 zhangwei 2015-09-01']) recordTypedText(text, dir)
    logger.error({ err: { message: `Duplicate entry '${note}' for key 'uq'` } }, 'command failed') // 1: the note, escaped by JSON
    logger.warn({ content: report.slice(0, 30) }, 'cut short') // 2: a text's first 30 characters
    logger.info({ said: '你好请问怎么反馈' }, 'no command') // 3: a whole text whose first word is no command
    logger.info({ progress: '1 50%', reply: '好了' }, 'short') // under 6 characters: not looked for
    logger.info({ from: 'zhangwei', dueDate: '2015-09-01' }, 'leave') // a userid and a date on their own are logged for other reasons
    const { hits, lines, typedTexts } = scanLogDirectory(dir)
    expect({ lines, typedTexts }).toEqual({ lines: 5, typedTexts: 6 })
    expect(hits.map((h) => `${h.line} ${h.what}`)).toEqual([
      `1 typed message text ${JSON.stringify(note)}`,
      `2 typed message text ${JSON.stringify(Array.from(report).slice(0, 24).join(''))}`,
      '3 typed message text "你好请问怎么反馈"',
    ])
  })

  it('looks for the arguments, their free-text tail and a text that is no command, never the command word alone', () => {
    expect(typedParts('进度 12 60% 已完成初步整改')).toEqual(['12 60% 已完成初步整改', '60% 已完成初步整改', '已完成初步整改'])
    expect(typedParts('延期 3 2015-09-30')).toEqual(['3 2015-09-30'])
    expect(typedParts('progress 1 50%')).toEqual([])
    expect(typedParts('完成 2 好了')).toEqual([])
    expect(typedParts('帮我看看事项')).toEqual(['帮我看看事项'])
    expect(typedParts('帮主')).toEqual([])
  })

  it('searches thousands of texts in a long line at about the cost of reading it', () => {
    const texts = Array.from({ length: 5000 }, (_, i) => `进度 ${i} 50% 第${i}号事项已完成整改材料归档`)
    const matcher = createTypedTextMatcher(texts)
    const line = JSON.stringify({ level: 30, time: 1700000000000, msg: 'batch delivered', ids: Array.from({ length: 200 }, (_, i) => i) })
    const started = performance.now()
    for (let i = 0; i < 2000; i += 1) expect(matcher.find(line)).toBeUndefined()
    expect(performance.now() - started).toBeLessThan(1000)
    expect(matcher.find(`${line} 第4999号事项已完成整改材料归档`)).toBe('第4999号事项已完成整改材料归档')
  })

  it('knows every secret the suite configures', () => {
    expect(Object.values(SUITE_SECRETS)).toEqual(expect.arrayContaining([SECRETS.token, SECRETS.aesKey]))
  })
})
