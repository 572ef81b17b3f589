import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/load-config.js'
import { enqueue } from '../src/outbox/enqueue.js'
import { StartupError } from '../src/errors.js'
import { createLogger } from '../src/logger.js'
import { startService } from '../src/service/start-service.js'
import { markdown } from '../src/wecom/messages.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { seedRoster } from './helpers/roster.js'
import { waitForOutboxStatus } from './helpers/wait-for-outbox.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { openPassiveReply, post, SECRETS, sign, textXml } from './helpers/wecom-callback-client.js'

/** Thursday 2026-11-26 10:00 Beijing: a working day after the 09:05 sweep, outside quiet hours, so the catch-up sweep runs at start-up. */
const NOW = new Date('2026-11-26T02:00:00Z')

function captureLogger() {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { logger: createLogger('info', sink), lines }
}

async function start(db: MigratedDatabase, env: Record<string, string> = {}, now?: () => Date) {
  const config = loadConfig({
    DATABASE_URL: db.url,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    DEMO_DATA: 'off',
    DEV_CALLBACK_FILE: join(mkdtempSync(join(tmpdir(), 'dev-callback-')), 'dev-callback.json'),
    ...env,
  })
  const { logger, lines } = captureLogger()
  const service = await startService(config, logger, { now, print: () => {} })
  return { service, lines, admin: `http://127.0.0.1:${service.adminPort}`, base: `http://127.0.0.1:${service.port}` }
}

/** One sample's value from the Prometheus text format (undefined when the series is absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const have = match[2] ? match[2].split(',') : []
    if (wanted.length === have.length && wanted.every((pair) => have.includes(pair))) return Number(match[3])
  }
  return undefined
}

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

async function readyz(admin: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${admin}/readyz`, { headers })
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, Record<string, unknown>> } }
}

describe(`operations endpoints in console mode on ${dialect}`, () => {
  let db: MigratedDatabase
  let running: Awaited<ReturnType<typeof start>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    running = await start(db)
  })
  afterAll(async () => {
    await running?.service.close()
    await db?.close().catch(() => {})
  })

  it('answers /readyz 200 naming each check, with console delivery', async () => {
    const { status, body } = await readyz(running.admin)
    expect(status).toBe(200)
    expect(body.status).toBe('ready')
    expect(body.checks.database).toEqual({ ok: true })
    expect(body.checks.migrations).toEqual({ ok: true, executed: db.dataSource.migrations.length })
    expect(body.checks.wecom).toEqual({ ok: true, mode: 'console' })
  })

  it('keeps the public listener to the callback and a liveness check that does not touch the database', async () => {
    const health = await fetch(`${running.base}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', delivery: 'console' })
    expect((await fetch(`${running.base}/readyz`)).status).toBe(404)
    expect((await fetch(`${running.base}/metrics`)).status).toBe(404)
    expect((await fetch(`${running.admin}/healthz`)).status).toBe(200)
  })

  it('answers 503 while a migration is pending, and when the database holds one this code does not know', async () => {
    const name = db.dataSource.migrations.at(-1)!.name!
    await running.service.dataSource.query('DELETE FROM migrations WHERE name = ?', [name])
    const pending = await readyz(running.admin)
    expect(pending.status).toBe(503)
    expect(pending.body.status).toBe('not_ready')
    expect(pending.body.checks.migrations).toEqual({ ok: false, pending: [name], unknown: [] })
    expect(pending.body.checks.database).toEqual({ ok: true })

    await running.service.dataSource.query('INSERT INTO migrations (timestamp, name) VALUES (?, ?)', [1764925200000, name])
    await running.service.dataSource.query('INSERT INTO migrations (timestamp, name) VALUES (?, ?)', [1999999999999, 'FromANewerRelease1999999999999'])
    const ahead = await readyz(running.admin)
    expect(ahead.status).toBe(503)
    expect(ahead.body.checks.migrations).toEqual({ ok: false, pending: [], unknown: ['FromANewerRelease1999999999999'] })

    await running.service.dataSource.query('DELETE FROM migrations WHERE name = ?', ['FromANewerRelease1999999999999'])
    expect((await readyz(running.admin)).status).toBe(200)
  })

  it('answers 503 while the database is closed, serves /metrics all the same, and is ready again once it is back', async () => {
    await running.service.dataSource.destroy()
    const down = await readyz(running.admin)
    expect(down.status).toBe(503)
    expect(down.body.checks.database).toEqual({ ok: false, error: 'not connected' })
    const metrics = await fetch(`${running.admin}/metrics`)
    expect(metrics.status).toBe(200)
    const text = await metrics.text()
    expect(text).toContain('process_cpu_user_seconds_total')
    expect(sample(text, 'supervision_bot_outbox_messages', { status: 'pending' })).toBeUndefined()
    expect(sample(text, 'supervision_bot_outbox_oldest_due_seconds')).toBeNaN()
    await running.service.dataSource.initialize()
    expect((await readyz(running.admin)).status).toBe(200)
  })
})

describe(`the admin listener's address and token on ${dialect}`, () => {
  let db: MigratedDatabase

  beforeAll(async () => {
    db = await createMigratedDatabase()
  })
  afterAll(async () => {
    await db?.close()
  })

  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address

  it.skipIf(!external)('listens on loopback only by default, while HOST=0.0.0.0 opens the public listener to the network', async () => {
    const running = await start(db, { HOST: '0.0.0.0' })
    try {
      expect(loadConfig({}).adminHost).toBe('127.0.0.1')
      expect((await fetch(`http://${external}:${running.service.port}/healthz`)).status).toBe(200)
      const refused = await fetch(`http://${external}:${running.service.adminPort}/healthz`).then(
        () => 'answered',
        (error: { cause?: { code?: string } }) => error.cause?.code,
      )
      expect(refused).toBe('ECONNREFUSED')
      expect((await fetch(`${running.admin}/healthz`)).status).toBe(200)
    } finally {
      await running.service.close()
    }
  })

  it('requires the bearer token when ADMIN_TOKEN is set, compares it exactly and never logs it', async () => {
    const token = 'adm1n-t0ken-for-the-tests-0123456789'
    const running = await start(db, { ADMIN_TOKEN: token })
    try {
      for (const path of ['/readyz', '/metrics', '/healthz']) {
        const none = await fetch(`${running.admin}${path}`)
        expect(none.status).toBe(401)
        expect(none.headers.get('www-authenticate')).toBe('Bearer realm="admin"')
        expect(await none.text()).not.toContain(token)
      }
      for (const wrong of [`Bearer ${token.slice(0, -1)}`, `Bearer ${token}x`, `Basic ${token}`, token, `Bearer  ${token}`]) {
        expect((await fetch(`${running.admin}/readyz`, { headers: { authorization: wrong } })).status).toBe(401)
      }
      expect((await readyz(running.admin, { authorization: `Bearer ${token}` })).status).toBe(200)
      const metrics = await fetch(`${running.admin}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      expect(metrics.status).toBe(200)
      expect(metrics.headers.get('content-type')).toContain('text/plain')
      // The public liveness check needs no token: the token guards the admin listener only.
      expect((await fetch(`${running.base}/healthz`)).status).toBe(200)
    } finally {
      await running.service.close()
    }
    expect(running.lines.join('')).not.toContain(token)
  })

  it('refuses to start when the admin port is taken, naming ADMIN_PORT, and leaves no listener behind', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const publicPort = await freePort()
    try {
      const error = await start(db, { PORT: String(publicPort), ADMIN_PORT: String((taken.address() as AddressInfo).port) }).catch((e: unknown) => e as Error)
      expect(error).toBeInstanceOf(StartupError)
      expect((error as Error).message).toContain('把 ADMIN_PORT 设为其他端口')
      // The public listener opened before the admin one failed is closed again.
      const again = createServer()
      await new Promise<void>((resolve, reject) => again.once('error', reject).listen(publicPort, '127.0.0.1', resolve))
      again.close()
    } finally {
      taken.close()
    }
  })

  it('can be switched off', async () => {
    const running = await start(db, { ADMIN_PORT: 'off' })
    try {
      expect(running.service.adminPort).toBeNull()
      expect((await fetch(`${running.base}/healthz`)).status).toBe(200)
    } finally {
      await running.service.close()
    }
  })
})

describe(`readiness and metrics against the fake WeCom server on ${dialect}`, () => {
  let db: MigratedDatabase
  let fake: FakeWeCom
  let running: Awaited<ReturnType<typeof start>>
  const wecomEnv = (secret: string, apiBase: string) => ({
    WECOM_CORP_ID: SECRETS.corpId,
    WECOM_AGENT_ID: '1000002',
    WECOM_SECRET: secret,
    WECOM_TOKEN: SECRETS.token,
    WECOM_AES_KEY: SECRETS.aesKey,
    WECOM_API_BASE: apiBase,
  })

  beforeAll(async () => {
    db = await createMigratedDatabase()
    fake = await startFakeWeCom({ corpId: SECRETS.corpId, secret: 'the-app-secret', agentId: 1000002 })
    await seedRoster(db.dataSource, '城关镇', [
      { userid: 'zhangwei', name: '张伟', roles: ['unit_head'] },
      { userid: 'lina', name: '李娜', roles: ['staff'] },
    ])
    running = await start(db, wecomEnv('the-app-secret', fake.url), () => NOW)
  })
  afterAll(async () => {
    await running?.service.close()
    await fake?.close()
    await db?.close()
  })

  const metricsText = async () => (await fetch(`${running.admin}/metrics`)).text()
  const put = (key: string, userid: string, content: string) =>
    db.dataSource.transaction((m) => enqueue(m, { dedupeKey: key, subject: { kind: 'other', id: null }, to: { users: [userid] }, message: markdown(content) }, NOW))
  const waitForStatus = (key: string, status: string) => waitForOutboxStatus(db.dataSource, key, status)

  it('is ready when WeCom gives a token, and asks WeCom for it once however often it is probed', async () => {
    for (let i = 0; i < 3; i += 1) {
      const { status, body } = await readyz(running.admin)
      expect(status).toBe(200)
      expect(body.checks.wecom).toEqual({ ok: true, mode: 'wecom' })
    }
    expect(fake.tokenRequests()).toBe(1)
  })

  it('counts the catch-up sweep that ran at start-up', async () => {
    const text = await metricsText()
    expect(sample(text, 'supervision_bot_sweep_duration_seconds_count', { trigger: 'catch_up' })).toBe(1)
    expect(sample(text, 'supervision_bot_sweep_duration_seconds_count', { trigger: 'scheduled' })).toBeUndefined()
  })

  it('counts signed callbacks carrying commands, by outcome and by command', async () => {
    // 帮助 answers in markdown, so through the outbox; an unknown word gets a passive text answer.
    const help = await post(`${running.base}/wecom/callback`, sign(textXml('zhangwei', '帮助', { at: NOW }), { at: NOW }))
    expect(help.status).toBe(200)
    expect(await help.text()).toBe('')
    const unknown = await post(`${running.base}/wecom/callback`, sign(textXml('zhangwei', '帮主', { at: NOW }), { at: NOW }))
    expect(openPassiveReply(await unknown.text()).content).toContain('您是不是想用「帮助」')
    const forged = await post(`${running.base}/wecom/callback`, { ...sign(textXml('zhangwei', '帮助', { at: NOW }), { at: NOW }), query: { ...sign('x', { at: NOW }).query } })
    expect(forged.status).toBe(401)
    const text = await metricsText()
    expect(sample(text, 'supervision_bot_commands_total', { command: '帮助', outcome: 'ok' })).toBe(1)
    expect(sample(text, 'supervision_bot_commands_total', { command: 'none', outcome: 'unknown_command' })).toBe(1)
    expect(sample(text, 'supervision_bot_callbacks_total', { outcome: 'queued' })).toBe(1)
    expect(sample(text, 'supervision_bot_callbacks_total', { outcome: 'passive' })).toBe(1)
    expect(sample(text, 'supervision_bot_callbacks_total', { outcome: 'rejected:bad_signature' })).toBe(1)
  })

  it('counts a delivery through WeCom, a WeCom error by errcode, and shows the dead row in the outbox depth', async () => {
    await waitForStatus('reply:1', 'sent')
    await put('ops-sent', 'zhangwei', '**阶段提醒**\n自查整改阶段 8月31日截止')
    await waitForStatus('ops-sent', 'sent')
    expect(fake.delivered.map((d) => d.touser)).toEqual([['zhangwei'], ['zhangwei']])
    fake.inject({ kind: 'errcode', errcode: 60020, errmsg: 'not allow to access from your ip, from ip: 192.0.2.2' }, 1, 'message/send')
    await put('ops-dead', 'lina', '**逾期提醒**')
    await waitForStatus('ops-dead', 'dead')
    // The worker counts an outcome after writing it and settling its send slots (another round
    // trip): the row can read dead a moment before the count says so.
    let text = await metricsText()
    for (let i = 0; i < 50 && sample(text, 'supervision_bot_deliveries_total', { outcome: 'dead' }) === undefined; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      text = await metricsText()
    }
    // The answer to 帮助 and the reminder.
    expect(sample(text, 'supervision_bot_deliveries_total', { outcome: 'sent' })).toBe(2)
    expect(sample(text, 'supervision_bot_deliveries_total', { outcome: 'dead' })).toBe(1)
    expect(sample(text, 'supervision_bot_wecom_errors_total', { api: 'message/send', errcode: '60020' })).toBe(1)
    expect(sample(text, 'supervision_bot_outbox_messages', { status: 'dead' })).toBe(1)
    expect(sample(text, 'supervision_bot_outbox_messages', { status: 'pending' })).toBe(0)
    expect(sample(text, 'supervision_bot_outbox_oldest_due_seconds')).toBe(0)
    // The replica cannot send until an administrator trusts its IP: /readyz says so.
    const refused = await readyz(running.admin)
    expect(refused.status).toBe(503)
    expect(refused.body.checks.wecom).toMatchObject({ ok: false, mode: 'wecom', api: 'message/send', errcode: 60020 })
    expect(String(refused.body.checks.wecom!.error)).toContain('企业可信IP')
  })

  it('counts a message held back by the per-member rate limit, with the delay', async () => {
    // 30 a minute to one member (docs/wecom.md, Sending app messages): the 31st waits instead of being dropped by WeCom.
    await db.dataSource.transaction(async (m) => {
      for (let i = 1; i <= 31; i += 1) await enqueue(m, { dedupeKey: `ops-burst-${i}`, subject: { kind: 'other', id: null }, to: { users: ['lina'] }, message: markdown(`第 ${i} 条`) }, NOW)
    })
    let text = ''
    for (let i = 0; i < 150 && !sample(text, 'supervision_bot_deliveries_total', { outcome: 'deferred' }); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      text = await metricsText()
    }
    expect(sample(text, 'supervision_bot_deliveries_total', { outcome: 'deferred' })).toBe(1)
    expect(sample(text, 'supervision_bot_rate_limit_delay_seconds_count', { target: 'member' })).toBe(1)
    const delay = sample(text, 'supervision_bot_rate_limit_delay_seconds_sum', { target: 'member' })!
    // The service's clock stands still at NOW: the 31st may go exactly a minute after the first 30.
    expect(delay).toBeCloseTo(60, 1)
    // Those sends went through: the 60020 of the previous test no longer holds.
    expect((await readyz(running.admin)).status).toBe(200)
  })

  it('is not ready when WeCom refuses the token, says why, and does not ask again on every probe', async () => {
    const wrong = await start(db, { ...wecomEnv('a-wrong-secret', fake.url) }, () => NOW)
    try {
      const before = fake.tokenRequests()
      const first = await readyz(wrong.admin)
      expect(first.status).toBe(503)
      expect(first.body.checks.wecom).toMatchObject({ ok: false, mode: 'wecom', api: 'gettoken', errcode: 40001 })
      expect(String(first.body.checks.wecom!.error)).toContain('WECOM_SECRET')
      expect(first.body.checks.database).toEqual({ ok: true })
      expect((await readyz(wrong.admin)).status).toBe(503)
      expect(fake.tokenRequests() - before).toBe(1)
      const text = await (await fetch(`${wrong.admin}/metrics`)).text()
      expect(sample(text, 'supervision_bot_wecom_errors_total', { api: 'gettoken', errcode: '40001' })).toBe(1)
    } finally {
      await wrong.service.close()
    }
    expect(wrong.lines.join('')).not.toContain('a-wrong-secret')
  })
})
