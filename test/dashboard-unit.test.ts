import ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UnitSchema } from '../src/db/entities/index.js'
import { addCampaignUnit } from '../src/domain/campaign/create-campaign.js'
import { browser, consoleDashboard, devSignIn, type Browser, launchChromium } from './helpers/dashboard.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')
const at = (time: string) => new Date(`${time}+08:00`)
const HOSTILE_UNIT = '<img src=x onerror=alert(1)>镇'

/** 单位 on the dashboard (docs/dashboard.md, 单位): one unit's figures, items, reports, deliverables and acknowledgements. */
describe(`the unit page on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let dash: Awaited<ReturnType<typeof consoleDashboard>>
  let items: { overdue: number; rectified: number; extended: number; closed: number }
  let circularId: number
  let emptyUnit: number
  const sessions = new Map<string, Browser>()

  /** Chat as a person at a Beijing time; a refusal fails the setup. */
  async function say(userid: string, text: string, time: string): Promise<string> {
    const result = await chatAs(ds, at(time))(userid, text)
    if (result.refused !== undefined) throw new Error(`${userid}「${text}」 refused: ${result.text}`)
    return result.text
  }

  async function as(userid: string): Promise<Browser> {
    let b = sessions.get(userid)
    if (!b) sessions.set(userid, (b = await devSignIn(dash.base, userid)))
    return b
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    // The fixture's roster makes every unit a county department; 城关镇 is a town.
    await ds.getRepository(UnitSchema).update({ id: fixture.chengguan }, { kind: 'town' })
    const { campaign, chengguan } = fixture
    const extended = await addLedgerItem(ds, campaign.id, chengguan, { leader: 'lina', person: 'zhaolei' }, { problem: '窗口服务<script>alert(1)</script>推诿扯皮' })
    const closed = await addLedgerItem(ds, campaign.id, chengguan, { leader: 'lina', person: 'chenjing' }, { problem: '会议纪要未按时印发' })
    items = { overdue: fixture.items.overdue, rectified: fixture.items.soon, extended: extended.id, closed: closed.id }

    // The ledger as people change it in chat.
    await say('zhaolei', `进度 ${items.overdue} 60% 已完成初步整改`, '2015-08-20T10:00:00')
    const request = /延期申请 #(\d+)/.exec(await say('zhaolei', `延期 ${items.extended} 9月30日 需等待省厅批复`, '2015-08-24T10:00:00'))![1]
    await say('wangjian', `批准 ${request} 同意延期`, '2015-08-24T15:00:00')
    await say('chenjing', `完成 ${items.closed} 已按时印发并存档`, '2015-08-26T10:00:00')
    await say('wangjian', `销号 ${items.closed} 经核实整改到位`, '2015-08-27T10:00:00')
    await say('chenjing', `完成 ${items.rectified} 已建立首问负责制并公示`, '2015-08-28T10:00:00')

    // Monthly reports: July's once; August's three times (twice revised), the last with markup in it.
    await say('zhangwei', '月报 七月召开动员会1次，制定工作计划，明确专项治理任务和措施。', '2015-07-30T16:00:00')
    await say('zhangwei', '月报 八月第一版：召开推进会1次，查摆问题3个。', '2015-08-20T16:00:00')
    await say('chenjing', '月报 八月第二版：召开推进会2次，查摆问题4个，已整改1个。', '2015-08-25T16:00:00')
    await say('zhangwei', '月报 八月第三版：<b>查摆问题4个</b>，已整改2个，下月完成剩余整改。', '2015-08-31T08:00:00')

    // A 全面检查 of 城关镇 in the 监督检查 phase counts for its deliverable (docs/inspections.md, Coverage).
    await say('liuyang', '督查 登记\n单位：城关镇\n日期：8月20日\n方式：全面检查\n发现：部分窗口未公示办事流程\n类别：(六)\n整改：否', '2015-08-21T10:00:00')

    // A circular to 城关镇: its head acknowledges it, its liaison does not.
    circularId = Number(/#(\d+)《/.exec(await say('wangjian', '通报 发布 单位 城关镇 关于报送<i>台账</i>的通知\n请于9月5日前报送本月台账。', '2015-08-28T09:00:00'))![1])
    await say('zhangwei', `收到 ${circularId}`, '2015-08-28T11:30:00')

    // A participating unit with a hostile name and no items.
    emptyUnit = await seedRoster(ds, HOSTILE_UNIT, [{ userid: 'evilhead', name: '<b>头</b>', roles: ['unit_head'] }])
    await ds.transaction((m) => addCampaignUnit(m, campaign.id, emptyUnit, 'participant'))

    dash = await consoleDashboard(ds, () => NOW)
  })
  afterAll(async () => {
    await dash?.close()
    await db?.close()
  })

  const page = async (userid: string, path: string) => (await as(userid)).go(path)
  const shown = (body: string, name: string) => new RegExp(`<dt>${name}</dt><dd>([^<]+)</dd>`).exec(body)?.[1]
  /** The item numbers of the items table, in its order. */
  const itemNumbers = (body: string) => [...body.matchAll(/<a href="\/dash\/items\/(\d+)">#\d+<\/a><\/td>/g)].map((m) => Number(m[1]))

  it('组织部 sees 城关镇 with the overview row’s figures and 统计’s, its head and liaison', async () => {
    const body = (await page('wangjian', `/dash/units/${fixture.chengguan}`)).body
    expect(body).toContain('乡镇 · 参加单位')
    expect(body).toMatch(/<h1><span class="light red"[^>]*>●<\/span> <span>城关镇<\/span><\/h1>/)
    expect(body).toContain('<dt>第一责任人</dt><dd>张伟</dd><dt>联络员</dt><dd>陈静</dd>')
    const figures = ['总数', '未开始', '整改中', '待销号', '已销号', '逾期', '按期率', '月报'].map((name) => shown(body, name))
    // By hand: 4 items — one overdue in progress, one extended in progress, one rectified, one closed on time (1 of 2 due: 50%); July's and August's reports.
    expect(figures).toEqual(['4', '0', '2', '1', '1', '1', '50%', '2'])
    // 统计 in chat says the same of the unit.
    const stats = (await say('wangjian', '统计', '2015-08-31T09:00:00')).split('\n').find((line) => line.includes('城关镇：'))!
    expect(stats).toBe(`🔴 城关镇：共${figures[0]} 未开始${figures[1]} 整改中${figures[2]} 待销号${figures[3]} 销号${figures[4]} 逾期${figures[5]} 按期${figures[6]} 月报${figures[7]}`)
    // And the overview's row, which links here.
    const overview = (await page('wangjian', '/dash')).body
    const row = new RegExp(`<td><a href="/dash/units/${fixture.chengguan}">城关镇</a></td><td>(\\d+)</td><td[^>]*>(\\d+)</td><td>([^<]+)</td><td title="共 (\\d+) 份，最近 [^"]+ 报送">8月</td>`).exec(overview)!
    expect(row.slice(1)).toEqual([figures[0], figures[5], figures[6], figures[7]])
  })

  it('is its head’s and liaison’s own; another unit’s head, a leader and staff are refused with who may see it; an unknown unit is not found', async () => {
    expect((await page('zhangwei', `/dash/units/${fixture.chengguan}`)).status).toBe(200)
    expect((await page('chenjing', `/dash/units/${fixture.chengguan}`)).status).toBe(200)
    expect((await page('liuyang', `/dash/units/${fixture.hougang}`)).status).toBe(200)
    const other = await page('zhangwei', `/dash/units/${fixture.hougang}`)
    expect(other.status).toBe(403)
    expect(other.body).toContain('单位页面只对组织部（干部监督科）、专项检查组和该单位的第一责任人、联络员开放。')
    expect(other.body).toContain('您可以查看本单位：城关镇（从总览进入）。')
    expect(other.body).not.toContain('农村人居环境')
    for (const userid of ['lina', 'zhaolei']) {
      const refused = await page(userid, `/dash/units/${fixture.chengguan}`)
      expect(refused.status).toBe(403)
      expect(refused.body).toContain('单位页面只对组织部（干部监督科）、专项检查组和该单位的第一责任人、联络员开放。')
      expect(refused.body).not.toContain('招商引资')
    }
    for (const path of ['/dash/units/99999', '/dash/units/abc', '/dash/units/0', '/dash/units/99999999999999']) expect((await page('wangjian', path)).status).toBe(404)
    // Not signed in: to the login, and back here after it.
    const stranger = await browser(dash.base).go(`/dash/units/${fixture.chengguan}`)
    expect(stranger.status).toBe(302)
    expect(stranger.location).toBe(`/dash/login?next=${encodeURIComponent(`/dash/units/${fixture.chengguan}`)}`)
  })

  it('lists every item most urgent first, with its light, link, state, progress, due date (and the original when extended) and person', async () => {
    const body = (await page('zhangwei', `/dash/units/${fixture.chengguan}`)).body
    // Overdue first, then the rectified one (🟡), then the on-track ones by due date: closed (10 Sep) before extended (30 Sep).
    expect(itemNumbers(body)).toEqual([items.overdue, items.rectified, items.closed, items.extended])
    const rowOf = (id: number) => new RegExp(`<tr><td><span class="light (\\w+)"[^>]*>●</span> <a href="/dash/items/${id}">#${id}</a></td>(.*?)</tr>`).exec(body)!
    expect(rowOf(items.overdue)[1]).toBe('red')
    expect(rowOf(items.overdue)[2]).toBe('<td>招商引资项目跑办不积极，两个竞争性项目未按时申报</td><td class="bad">整改中 · 逾期 4 个工作日</td><td>60%</td><td>8月25日</td><td>赵磊</td>')
    expect(rowOf(items.rectified)[1]).toBe('amber')
    expect(rowOf(items.rectified)[2]).toContain('<td>已整改待销号</td><td>100%</td><td>9月2日</td><td>陈静</td>')
    expect(rowOf(items.closed)[2]).toContain('<td>已销号</td>')
    expect(rowOf(items.extended)[1]).toBe('green')
    expect(rowOf(items.extended)[2]).toBe('<td>窗口服务&lt;script>alert(1)&lt;/script>推诿扯皮</td><td>整改中</td><td>40%</td><td>9月30日（原 9月10日）</td><td>赵磊</td>')
    expect(body).not.toContain('<script>')
    expect(body).toContain('<p class="count">共 4 项</p>')
  })

  it('filters by state, and 导出 Excel gives the rows shown', async () => {
    const expected = {
      all: [items.overdue, items.rectified, items.closed, items.extended],
      open: [items.overdue, items.extended],
      overdue: [items.overdue],
      rectified: [items.rectified],
      closed: [items.closed],
    }
    const b = await as('wangjian')
    for (const [state, numbers] of Object.entries(expected)) {
      const body = (await b.go(`/dash/units/${fixture.chengguan}?state=${state}`)).body
      expect(itemNumbers(body), state).toEqual(numbers)
      // The option chosen says how many it shows: the unit's figures.
      expect(body).toMatch(new RegExp(`<option value="${state}" selected>[^<]*（${numbers.length}）</option>`))
      const href = /<a href="([^"]+)">导出 Excel<\/a>/.exec(body)![1]!.replaceAll('&amp;', '&')
      expect(href).toBe(`/dash/units/${fixture.chengguan}?state=${state}&format=xlsx`)
      const file = await b.go(href)
      expect(file.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      const book = new ExcelJS.Workbook()
      await book.xlsx.load(file.bytes as unknown as ArrayBuffer)
      const sheet = book.worksheets[0]!
      expect(sheet.getRow(2).values).toEqual([undefined, '编号', '问题', '状态', '进度', '完成时限', '原定时限', '责任人'])
      const rows = sheet.getRows(3, sheet.rowCount - 2) ?? []
      expect(rows.map((r) => r.getCell(1).value), state).toEqual(numbers)
    }
    // The whole table's row for the extended item, as the page shows it.
    const file = await b.go(`/dash/units/${fixture.chengguan}?format=xlsx`)
    const book = new ExcelJS.Workbook()
    await book.xlsx.load(file.bytes as unknown as ArrayBuffer)
    const row = book.worksheets[0]!.getRow(6).values as unknown[]
    expect(row.slice(1, 4)).toEqual([items.extended, '窗口服务<script>alert(1)</script>推诿扯皮', '整改中'])
    expect(row[4]).toBe(0.4)
    expect([(row[5] as Date).toISOString().slice(0, 10), (row[6] as Date).toISOString().slice(0, 10), row[7]]).toEqual(['2015-09-30', '2015-09-10', '赵磊'])
    // A made-up state shows them all.
    expect(itemNumbers((await b.go(`/dash/units/${fixture.chengguan}?state=%3Cx%3E`)).body)).toEqual(expected.all)
  })

  it('shows each month’s report: the current text, and a report revised twice with both earlier versions, as 查看月报', async () => {
    const body = (await page('zhangwei', `/dash/units/${fixture.chengguan}`)).body
    const reports = body.slice(body.indexOf('<section class="card" id="reports">'), body.indexOf('<section class="card" id="deliverables">'))
    // The latest month first.
    expect(reports.indexOf('2015年8月')).toBeLessThan(reports.indexOf('2015年7月'))
    expect(reports).toContain('<h3>2015年7月</h3><p>按时报送</p>')
    expect(reports).toContain('<h3>2015年8月</h3><p>已报送</p>')
    expect(reports).toContain('<details><summary>第 3 版 · 张伟 8月31日 08:00 提交</summary><p class="report-text">八月第三版：&lt;b>查摆问题4个&lt;/b>，已整改2个，下月完成剩余整改。</p></details>')
    expect(reports).toContain('<summary>此前 2 版</summary>')
    const earlier = [...reports.matchAll(/<li><p>(第 \d 版 · [^<]+)<\/p><p class="report-text">([^<]+)<\/p><\/li>/g)].map((m) => [m[1], m[2]])
    expect(earlier).toEqual([
      ['第 2 版 · 陈静 8月25日 16:00 提交', '八月第二版：召开推进会2次，查摆问题4个，已整改1个。'],
      ['第 1 版 · 张伟 8月20日 16:00 提交', '八月第一版：召开推进会1次，查摆问题3个。'],
    ])
    // 查看月报 in chat: the same current version and the same two before it.
    const chat = await say('zhangwei', '查看月报 城关镇 8月', '2015-08-31T09:00:00')
    expect(chat).toContain('张伟 8月31日 08:00 提交（第 3 版）')
    expect(chat).toContain('此前 2 版：')
    // A unit that sent nothing: July missed, August still due today.
    const hougang = (await page('wangjian', `/dash/units/${fixture.hougang}`)).body
    expect(hougang).toContain('<h3>2015年7月</h3><p class="bad">未报（应于7月31日前报送）</p>')
    expect(hougang).toContain('<h3>2015年8月</h3><p>未报送（8月31日前报送）</p>')
  })

  it('shows each phase’s deliverables done or owed, and what is owed now is what 阶段 tells the unit', async () => {
    const body = (await page('zhangwei', `/dash/units/${fixture.chengguan}`)).body
    const section = body.slice(body.indexOf('<section class="card" id="deliverables">'), body.indexOf('<section class="card" id="circulars">'))
    const tasks = [...section.matchAll(/<li class="(done|owed)">.*?<span>([^<]+)<\/span> <span class="[^"]*">([^<]+)<\/span><\/li>/g)].map((m) => [m[2], m[1], m[3]])
    expect(tasks).toEqual([
      ['制定工作计划、开展动员部署', 'owed', '逾期未交，7月31日截止'],
      ['查摆问题、建立工作台账', 'owed', '未交，8月31日截止'],
      ['公开整改措施和进展情况', 'owed', '未交，8月31日截止'],
      // The 全面检查 recorded through 督查 登记 counts for it.
      ['对所辖单位自查整改情况进行全面检查', 'done', '已完成'],
      ['专项治理工作总结', 'owed', '未交，12月31日截止'],
      ['建立相关工作机制', 'owed', '未交，12月31日截止'],
    ])
    expect(section).toContain('<h3>自查整改（8月1日–8月31日，进行中）</h3>')
    // 阶段 in chat: what the unit owes of today's phases (自查整改 and 监督检查), the same two.
    const chat = await say('zhangwei', '阶段', '2015-08-31T09:00:00')
    const owed = chat.split('\n').filter((line) => /^🟡|^🔴|^🟢/.test(line)).map((line) => line.replace(/^\S+ /, '').replace(/（.*$/, ''))
    expect(owed).toEqual(['查摆问题、建立工作台账', '公开整改措施和进展情况'])
  })

  it('shows the circulars sent to the unit’s people and who acknowledged them, as 通报 状态', async () => {
    const body = (await page('wangjian', `/dash/units/${fixture.chengguan}`)).body
    const section = body.slice(body.indexOf('<section class="card" id="circulars">'))
    expect(section).toContain(`<a href="/dash/circulars/${circularId}">通报 #${circularId}《关于报送&lt;i>台账&lt;/i>的通知》</a>`)
    expect(section).toContain('8月28日 09:00发出 · 已确认 1/2 人')
    expect(section).toContain('<tr class="acknowledged"><td class="text">张伟</td><td class="text">第一责任人</td><td>已确认（8月28日 11:30）</td></tr>')
    expect(section).toContain('<tr class="waiting"><td class="text">陈静</td><td class="text">联络员</td><td class="bad">未确认</td></tr>')
    expect(await say('wangjian', `通报 状态 ${circularId}`, '2015-08-31T09:00:00')).toContain('- 城关镇：陈静（联络员）')
    // 后港镇's people were not sent it.
    expect((await page('wangjian', `/dash/units/${fixture.hougang}`)).body).toContain('还没有发给该单位人员的通报。')
  })

  it('a unit with no items says so, and whatever it and its people are called is escaped', async () => {
    const b = await devSignIn(dash.base, 'evilhead')
    const res = await b.go(`/dash/units/${emptyUnit}`)
    expect(res.status).toBe(200)
    expect(res.body).toContain('该单位在本专项治理中没有台账事项。')
    expect(res.body).toContain('<span>&lt;img src=x onerror=alert(1)>镇</span>')
    expect(res.body).toContain('<title>&lt;img src=x onerror=alert(1)>镇 · 专项治理督办</title>')
    expect(res.body).toContain('<dd>&lt;b>头&lt;/b></dd>')
    expect(res.body).not.toContain('<img src=x')
    expect(res.body).not.toContain('<b>头')
    expect(shown(res.body, '总数')).toBe('0')
    expect(res.body).not.toContain('导出 Excel')
  })
  it('on a phone (390 px) the page never scrolls sideways, every report opened; the items table scrolls within its box', async () => {
    const path = `/dash/units/${fixture.chengguan}`
    const chrome = await launchChromium()
    try {
      const tab = await chrome.newPage({ viewport: { width: 390, height: 844 } })
      await tab.goto(`${dash.base}/dash/login?next=${encodeURIComponent(path)}`)
      await tab.getByRole('button', { name: /^王健/ }).click()
      await tab.waitForURL(`${dash.base}${path}`)
      expect(await tab.title()).toBe('城关镇 · 专项治理督办')
      // Reports are collapsed until opened.
      expect(await tab.getByText('八月第三版').isVisible()).toBe(false)
      await tab.getByText('第 3 版 · 张伟').click()
      expect(await tab.getByText('八月第三版').isVisible()).toBe(true)
      await tab.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true })")
      expect(await tab.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
      expect(await tab.evaluate("Math.ceil(document.querySelector('#items .table-wrap').getBoundingClientRect().right)")).toBeLessThanOrEqual(390)
    } finally {
      await chrome.close()
    }
  })
})
