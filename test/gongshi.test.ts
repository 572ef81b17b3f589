import { mkdirSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { InspectionSchema, LedgerItemSchema, PersonSchema, ProgressUpdateSchema, PublicReportSchema } from '../src/db/entities/index.js'
import { createApp } from '../src/http/create-app.js'
import { CSV_HEADER } from '../src/http/public/gongshi-csv.js'
import { fixedWindowLimiter } from '../src/http/public/rate-limit.js'
import { createLogger } from '../src/logger.js'
import { browser, DASHBOARD_SECRET, launchChromium, listen } from './helpers/dashboard.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')
/** Where the screenshot and the PDF go (ignored by git). */
const OUTPUT = new URL('../test-output/', import.meta.url)
const seconds = (s: number) => new Date(NOW.getTime() + s * 1000)

const HYPERLINK = '=HYPERLINK("http://evil.example/x","点击领取补贴")'
const HOSTILE_MEASURES = `清理<script>alert(1)</script>违规"占道"经营\n第二步：建立长效机制, 每周巡查，详见 http://evil.example/${'a'.repeat(150)}`
const HOSTILE_DEPARTMENT = '城管执法"一"中队, 二中队'
/** Text that exists in the database but must never reach the public. */
const NOTE = '已与两家企业对接洽谈'
const EXTENSION_REASON = '需等待省厅批复'
const FINDING_NOT_LISTED = '窗口工作人员上班时间玩手机游戏'
const FINDING_LISTED = '档案室消防设施过期未更换'
const REPORT_CONTENT = '反映后港镇卫生院夜间值班医生脱岗'
const REPORTER = '钱小红 13912345678'

/** The text a reader sees in an HTML fragment: tags dropped, entities decoded. */
const visible = (fragment: string) =>
  fragment
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, '&')

/** The page as a reader sees it: each unit's heading with its items' cells (the due-date cell's parts kept apart). */
function unitsOnPage(body: string): { unit: string; rows: string[][] }[] {
  return body
    .split('<section class="unit">')
    .slice(1)
    .map((section) => ({
      unit: visible(/<h2>([\s\S]*?)<\/h2>/.exec(section)![1]!),
      rows: [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
        .map((row) => row[1]!)
        .filter((row) => row.includes('<td'))
        .map((row) =>
          [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) =>
            cell[1]!.includes('<span') ? [...cell[1]!.matchAll(/<span[^>]*>([\s\S]*?)<\/span>/g)].map((s) => visible(s[1]!)).join(' | ') : visible(cell[1]!),
          ),
        ),
    }))
}

function csvRows(bytes: Buffer): string[][] {
  return parse(bytes.subarray(3).toString('utf8'), { bom: false, relax_column_count: false }) as string[][]
}

/** 整改公示 (docs/disclosure.md): public, without login; the public items and nothing else. */
describe(`整改公示 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let campaignName: string
  const clock = { now: NOW }
  let chat: ReturnType<typeof chatAs>
  let app: Awaited<ReturnType<typeof listen>>
  let ids: { anle: number; hyperlink: number }

  /** A fresh app (its own cache and limit), with the dashboard in console mode. */
  const openApp = () =>
    listen(
      createApp({
        dataSource: ds,
        logger: createLogger('silent'),
        deliveryMode: 'console',
        now: () => clock.now,
        dashboard: { secret: DASHBOARD_SECRET, publicUrl: 'http://localhost:3000', wecom: null },
      }),
    )

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    campaignName = fixture.campaign.name
    chat = chatAs(ds, () => clock.now)
    // A third unit whose name sorts first in Chinese order, though created last (and last by code point).
    const anle = await seedRoster(ds, '安乐镇', [
      { userid: 'zhoumin', name: '周敏', roles: ['unit_head'] },
      { userid: 'qianwei', name: '钱伟', roles: ['staff'] },
    ])
    const items = ds.getRepository(LedgerItemSchema)
    const anleItem = await addLedgerItem(ds, fixture.campaign.id, anle, { leader: 'zhoumin', person: 'qianwei' }, { problem: '集镇农贸市场周边占道经营反复出现', measures: '联合执法，划定临时摊区', target: '市场周边无占道经营', responsibleDepartment: '党政办', dueDate: '2015-09-15', originalDueDate: '2015-09-15' })
    const hyperlink = await addLedgerItem(ds, fixture.campaign.id, fixture.hougang, { leader: 'sunli', person: 'wufang' }, { problem: HYPERLINK, measures: HOSTILE_MEASURES, target: '@SUM(A1:A2) 不再出现', responsibleDepartment: HOSTILE_DEPARTMENT, dueDate: '2015-10-20', originalDueDate: '2015-10-20', status: 'open', progress: 0 })
    ids = { anle: anleItem.id, hyperlink: hyperlink.id }
    // Marked 是否公开 as the ledger import marks them; 便民服务大厅… (soon) stays internal.
    await items.update([fixture.items.overdue, fixture.items.other, anleItem.id, hyperlink.id], { isPublic: true })

    // What people do in chat: progress with notes, an extension approved, an item rectified and closed.
    const ok = async (from: string, text: string, expected: RegExp) => {
      const answer = await chat(from, text)
      expect(answer.text, text).toMatch(expected)
      return answer.text
    }
    await ok('zhaolei', `进度 ${fixture.items.overdue} 60% ${NOTE}`, /60%/)
    await ok('wufang', `进度 ${fixture.items.other} 30% 已清理垃圾点位12处`, /30%/)
    const asked = await ok('zhaolei', `延期 ${fixture.items.overdue} 9月30日 ${EXTENSION_REASON}`, /已提交延期申请 #\d+/)
    await ok('wangjian', `批准 ${/#(\d+)/.exec(asked)![1]} 同意延期`, /已批准延期申请/)
    await ok('qianwei', `完成 ${anleItem.id} 已划定临时摊区两处`, /./)
    await ok('wangjian', `销号 ${anleItem.id} 经核实整改到位`, /销号/)
    // An inspection finding not listed, one listed as a (not public) item, and a report from the public.
    await ok('liuyang', `督查 登记\n单位：城关镇\n日期：8月28日\n方式：随机抽查\n发现：${FINDING_NOT_LISTED}\n整改：否`, /^已登记督查#\d+/)
    await ok('liuyang', `督查 登记\n单位：后港镇\n日期：8月28日\n方式：随机抽查\n发现：${FINDING_LISTED}\n类别：(六)\n整改：是`, /^已登记督查#\d+/)
    await ok('wangjian', `举报 登记\n来源：电话\n受理日期：8月28日\n内容：${REPORT_CONTENT}\n被举报单位：后港镇\n被举报人：孙丽\n举报人：${REPORTER}\n核查人：刘洋\n核查时限：9月4日`, /^已登记举报 #\d+/)
    // They are there to be leaked: history notes, findings, a report.
    expect(await ds.getRepository(ProgressUpdateSchema).countBy({ ledgerItemId: fixture.items.overdue })).toBeGreaterThan(1)
    expect(await ds.getRepository(InspectionSchema).count()).toBe(2)
    expect(await ds.getRepository(PublicReportSchema).count()).toBe(1)
  })
  afterAll(async () => {
    await db?.close()
  })
  beforeEach(async () => {
    clock.now = NOW
    app = await openApp()
  })
  afterEach(async () => {
    await app.close()
  })

  const get = (path: string) => browser(app.base).go(path)

  /** What the public sees, unit by unit in Chinese name order: every public item with its fields. */
  const EXPECTED = [
    { unit: '安乐镇', rows: [['集镇农贸市场周边占道经营反复出现', '联合执法，划定临时摊区', '市场周边无占道经营', '2015年9月15日', '党政办', '已销号', '100%']] },
    { unit: '城关镇', rows: [['招商引资项目跑办不积极，两个竞争性项目未按时申报', '成立专班，倒排时间', '按期完成', '2015年9月30日 | 原定 2015年8月25日', '—', '整改中', '60%']] },
    {
      unit: '后港镇',
      rows: [
        ['农村人居环境整治推进缓慢', '成立专班，倒排时间', '按期完成', '2015年9月30日', '—', '整改中', '30%'],
        [HYPERLINK, HOSTILE_MEASURES, '@SUM(A1:A2) 不再出现', '2015年10月20日', HOSTILE_DEPARTMENT, '未开始', '0%'],
      ],
    },
  ]

  it('lists every public item under its unit, units in Chinese name order, as of the minute; no login, no cookie', async () => {
    const page = await get('/gongshi')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('cache-control')).toBe('public, max-age=60')
    expect(page.headers.get('access-control-allow-origin')).toBeNull()
    expect(page.cookies).toEqual([])
    expect(page.body).toContain(`<h1>整改公示 · ${campaignName}</h1>`)
    expect(page.body).toContain('更新于 2015年8月31日 09:00')
    expect(page.body).toContain('共 4 项')
    expect(unitsOnPage(page.body)).toEqual(EXPECTED)
    // Its own layout: no dashboard header, sections or login; our stylesheet only, nothing from elsewhere.
    expect(page.body).not.toContain('/dash')
    expect(page.body).not.toContain('登录')
    expect(page.body).toContain('<link rel="stylesheet" href="/gongshi/gongshi.css"/>')
    expect(page.body).not.toMatch(/(?:src|href)="(?:https?:)?\/\//)
    // The dashboard on the same app still asks for a login.
    const dash = await get('/dash')
    expect(dash.status).toBe(302)
    expect(dash.location).toBe('/dash/login?next=%2Fdash')
  })

  it('shows nothing else: no item not marked public, no person, no history, no finding, no report from the public', async () => {
    const page = (await get('/gongshi')).body
    const csv = (await get('/gongshi.csv')).bytes.toString('utf8')
    const people = (await ds.getRepository(PersonSchema).find()).map((p) => p.name)
    expect(people).toEqual(expect.arrayContaining(['王健', '刘洋', '张伟', '李娜', '陈静', '赵磊', '孙丽', '吴芳', '周敏', '钱伟']))
    const listed = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ problem: FINDING_LISTED })
    expect(listed.isPublic).toBe(false)
    for (const text of [
      ...people,
      '便民服务大厅办事群众反映多头跑',
      NOTE,
      '已清理垃圾点位12处',
      EXTENSION_REASON,
      '已划定临时摊区两处',
      '经核实整改到位',
      FINDING_NOT_LISTED,
      FINDING_LISTED,
      REPORT_CONTENT,
      REPORTER,
      '13912345678',
    ]) {
      expect(page, text).not.toContain(text)
      expect(csv, text).not.toContain(text)
    }
  })

  it('escapes what people typed', async () => {
    const page = (await get('/gongshi')).body
    expect(page).not.toContain('<script>alert')
    expect(page).toContain('&lt;script>alert(1)&lt;/script>')
    // The formula is text on the page, shown as typed.
    expect(visible(page)).toContain(HYPERLINK)
    // No script runs on the page whatever slips through.
    expect((await get('/gongshi')).headers.get('content-security-policy')).toContain("default-src 'none'")
  })

  it('the CSV: the same rows, UTF-8 with BOM, RFC 4180 quoting, formulas neutralised, readable from any site', async () => {
    const response = await get('/gongshi.csv')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('cache-control')).toBe('public, max-age=60')
    expect([...response.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const rows = csvRows(response.bytes)
    expect(rows[0]).toEqual(['单位', '问题', '整改措施', '整改目标', '整改时限', '原定时限', '责任部门', '状态', '进度'])
    expect(rows[0]).toEqual([...CSV_HEADER])
    // The page's rows in the page's order; dates as YYYY-MM-DD, 原定时限 only when extended.
    const fromPage = unitsOnPage((await get('/gongshi')).body).flatMap(({ unit, rows: items }) =>
      items.map(([problem, measures, target, due, department, state, progress]) => [unit, problem, measures, target, due, department === '—' ? '' : department, state, progress]),
    )
    const isoToChinese = (iso: string) => (iso ? `${Number(iso.slice(0, 4))}年${Number(iso.slice(5, 7))}月${Number(iso.slice(8))}日` : '')
    const fromCsv = rows.slice(1).map(([unit, problem, measures, target, due, original, department, state, progress]) => {
      const neutral = (text: string) => (/^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text)
      return [unit, neutral(problem!), measures, neutral(target!), original ? `${isoToChinese(due!)} | 原定 ${isoToChinese(original)}` : isoToChinese(due!), department, state, progress]
    })
    expect(fromCsv).toEqual(fromPage)
    expect(rows.slice(1).map((r) => r[0])).toEqual(['安乐镇', '城关镇', '后港镇', '后港镇'])
    // A formula is text with a leading ', quotes doubled inside a quoted field; line breaks and commas kept.
    const hostile = rows.find((r) => r[1]!.includes('HYPERLINK'))!
    expect(hostile[1]).toBe(`'${HYPERLINK}`)
    expect(hostile[3]).toBe("'@SUM(A1:A2) 不再出现")
    expect(hostile[2]).toBe(HOSTILE_MEASURES)
    expect(hostile[6]).toBe(HOSTILE_DEPARTMENT)
    const raw = response.bytes.toString('utf8')
    expect(raw).toContain(`"'=HYPERLINK(""http://evil.example/x"",""点击领取补贴"")"`)
    expect(raw.split('\r\n')[0]).toBe('\uFEFF单位,问题,整改措施,整改目标,整改时限,原定时限,责任部门,状态,进度')
    expect(rows.find((r) => r[0] === '城关镇')!.slice(4, 6)).toEqual(['2015-09-30', '2015-08-25'])
  })

  it('the stylesheet: our own file, cached a day, A4 print rules', async () => {
    const css = await get('/gongshi/gongshi.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(css.headers.get('cache-control')).toBe('public, max-age=86400')
    expect(css.body).toContain('@page { size: A4; margin: 15mm; }')
    expect(css.body).toContain('@media print')
    expect(css.body).not.toMatch(/@import|@font-face|url\(/)
  })

  it('in chromium: at 390 px one block per item and no horizontal scrolling; printed, a table on A4 within 15 mm margins', async () => {
    mkdirSync(OUTPUT, { recursive: true })
    const chromium = await launchChromium()
    try {
      const page = await chromium.newPage({ viewport: { width: 390, height: 844 } })
      const errors: string[] = []
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()))
      page.on('pageerror', (error) => errors.push(String(error)))
      await page.goto(`${app.base}/gongshi`)
      const style = (selector: string, property: string, pseudo = '') =>
        page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)}), ${JSON.stringify(pseudo || null)}).${property}`) as Promise<string>
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
      expect(await style('.items thead', 'display')).toBe('none')
      expect(await style('.items tbody tr', 'display')).toBe('block')
      expect(await style('.items td', 'content', '::before')).toBe('"问题"')
      // The long unbroken link wraps within its block.
      expect(await page.evaluate(`Math.max(...[...document.querySelectorAll('.items td')].map((td) => td.getBoundingClientRect().right))`)).toBeLessThanOrEqual(390)
      await page.screenshot({ path: new URL('gongshi-390.png', OUTPUT).pathname, fullPage: true })
      // Paper: A4 less 15 mm on each side is 180 mm, 680 px at 96 dpi.
      await page.emulateMedia({ media: 'print' })
      await page.setViewportSize({ width: 680, height: 960 })
      expect(await style('.items thead', 'display')).toBe('table-header-group')
      expect(await style('.items td', 'display')).toBe('table-cell')
      expect(await style('.no-print', 'display')).toBe('none')
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(680)
      const pdf = await page.pdf({ preferCSSPageSize: true, path: new URL('gongshi-a4.pdf', OUTPUT).pathname })
      const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString('latin1'))
      expect(box && [Math.round(Number(box[1])), Math.round(Number(box[2]))]).toEqual([595, 842])
      expect(errors).toEqual([])
    } finally {
      await chromium.close()
    }
  })

  it('is read once a minute: a change within 60 s is not shown, after 61 s it is (page and CSV)', async () => {
    expect(unitsOnPage((await get('/gongshi')).body)[1]!.rows[0]![6]).toBe('60%')
    await chat('zhaolei', `进度 ${fixture.items.overdue} 80% 第二家企业已签约`)
    await ds.getRepository(LedgerItemSchema).update(fixture.items.soon, { isPublic: true })
    try {
      clock.now = seconds(59)
      const early = await get('/gongshi')
      expect(unitsOnPage(early.body)[1]!.rows[0]![6]).toBe('60%')
      expect(early.body).toContain('更新于 2015年8月31日 09:00')
      expect(early.body).not.toContain('便民服务大厅办事群众反映多头跑')
      expect(csvRows((await get('/gongshi.csv')).bytes).find((r) => r[0] === '城关镇')![8]).toBe('60%')
      clock.now = seconds(61)
      const later = await get('/gongshi')
      expect(later.body).toContain('更新于 2015年8月31日 09:01')
      const chengguan = unitsOnPage(later.body)[1]!
      expect(chengguan.rows.map((r) => [r[0], r[6]])).toEqual([
        ['便民服务大厅办事群众反映多头跑', '70%'],
        ['招商引资项目跑办不积极，两个竞争性项目未按时申报', '80%'],
      ])
      expect(csvRows((await get('/gongshi.csv')).bytes).filter((r) => r[0] === '城关镇').map((r) => r[8])).toEqual(['70%', '80%'])
    } finally {
      await ds.getRepository(LedgerItemSchema).update(fixture.items.soon, { isPublic: false })
      await chat('zhaolei', `进度 ${fixture.items.overdue} 60% 回到六成`)
    }
  })

  it('limits each address to 60 requests a minute (page and CSV together): the 61st is 429 in Chinese with Retry-After', async () => {
    clock.now = seconds(15)
    for (let i = 0; i < 60; i++) expect((await get(i % 2 ? '/gongshi' : '/gongshi.csv')).status, `request ${i + 1}`).toBe(200)
    const refused = await get('/gongshi')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('45')
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(refused.body).toContain('访问过于频繁')
    expect(refused.body).toContain('请 45 秒后再试。')
    const csv = await get('/gongshi.csv')
    expect(csv.status).toBe(429)
    expect(csv.headers.get('access-control-allow-origin')).toBe('*')
    // The stylesheet is not counted.
    expect((await get('/gongshi/gongshi.css')).status).toBe(200)
    // The next minute, the address may ask again.
    clock.now = seconds(60)
    expect((await get('/gongshi')).status).toBe(200)
  })

  it('behind a proxy (TRUST_PROXY): each visitor by the address the proxy added, not one the visitor wrote', async () => {
    clock.now = seconds(120)
    const proxied = await listen(createApp({ dataSource: ds, logger: createLogger('silent'), deliveryMode: 'console', now: () => clock.now, trustProxy: true }))
    try {
      const from = (forwarded: string) => fetch(`${proxied.base}/gongshi`, { headers: { 'x-forwarded-for': forwarded } })
      // One visitor, who also writes a different address of their own each time: the proxy's entry, last, counts.
      for (let i = 0; i < 60; i++) expect((await from(`10.9.${i}.1, 203.0.113.7`)).status).toBe(200)
      expect((await from('10.9.200.1, 203.0.113.7')).status).toBe(429)
      // Another visitor is not held back by the first.
      expect((await from('198.51.100.9')).status).toBe(200)
    } finally {
      await proxied.close()
    }
    // Without TRUST_PROXY the header is not believed: everyone is the connection's address.
    clock.now = seconds(180)
    const direct = await listen(createApp({ dataSource: ds, logger: createLogger('silent'), deliveryMode: 'console', now: () => clock.now }))
    try {
      for (let i = 0; i < 60; i++) await fetch(`${direct.base}/gongshi`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } })
      expect((await fetch(`${direct.base}/gongshi`, { headers: { 'x-forwarded-for': '192.0.2.77' } })).status).toBe(429)
    } finally {
      await direct.close()
    }
  })
})

describe('the per-address limit', () => {
  const T = NOW.getTime()

  it('counts each address apart, in fixed windows of the clock', () => {
    const limiter = fixedWindowLimiter({ limit: 3, windowMs: 60_000, maxAddresses: 100 })
    for (let i = 0; i < 3; i++) expect(limiter.hit('203.0.113.7', T + i)).toEqual({ allowed: true })
    expect(limiter.hit('203.0.113.7', T + 20_000)).toEqual({ allowed: false, retryAfterSeconds: 40 })
    // Another address is unaffected.
    expect(limiter.hit('198.51.100.9', T + 20_000)).toEqual({ allowed: true })
    expect(limiter.hit('2001:db8::1', T + 20_000)).toEqual({ allowed: true })
    // The last millisecond of the window: still refused, 1 s to wait; the next window starts afresh.
    expect(limiter.hit('203.0.113.7', T + 59_999)).toEqual({ allowed: false, retryAfterSeconds: 1 })
    expect(limiter.hit('203.0.113.7', T + 60_000)).toEqual({ allowed: true })
    expect(limiter.size).toBe(1)
  })

  it('remembers a bounded number of addresses: many addresses cannot exhaust memory, nor block anyone', () => {
    const limiter = fixedWindowLimiter({ limit: 2, windowMs: 60_000, maxAddresses: 1000 })
    limiter.hit('192.0.2.1', T)
    limiter.hit('192.0.2.1', T)
    expect(limiter.hit('192.0.2.1', T).allowed).toBe(false)
    for (let i = 0; i < 50_000; i++) expect(limiter.hit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T + 1).allowed).toBe(true)
    expect(limiter.size).toBe(1000)
    // The address remembered longest was forgotten: its count starts again.
    expect(limiter.hit('192.0.2.1', T + 2)).toEqual({ allowed: true })
    // A recent one (the last of the 50,000) is still counted.
    expect(limiter.hit('10.0.195.79', T + 3)).toEqual({ allowed: true })
    expect(limiter.hit('10.0.195.79', T + 3).allowed).toBe(false)
  })
})

describe(`整改公示 with no campaign on ${dialect}`, () => {
  let db: MigratedDatabase
  let app: Awaited<ReturnType<typeof listen>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    // Without the dashboard configured: the public page is there all the same.
    app = await listen(createApp({ dataSource: db.dataSource, logger: createLogger('silent'), deliveryMode: 'console', now: () => NOW }))
  })
  afterAll(async () => {
    await app?.close()
    await db?.close()
  })

  it('says in Chinese there is nothing to disclose; the CSV has its header only; /dash is not there', async () => {
    const b = browser(app.base)
    const page = await b.go('/gongshi')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<h1>整改公示</h1>')
    expect(page.body).toContain('目前没有开展中的专项治理，暂无需要公示的整改事项。')
    const csv = await b.go('/gongshi.csv')
    expect(csv.status).toBe(200)
    expect(csvRows(csv.bytes)).toEqual([[...CSV_HEADER]])
    expect((await b.go('/dash')).status).toBe(404)
  })
})
