import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_WECOM_API_BASE, loadConfig } from '../src/config/load-config.js'
import { withEnvFile } from '../src/config/read-env-file.js'
import { parseDatabaseUrl, redactDatabaseUrl } from '../src/config/database-url.js'
import { ConfigError } from '../src/errors.js'

// The official sample's values (docs/wecom.md, The official worked example): a real 43-character EncodingAESKey.
const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C'
const CREDENTIALS = {
  WECOM_CORP_ID: 'wx5823bf96d3bd56c7',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 's3cr3t-value',
  WECOM_TOKEN: 'QDG6eK',
  WECOM_AES_KEY: AES_KEY,
}

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('starts on the embedded default with nothing configured, in console delivery mode', () => {
    const config = loadConfig({})
    expect(config.database).toEqual({ kind: 'sqlite', path: 'data/bot.sqlite' })
    expect(config.port).toBe(3000)
    expect(config.wecom).toBeNull()
    expect(config.wecomApiBase).toBe(DEFAULT_WECOM_API_BASE)
    expect(config.callbackPath).toBe('/wecom/callback')
    expect(config.plan).toBe('weiguan-buwei-2015')
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.database)).toBe(true)
  })

  it('reads a complete set of WeCom credentials and a MySQL URL', () => {
    const config = loadConfig({
      ...CREDENTIALS,
      DATABASE_URL: 'mysql://bot:p%40ss@db.internal:3307/supervision',
      PORT: '8080',
      WECOM_API_BASE: 'http://127.0.0.1:9999/',
    })
    expect(config.wecom).toEqual({
      corpId: 'wx5823bf96d3bd56c7',
      agentId: 1000002,
      secret: 's3cr3t-value',
      token: 'QDG6eK',
      aesKey: AES_KEY,
    })
    expect(config.database).toEqual({ kind: 'mysql', host: 'db.internal', port: 3307, user: 'bot', password: 'p@ss', database: 'supervision' })
    expect(config.port).toBe(8080)
    expect(config.wecomApiBase).toBe('http://127.0.0.1:9999')
  })

  it('lists every problem at once', () => {
    const problems = problemsOf({
      DATABASE_URL: 'postgres://x@y/z',
      PORT: '99999',
      WECOM_CORP_ID: 'ww1436e0e65a779aee',
      WECOM_AES_KEY: 'too-short',
      WECOM_API_BASE: 'ftp://example',
      DEMO_DATA: 'maybe',
      LOG_LEVEL: 'loud',
    })
    expect(problems).toHaveLength(7)
    expect(problems.join('\n')).toMatch(/DATABASE_URL/)
    expect(problems.join('\n')).toMatch(/PORT/)
    expect(problems.join('\n')).toMatch(/WECOM_API_BASE/)
    expect(problems.join('\n')).toMatch(/DEMO_DATA/)
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/)
  })

  it('reports every wrong variable at once, one line each: its name, its value unless secret, and an example', () => {
    const wrong = {
      PORT: '99999',
      ADMIN_PORT: 'none',
      ADMIN_TOKEN: 'short-secret',
      WECOM_CORP_ID: 'ww-14',
      WECOM_AGENT_ID: '-1',
      WECOM_SECRET: 's3cr3t-value',
      WECOM_TOKEN: 'has spaces',
      WECOM_AES_KEY: 'aes-too-short',
      WECOM_API_BASE: 'ftp://example',
      WECOM_CALLBACK_PATH: 'callback',
      WECOM_CALLBACK_WINDOW: '0',
      REMINDER_TIME: '9am',
      MEETING_REMINDER_TIME: '25:00',
      MONTHLY_REPORT_TIME: '17:60',
      QUIET_HOURS: 'night',
      DELIVERY_CONCURRENCY: '17',
      CIRCULAR_REMIND_AFTER: '721',
      IMPORT_MAX_MB: '501',
      WECOM_ROBOTS: 'lianxi=ok,robot-key-without-name',
      DEMO_DATA: 'maybe',
      LOG_LEVEL: 'loud',
    }
    const problems = problemsOf({ ...wrong, DATABASE_URL: 'mysql://bot:hunter2@/nodb' })
    const secrets = ['ADMIN_TOKEN', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_AES_KEY', 'WECOM_ROBOTS']
    for (const [name, value] of Object.entries(wrong)) {
      if (name === 'WECOM_SECRET') continue // anything goes; only its absence is wrong
      const line = problems.find((p) => p.startsWith(`${name} `) || p.startsWith(`${name}「`))
      expect(line, name).toBeDefined()
      expect(line!.startsWith(secrets.includes(name) ? `${name} 应为` : `${name}「${value}」`)).toBe(true)
      expect(line).toMatch(/例：/)
    }
    expect(problems[0]).toBe('DATABASE_URL「mysql://bot:***@/nodb」不是有效地址，应为 mysql://用户:密码@主机:端口/库名 或 sqlite:路径')
    expect(problems).toHaveLength(Object.keys(wrong).length - 1 + 1) // every variable but the secret, and DATABASE_URL
    const text = problems.join('\n')
    for (const secret of ['hunter2', 'short-secret', 's3cr3t-value', 'has spaces', 'aes-too-short', 'robot-key-without-name']) expect(text).not.toContain(secret)
  })

  it('reports an incomplete set of credentials together with the wrong values among them', () => {
    const problems = problemsOf({ WECOM_CORP_ID: 'ww1436e0e65a779aee', WECOM_AGENT_ID: 'abc', WECOM_TOKEN: 'QDG6eK', PORT: 'x' })
    expect(problems).toEqual([
      expect.stringContaining('PORT「x」应为 0–65535 的整数'),
      expect.stringContaining('WECOM_AGENT_ID「abc」应为正整数'),
      expect.stringContaining('企业微信凭据不完整：已设置 WECOM_CORP_ID、WECOM_AGENT_ID、WECOM_TOKEN，缺少 WECOM_SECRET、WECOM_AES_KEY'),
    ])
  })

  it('with WeCom, wants the dashboard’s address and secret together; reads them, the address without a trailing slash; never echoes the secret', () => {
    const wecom = { WECOM_CORP_ID: 'ww1436e0e65a779aee', WECOM_AGENT_ID: '1000002', WECOM_SECRET: 's3cr3t-value', WECOM_TOKEN: 'QDG6eK', WECOM_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' }
    expect(problemsOf({ ...wecom, DASHBOARD_URL: 'https://bot.example.gov.cn' })).toEqual([expect.stringContaining('督办看板需要同时设置 DASHBOARD_URL 和 DASHBOARD_SECRET（缺少 DASHBOARD_SECRET）')])
    const short = problemsOf({ ...wecom, DASHBOARD_URL: 'https://bot.example.gov.cn', DASHBOARD_SECRET: 'too-short-a-secret' })
    expect(short).toEqual(['DASHBOARD_SECRET 应为至少 32 个字符的随机字符串'])
    const secret = 'a-dashboard-secret-of-32-characters'
    expect(loadConfig({ ...wecom, DASHBOARD_URL: 'https://bot.example.gov.cn/', DASHBOARD_SECRET: secret }).dashboard).toEqual({ url: 'https://bot.example.gov.cn', secret })
    expect(problemsOf({ DASHBOARD_URL: 'ftp://x' })[0]).toMatch(/^DASHBOARD_URL「ftp:\/\/x」.*例：https:\/\/bot\.example\.gov\.cn/)
  })

  it('keeps every default', () => {
    expect(loadConfig({ PORT: ' ', HOST: '' })).toEqual({
      database: { kind: 'sqlite', path: 'data/bot.sqlite' },
      databaseUrl: 'sqlite:data/bot.sqlite',
      host: '0.0.0.0',
      port: 3000,
      adminHost: '127.0.0.1',
      adminPort: 3001,
      adminToken: null,
      wecom: null,
      wecomApiBase: 'https://qyapi.weixin.qq.com',
      callbackPath: '/wecom/callback',
      callbackWindowSeconds: 300,
      devCallbackFile: 'data/dev-callback.json',
      sweepTime: [9, 5],
      meetingReminderTime: [16, 5],
      monthlyReportTime: [17, 0],
      consoleFileDirectory: 'data/files',
      consoleMediaDirectory: 'data/media',
      evidenceMaxBytes: 20 * 1024 * 1024,
      quietHours: { startMinute: 21 * 60, endMinute: 8 * 60 },
      officeHours: { startMinute: 8 * 60 + 30, endMinute: 17 * 60 + 30 },
      circularRemindAfterHours: 24,
      deliveryConcurrency: 4,
      importMaxBytes: 50 * 1024 * 1024,
      robots: {},
      cards: true,
      trustProxy: false,
      dashboard: { url: null, secret: null },
      demoData: 'auto',
      plan: 'weiguan-buwei-2015',
      logLevel: 'info',
    })
  })

  it('refuses some-but-not-all credentials and names the missing ones', () => {
    const problems = problemsOf({ WECOM_CORP_ID: 'ww1436e0e65a779aee', WECOM_TOKEN: 'abc' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain('缺少 WECOM_AGENT_ID、WECOM_SECRET、WECOM_AES_KEY')
  })

  it('rejects an AES key that does not decode to 32 bytes, and a bad agent id and token', () => {
    const problems = problemsOf({
      ...CREDENTIALS,
      WECOM_AES_KEY: `${AES_KEY.slice(0, 42)}!`,
      WECOM_AGENT_ID: 'abc',
      WECOM_TOKEN: 'has spaces and is much too long for a token',
    })
    expect(problems).toHaveLength(3)
    expect(problems.some((p) => p.startsWith('WECOM_AES_KEY'))).toBe(true)
    expect(problems.some((p) => p.startsWith('WECOM_AGENT_ID'))).toBe(true)
    expect(problems.some((p) => p.startsWith('WECOM_TOKEN'))).toBe(true)
  })

  it('never puts the secret or the password in its messages', () => {
    const error = (() => {
      try {
        loadConfig({ ...CREDENTIALS, WECOM_AES_KEY: 'bad', DATABASE_URL: 'mysql://bot:hunter2@/nodb' })
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.message).toBeDefined()
    expect(error?.message).not.toContain('hunter2')
    expect(error?.message).not.toContain('s3cr3t-value')
  })

  it('reads quiet hours and group robots', () => {
    const config = loadConfig({ QUIET_HOURS: '22:30-07:00', WECOM_ROBOTS: 'lianxi=693a91f6-7xxx, town=abc-123' })
    expect(config.quietHours).toEqual({ startMinute: 22 * 60 + 30, endMinute: 7 * 60 })
    expect(config.robots).toEqual({ lianxi: '693a91f6-7xxx', town: 'abc-123' })
    expect(loadConfig({}).quietHours).toEqual({ startMinute: 21 * 60, endMinute: 8 * 60 })
    expect(loadConfig({ QUIET_HOURS: 'off' }).quietHours).toEqual({ startMinute: 0, endMinute: 0 })
    const problems = problemsOf({ QUIET_HOURS: '9pm-8am', WECOM_ROBOTS: 'no-equals-sign' })
    expect(problems).toHaveLength(2)
    expect(problems[0]).toContain('例：21:00-08:00')
  })

  it('reads the office hours response times are counted in, and refuses one that ends before it starts', () => {
    expect(loadConfig({ OFFICE_HOURS: '09:00-18:00' }).officeHours).toEqual({ startMinute: 9 * 60, endMinute: 18 * 60 })
    expect(problemsOf({ OFFICE_HOURS: '17:30-08:30' })[0]).toContain('例：08:30-17:30')
    expect(problemsOf({ OFFICE_HOURS: '8.30-17.30' })[0]).toContain('OFFICE_HOURS')
  })

  it('reads the circular reminder delay in working hours, default 24, and refuses nonsense', () => {
    expect(loadConfig({}).circularRemindAfterHours).toBe(24)
    expect(loadConfig({ CIRCULAR_REMIND_AFTER: '48' }).circularRemindAfterHours).toBe(48)
    for (const bad of ['0', '1.5', 'tomorrow', '721']) {
      const problems = problemsOf({ CIRCULAR_REMIND_AFTER: bad })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain(`CIRCULAR_REMIND_AFTER「${bad}」应为 1–720 的整数`)
    }
  })

  it('reads the times of day of the reminders and the month-end workbook, and refuses nonsense', () => {
    const defaults = loadConfig({})
    expect([defaults.sweepTime, defaults.meetingReminderTime, defaults.monthlyReportTime]).toEqual([[9, 5], [16, 5], [17, 0]])
    expect(defaults.consoleFileDirectory).toBe('data/files')
    const set = loadConfig({ REMINDER_TIME: '8:35', MEETING_REMINDER_TIME: '15:35', MONTHLY_REPORT_TIME: '16:35', CONSOLE_FILE_DIR: '/var/lib/bot/files' })
    expect([set.sweepTime, set.meetingReminderTime, set.monthlyReportTime]).toEqual([[8, 35], [15, 35], [16, 35]])
    expect(set.consoleFileDirectory).toBe('/var/lib/bot/files')
    const problems = problemsOf({ REMINDER_TIME: '24:00', MEETING_REMINDER_TIME: '16.05', MONTHLY_REPORT_TIME: '17:60' })
    expect(problems).toEqual([
      expect.stringContaining('REMINDER_TIME「24:00」应为 HH:MM'),
      expect.stringContaining('MEETING_REMINDER_TIME「16.05」应为 HH:MM'),
      expect.stringContaining('MONTHLY_REPORT_TIME「17:60」应为 HH:MM'),
    ])
  })

  it('reads TRUST_PROXY: off by default, on behind a proxy, anything else refused naming the choices', () => {
    expect(loadConfig({}).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'on' }).trustProxy).toBe(true)
    expect(problemsOf({ TRUST_PROXY: 'yes' }).join('\n')).toMatch(/TRUST_PROXY.*应为 on 或 off/)
  })

  it('reads the admin listener: loopback port 3001 by default, off, and a bearer token that is never echoed', () => {
    const defaults = loadConfig({})
    expect([defaults.adminHost, defaults.adminPort, defaults.adminToken]).toEqual(['127.0.0.1', 3001, null])
    expect(loadConfig({ ADMIN_PORT: 'off' }).adminPort).toBeNull()
    const config = loadConfig({ ADMIN_HOST: '10.0.0.5', ADMIN_PORT: '9464', ADMIN_TOKEN: 'f0e1d2c3b4a5968778695a4b3c2d1e0f' })
    expect([config.adminHost, config.adminPort, config.adminToken]).toEqual(['10.0.0.5', 9464, 'f0e1d2c3b4a5968778695a4b3c2d1e0f'])
    const problems = problemsOf({ ADMIN_PORT: '70000', ADMIN_TOKEN: 'short-secret' })
    expect(problems).toHaveLength(2)
    expect(problems[0]).toContain('ADMIN_PORT「70000」应为 0–65535 的整数或 off')
    expect(problems[1]).toContain('ADMIN_TOKEN 应为至少 16 个字符')
    expect(problems.join('\n')).not.toContain('short-secret')
    expect(problemsOf({ ADMIN_TOKEN: 'has a space in it, long enough' })[0]).toContain('不含空格')
  })

  it('reads how many messages are sent at once, default 4, and refuses nonsense', () => {
    expect(loadConfig({}).deliveryConcurrency).toBe(4)
    expect(loadConfig({ DELIVERY_CONCURRENCY: '1' }).deliveryConcurrency).toBe(1)
    for (const bad of ['0', '17', 'many']) expect(problemsOf({ DELIVERY_CONCURRENCY: bad })[0]).toContain(`DELIVERY_CONCURRENCY「${bad}」应为 1–16 的整数`)
  })

  it('lets the environment win over a .env file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-'))
    const file = join(dir, '.env')
    writeFileSync(file, 'PORT=4000\nLOG_LEVEL=debug\n# comment\n')
    const env = withEnvFile({ PORT: '5000' }, file)
    const config = loadConfig(env)
    expect(config.port).toBe(5000)
    expect(config.logLevel).toBe('debug')
    expect(loadConfig(withEnvFile({}, join(dir, 'missing.env'))).port).toBe(3000)
  })
})

describe('parseDatabaseUrl', () => {
  it.each([
    ['sqlite:data/bot.sqlite', { kind: 'sqlite', path: 'data/bot.sqlite' }],
    ['sqlite:///var/lib/bot.sqlite', { kind: 'sqlite', path: '/var/lib/bot.sqlite' }],
    ['sqlite::memory:', { kind: 'sqlite', path: ':memory:' }],
    ['mysql://root@127.0.0.1/test', { kind: 'mysql', host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' }],
    ['mariadb://u:p@h:3310/db', { kind: 'mysql', host: 'h', port: 3310, user: 'u', password: 'p', database: 'db' }],
  ])('%s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toEqual(expected)
  })

  it.each(['sqlite:', 'mysql://host', 'postgres://u@h/db', 'not a url'])('rejects %s with a reason', (url) => {
    expect(parseDatabaseUrl(url)).toHaveProperty('problem')
  })

  it('redacts passwords', () => {
    expect(redactDatabaseUrl('mysql://bot:hunter2@db:3306/x')).toBe('mysql://bot:***@db:3306/x')
  })
})
