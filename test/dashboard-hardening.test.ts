import { networkInterfaces } from 'node:os'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { PersonSchema, UnitSchema } from '../src/db/entities/index.js'
import { createApp } from '../src/http/create-app.js'
import { sheetName } from '../src/http/dashboard/xlsx-export.js'
import { createLogger } from '../src/logger.js'
import { commands } from '../commands/index.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { browser, consoleDashboard, csrfOf, DASHBOARD_SECRET, devSignIn, listen } from './helpers/dashboard.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')

/** What a careless or hostile visitor sends the dashboard (docs/dashboard.md): always a Chinese page, never a 500, nothing changed. */
describe(`the dashboard against odd and hostile requests, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let dash: Awaited<ReturnType<typeof consoleDashboard>>
  const logged: string[] = []

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    const dispatcher = createDispatcher({ dataSource: ds, registry: createCommandRegistry(commands), now: () => NOW, senderCacheMs: 0 })
    dash = await listen(
      createApp({
        dataSource: ds,
        logger: createLogger('info', { write: (line: string) => void logged.push(line) }),
        deliveryMode: 'console',
        now: () => NOW,
        dashboard: { secret: DASHBOARD_SECRET, publicUrl: 'http://localhost:3000', wecom: null, dispatcher },
      }),
    )
  })
  afterAll(async () => {
    await dash?.close()
    await db?.close()
  })

  it('answers an action or a file named like an object’s own property as unknown, not with a 500', async () => {
    const b = await devSignIn(dash.base, 'wangjian')
    const csrf = csrfOf((await b.go(`/dash/items/${fixture.items.overdue}`)).body)
    for (const action of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const answer = await b.go(`/dash/items/${fixture.items.overdue}`, { form: { csrf, action } })
      expect(answer.status, action).toBe(400)
      expect(answer.body).toContain('页面上没有这个操作')
    }
    for (const file of ['constructor', '__proto__', 'toString']) expect((await b.go(`/dash/static/${file}`)).status, file).toBe(404)
    expect(logged.join('')).not.toContain('"level":50')
  })

  it('answers a form over the limit, an unknown path and a wrong method with a Chinese page', async () => {
    const b = await devSignIn(dash.base, 'wangjian')
    const csrf = csrfOf((await b.go('/dash')).body)
    const big = await b.go(`/dash/items/${fixture.items.overdue}`, { form: { csrf, action: 'close', note: '很'.repeat(2000) } })
    expect(big.status).toBe(413)
    expect(big.body).toContain('<h1>提交内容过长</h1>')
    const missing = await b.go('/dash/nonexistent')
    expect(missing.status).toBe(404)
    expect(missing.body).toContain('<h1>页面不存在</h1>')
    const wrong = await b.go('/dash', { method: 'POST' })
    expect(wrong.status).toBe(405)
    expect(wrong.body).toContain('<h1>请求有误</h1>')
    // Outside the dashboard nothing changes: the callback's and healthz's answers stay theirs.
    expect((await b.go('/nothing-here')).body).not.toContain('督办看板')
  })

  it('exports tables whatever a unit or person is called (Excel refuses some sheet names)', async () => {
    await ds.getRepository(UnitSchema).update({ id: fixture.chengguan }, { name: "'城关镇'" })
    await ds.getRepository(PersonSchema).update({ userid: 'zhaolei' }, { name: "'赵磊" })
    try {
      const admin = await devSignIn(dash.base, 'wangjian')
      for (const path of [`/dash/units/${fixture.chengguan}?format=xlsx`, `/dash/overdue?unit=${fixture.chengguan}&format=xlsx`, '/dash?format=xlsx']) {
        const answer = await admin.go(path)
        expect(answer.status, path).toBe(200)
        const book = new ExcelJS.Workbook()
        await book.xlsx.load(answer.bytes as unknown as ArrayBuffer)
        expect(book.worksheets).toHaveLength(1)
      }
      expect((await (await devSignIn(dash.base, 'zhaolei')).go('/dash/mine?format=xlsx')).status).toBe(200)
    } finally {
      await ds.getRepository(UnitSchema).update({ id: fixture.chengguan }, { name: '城关镇' })
      await ds.getRepository(PersonSchema).update({ userid: 'zhaolei' }, { name: '赵磊' })
    }
    expect(sheetName("'城关镇台账'")).toBe('城关镇台账')
    expect(sheetName(`${'字'.repeat(30)}😀尾`)).toBe(`${'字'.repeat(30)}😀`)
    expect(sheetName("'''")).toBe('导出')
    expect(sheetName('a/b:c[d]')).toBe('a_b_c_d_')
  })

  it('follows a next only to a dashboard page, however it is written', async () => {
    for (const [next, to] of [
      ['/dash/items/1?x=1', '/dash/items/1?x=1'],
      ['/dash/../..//evil.com', '/dash'],
      ['/dash/..\\..\\\\evil.com', '/dash'],
      ['/dash/../gongshi', '/dash'],
      ['/dash%2f..%2f..%2fhealthz', '/dash'],
      ['//evil.com/dash', '/dash'],
      ['/dash@evil.com', '/dash'],
    ]) {
      const b = browser(dash.base)
      const login = await b.go(`/dash/login?next=${encodeURIComponent(next!)}`)
      const state = /name="state" value="([^"]+)"/.exec(login.body)![1]!
      const signed = await b.go('/dash/login/dev', { form: { state, next: next!, userid: 'wangjian' } })
      expect(signed.location, next).toBe(to)
    }
  })

  it('offers console mode’s development login to this machine only, never over the network', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4')?.address
    // This machine has a network address (CI's too): a request to it comes from that address, not loopback.
    expect(address).toBeDefined()
    const open = await consoleDashboard(ds, () => NOW, undefined, {}, '0.0.0.0')
    try {
      const port = new URL(open.base).port
      const remote = browser(`http://${address}:${port}`)
      const page = await remote.go('/dash/login')
      expect(page.status).toBe(403)
      expect(page.body).toContain('开发登录只能在本机使用')
      expect((await remote.go('/dash/login/dev', { form: { state: 'x', userid: 'wangjian', next: '/dash' } })).status).toBe(404)
      // From this machine it works.
      expect((await devSignIn(`http://127.0.0.1:${port}`, 'wangjian')).jar.has('dash_session')).toBe(true)
    } finally {
      await open.close()
    }
  })
})
