import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { PersonSchema, UnitSchema } from '../src/db/entities/index.js'
import { addCampaignUnit } from '../src/domain/campaign/create-campaign.js'
import { submitMonthlyReport } from '../src/domain/reports/monthly-report-service.js'
import { SHEET_NAMES } from '../src/domain/reports/monthly-workbook.js'
import { consoleDashboard, devSignIn, type Browser } from './helpers/dashboard.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const bj = (at: string) => new Date(`${at}+08:00`)
/** Mid-September 2015: July and August have ended, September's reports are due on the 30th. */
const NOW = bj('2015-09-15T10:00:00')
const EVIL = '<img src=x onerror=alert(1)>镇'

/** Text of an HTML fragment as a person reads it: tags dropped (a quoted attribute may hold a ">"), the escapes undone. */
const text = (html: string) =>
  html
    .replace(/<(?:[^>"]|"[^"]*")*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#34;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim()

/** The rows of a page's table body, each as the texts of its cells. */
function tableRows(page: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? ''
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => text(cell[1]!)))
}

/** A downloaded .xlsx, read back. */
async function loadWorkbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer)
  return workbook
}

/** The data rows of a .xlsx table written by sendTable (a title row, a header row, then the rows). */
async function sheetRows(bytes: Buffer): Promise<{ title: string; header: string[]; rows: unknown[][] }> {
  const sheet = (await loadWorkbook(bytes)).worksheets[0]!
  const values = (n: number) => (sheet.getRow(n).values as unknown[]).slice(1)
  const rows: unknown[][] = []
  for (let n = 3; n <= sheet.rowCount; n++) rows.push(values(n))
  return { title: String(values(1)[0]), header: values(2).map(String), rows }
}

/** The item numbers chat's 逾期 lists, in its order. */
const chatItemIds = (reply: string) => [...reply.matchAll(/^🔴 #(\d+) /gm)].map((m) => Number(m[1]))
/** The item numbers the 逾期 page lists, in its order. */
const pageItemIds = (page: string) => [...page.matchAll(/<td><a href="\/dash\/items\/(\d+)">#\d+<\/a><\/td>/g)].map((m) => Number(m[1]))

/** 逾期 and 月报 on the dashboard (docs/dashboard.md): the same lists and marks as chat and the monthly workbook. */
describe(`the dashboard's 逾期 and 月报 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let app: Awaited<ReturnType<typeof consoleDashboard>>
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let evilUnit: number
  let evilItem: number
  const browsers = new Map<string, Browser>()
  const as = async (userid: string) => {
    if (!browsers.has(userid)) browsers.set(userid, await devSignIn(app.base, userid))
    return browsers.get(userid)!
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    // A third participating town whose name and report try to be markup.
    evilUnit = (await ds.getRepository(UnitSchema).save({ name: EVIL, kind: 'town', parentId: null })).id
    await seedRoster(ds, EVIL, [{ userid: 'evilhead', name: '<b>头</b>', roles: ['unit_head'] }])
    await ds.transaction((m) => addCampaignUnit(m, fixture.campaign.id, evilUnit, 'participant'))
    evilItem = (await addLedgerItem(ds, fixture.campaign.id, evilUnit, { leader: 'evilhead', person: 'evilhead' }, { problem: '<script>alert("问题")</script>拖延', dueDate: '2015-09-01', originalDueDate: '2015-09-01' })).id
    // One more overdue item of 后港镇, due long before the others.
    await addLedgerItem(ds, fixture.campaign.id, fixture.hougang, { leader: 'sunli', person: 'wufang' }, { problem: '村级活动场所闲置', dueDate: '2015-08-03', originalDueDate: '2015-08-03' })

    // The reports, as people send them. 城关镇: July on the 20th; August on the 10th by 陈静, again on the 28th by 张伟; none yet in September.
    await chatAs(ds, bj('2015-07-20T09:30:00'))('chenjing', '月报 本月召开专项治理动员会1次，梳理问题清单2项。')
    await chatAs(ds, bj('2015-08-10T16:00:00'))('chenjing', '月报 本月召开推进会1次，查摆问题2个，正在整改。')
    await chatAs(ds, bj('2015-08-28T11:15:00'))('zhangwei', '月报 本月召开推进会2次，查摆问题2个，1个已完成整改。\n下月完成剩余整改。')
    // 后港镇: nothing in July; August's report only on 2 September (the domain service takes the report's month from `today`); September's on the 8th.
    const sunli = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'sunli' })
    await submitMonthlyReport(ds, { campaignId: fixture.campaign.id, unitId: fixture.hougang, personId: sunli.id, content: '八月份补报：召开会议1次，整改问题1个。', today: '2015-08-31', now: bj('2015-09-02T08:40:00') })
    await chatAs(ds, bj('2015-09-08T15:00:00'))('sunli', '月报 九月召开推进会1次，整改问题2个，下月继续推进。')
    // The hostile town: July and August missed; September's report tries markup.
    const evilhead = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'evilhead' })
    await submitMonthlyReport(ds, { campaignId: fixture.campaign.id, unitId: evilUnit, personId: evilhead.id, content: '<script>alert(1)</script>本月工作正常推进中。', today: '2015-09-14', now: bj('2015-09-14T09:00:00') })

    app = await consoleDashboard(ds, () => NOW)
  })
  afterAll(async () => {
    await app?.close()
    await db?.close()
  })

  describe('逾期', () => {
    it('lists for 组织部 the same items as chat’s 逾期, in its order, with the count chat gives', async () => {
      const chat = (await chatAs(ds, NOW)('wangjian', '逾期')).text
      const page = (await (await as('wangjian')).go('/dash/overdue')).body
      expect(chatItemIds(chat).length).toBe(4)
      expect(pageItemIds(page)).toEqual(chatItemIds(chat))
      expect(chat).toContain('**逾期未整改 4 项**')
      expect(page).toContain('逾期未整改 4 项，涉及 3 个单位')
      // Every item's unit, linked (组织部 sees every unit's ledger), and the working days overdue as chat writes them.
      const first = tableRows(page).find((r) => r[0] === `#${fixture.items.overdue}`)!
      // Due 25 August (a Tuesday), read on 15 September: the working days after it — 26 August to 15 September less the
      // weekends and the 3–4 September holiday, with Sunday 6 September worked — are 14.
      expect(first).toEqual([`#${fixture.items.overdue}`, '城关镇', '招商引资项目跑办不积极，两个竞争性项目未按时申报', '8月25日', '逾期 14 个工作日', '李娜', '赵磊'])
      expect(chat.split('\n').find((line) => line.startsWith(`🔴 #${fixture.items.overdue} `))).toContain('逾期 14 个工作日（8月25日到期）')
      expect(page).toContain(`<td><a href="/dash/units/${fixture.chengguan}">城关镇</a></td>`)
    })

    it('lists for a unit head their unit’s items alone, as chat does, unit links their own', async () => {
      const chat = (await chatAs(ds, NOW)('zhangwei', '逾期')).text
      const page = (await (await as('zhangwei')).go('/dash/overdue')).body
      expect(pageItemIds(page)).toEqual(chatItemIds(chat))
      expect(pageItemIds(page)).toEqual([fixture.items.overdue, fixture.items.soon])
      expect(page).not.toContain('后港镇')
      expect(page).toContain('本单位')
    })

    it('filters by unit as 逾期 <单位> does, and refuses a unit head another unit, in chat’s words', async () => {
      const chat = (await chatAs(ds, NOW)('wangjian', '逾期 后港镇')).text
      const page = (await (await as('wangjian')).go(`/dash/overdue?unit=${fixture.hougang}`)).body
      expect(pageItemIds(page)).toEqual(chatItemIds(chat))
      expect(pageItemIds(page)).toHaveLength(1)
      expect(page).toContain('后港镇逾期未整改 1 项')
      expect(page).toMatch(new RegExp(`<option value="${fixture.hougang}" selected>后港镇（1 项）</option>`))
      const refused = await (await as('zhangwei')).go(`/dash/overdue?unit=${fixture.hougang}`)
      expect(refused.status).toBe(403)
      expect(refused.body).toContain('第一责任人只能查看本单位的逾期事项。')
      expect((await chatAs(ds, NOW)('zhangwei', '逾期 后港镇')).text).toContain('第一责任人只能查看本单位的逾期事项。')
      expect((await (await as('wangjian')).go('/dash/overdue?unit=abc')).status).toBe(404)
    })

    it('refuses a leader and a liaison, as chat does, saying whom it is for', async () => {
      for (const userid of ['lina', 'chenjing']) {
        const page = await (await as(userid)).go('/dash/overdue')
        expect(page.status).toBe(403)
        expect(page.body).toContain('逾期事项对组织部（干部监督科）、专项检查组和各单位第一责任人开放。')
        expect(page.body).not.toContain('<table')
        expect((await chatAs(ds, NOW)(userid, '逾期')).text).toContain('「逾期」只有第一责任人、组织部（干部监督科）、专项检查组可以使用')
      }
    })

    it('exports the rows it shows as .xlsx', async () => {
      const b = await as('wangjian')
      const page = (await b.go('/dash/overdue')).body
      expect(page).toContain('href="/dash/overdue?format=xlsx"')
      const file = await b.go('/dash/overdue?format=xlsx')
      expect(file.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      const sheet = await sheetRows(file.bytes)
      expect(sheet.title).toBe('逾期未整改事项（全县，截至2015-09-15）')
      expect(sheet.header).toEqual(['编号', '单位', '问题', '到期日', '逾期', '责任领导', '具体责任人'])
      const shown = tableRows(page)
      expect(sheet.rows.map((r) => [`#${r[0]}`, r[1], r[2], r[4], r[5], r[6]])).toEqual(shown.map((r) => [r[0], r[1], r[2], r[4], r[5], r[6]]))
      // Due dates as dates: 8月25日 on the page is 2015-08-25 in the sheet.
      const dates = sheet.rows.map((r) => (r[3] as Date).toISOString().slice(0, 10))
      expect(dates.map((d) => `${Number(d.slice(5, 7))}月${Number(d.slice(8))}日`)).toEqual(shown.map((r) => r[3]))
      // A filtered view exports the filtered rows.
      const one = await sheetRows((await b.go(`/dash/overdue?unit=${fixture.hougang}&format=xlsx`)).bytes)
      expect(one.rows.map((r) => r[1])).toEqual(['后港镇'])
    })

    it('escapes a unit’s name and an item’s problem', async () => {
      const page = (await (await as('wangjian')).go('/dash/overdue')).body
      expect(page).toContain('&lt;img src=x onerror=alert(1)>镇')
      expect(page).toContain('&lt;script>alert(&#34;问题&#34;)&lt;/script>拖延')
      expect(page).not.toContain('<img src=x')
      expect(page).not.toContain('<script>')
      expect(pageItemIds(page)).toContain(evilItem)
    })
  })

  describe('月报', () => {
    const marks = (page: string) => new Map(tableRows(page).map(([unit, ...cells]) => [unit!, cells]))

    it('shows every participating unit’s report month by month: on time, late, missing, not yet due', async () => {
      const page = (await (await as('wangjian')).go('/dash/reports')).body
      const head = /<thead>([\s\S]*?)<\/thead>/.exec(page)![1]!
      expect([...head.matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((m) => text(m[1]!))).toEqual(['单位', '7月', '8月', '9月'])
      expect(marks(page)).toEqual(
        new Map([
          [EVIL, ['未报', '未报', '按时']],
          ['城关镇', ['按时', '按时', '未到期']],
          ['后港镇', ['未报', '逾期报', '按时']],
        ]),
      )
      // Each mark carries its class and opens the unit's report for the month.
      expect(page).toContain(`<td><a class="report-mark late" href="/dash/reports/${fixture.hougang}/2015-08" title="孙丽 9月2日 08:40 提交（第 1 版）">逾期报</a></td>`)
      expect(page).toContain(`<td><a class="report-mark not-due" href="/dash/reports/${fixture.chengguan}/2015-09" title="9月30日前报送">未到期</a></td>`)
      expect(page).toContain(`<td><a class="report-mark missing" href="/dash/reports/${fixture.hougang}/2015-07" title="未提交">未报</a></td>`)
      expect(page).toContain(`<td><a class="report-mark on-time" href="/dash/reports/${fixture.chengguan}/2015-08" title="张伟 8月28日 11:15 提交（第 2 版）">按时</a></td>`)
      expect(page).toContain('href="/dash/reports/workbook?month=2015-09"')
    })

    it('agrees with the monthly workbook: 按时 is a report there by the month’s end, 逾期报 and 未报 are 未报 there', async () => {
      const b = await as('wangjian')
      const grid = marks((await b.go('/dash/reports')).body)
      for (const [column, month] of [
        [0, '2015-07'],
        [1, '2015-08'],
      ] as const) {
        const workbook = await loadWorkbook((await b.go(`/dash/reports/workbook?month=${month}`)).bytes)
        const summary = workbook.getWorksheet('汇总')!
        const header = (summary.getRow(2).values as unknown[]).map(String)
        const reported = header.indexOf('月报报送')
        const inWorkbook = new Map<string, string>()
        for (let n = 3; n <= summary.rowCount; n++) {
          const row = summary.getRow(n).values as unknown[]
          if (grid.has(String(row[1]))) inWorkbook.set(String(row[1]), row[reported] instanceof Date ? '已报' : String(row[reported]))
        }
        expect(inWorkbook).toEqual(new Map([...grid].map(([unit, cells]) => [unit, cells[column] === '按时' ? '已报' : '未报'])))
      }
    })

    it('shows a unit head, a leader and a liaison their unit’s row alone; refuses others', async () => {
      for (const userid of ['zhangwei', 'lina', 'chenjing']) {
        const page = (await (await as(userid)).go('/dash/reports')).body
        expect([...marks(page).keys()]).toEqual(['城关镇'])
        expect(page).not.toContain('/dash/reports/workbook')
      }
      // 检查组 reads every unit's reports; the workbook is 组织部's, as 月报 汇总.
      const inspector = await as('liuyang')
      expect([...marks((await inspector.go('/dash/reports')).body).keys()]).toContain('城关镇')
      expect((await inspector.go('/dash/reports')).body).not.toContain('/dash/reports/workbook')
      const refused = await inspector.go('/dash/reports/workbook?month=2015-08')
      expect(refused.status).toBe(403)
      expect(refused.body).toContain('月度工作簿只对组织部（干部监督科）开放。')
      const staff = await (await as('zhaolei')).go('/dash/reports')
      expect(staff.status).toBe(403)
      expect(staff.body).toContain('月报对组织部（干部监督科）、专项检查组和各单位第一责任人、分管领导、联络员开放。')
    })

    it('opens a unit’s report for a month: the current version in full and the earlier ones, as 查看月报 shows them', async () => {
      const chat = (await chatAs(ds, NOW)('wangjian', '查看月报 城关镇 8月')).text
      expect(chat).toContain('张伟 8月28日 11:15 提交（第 2 版）')
      expect(chat).toContain('此前 1 版：')
      const page = (await (await as('wangjian')).go(`/dash/reports/${fixture.chengguan}/2015-08`)).body
      expect(page).toContain('<h1>城关镇8月月报</h1>')
      expect(page).toContain('张伟 8月28日 11:15 提交（第 2 版）')
      expect(page).toContain('<p class="report-text">本月召开推进会2次，查摆问题2个，1个已完成整改。\n下月完成剩余整改。</p>')
      expect(page).toContain('<h2>此前 1 版</h2>')
      expect(page).toContain('第 1 版 · 陈静 8月10日 16:00 提交')
      expect(page).toContain('<p class="report-text">本月召开推进会1次，查摆问题2个，正在整改。</p>')
      expect(page).toContain('<span class="report-mark on-time">按时</span>')
      // A late report says so; a missing one says when it was due.
      expect((await (await as('wangjian')).go(`/dash/reports/${fixture.hougang}/2015-08`)).body).toContain('<span class="report-mark late">逾期报</span>')
      expect((await (await as('wangjian')).go(`/dash/reports/${fixture.hougang}/2015-07`)).body).toContain('未提交（应于7月31日前报送，已过期）')
    })

    it('lets a unit head read their unit’s reports only, with chat’s refusal; refuses a month outside the campaign', async () => {
      const b = await as('zhangwei')
      expect((await b.go(`/dash/reports/${fixture.chengguan}/2015-07`)).body).toContain('<p class="report-text">本月召开专项治理动员会1次，梳理问题清单2项。</p>')
      const refused = await b.go(`/dash/reports/${fixture.hougang}/2015-08`)
      expect(refused.status).toBe(403)
      expect(refused.body).toContain('您只能查看本单位（城关镇）的月报；其他单位的月报由县委组织部查看。')
      expect(refused.body).not.toContain('八月份补报')
      const before = await b.go(`/dash/reports/${fixture.chengguan}/2015-05`)
      expect(before.status).toBe(400)
      expect(before.body).toContain('2015-05 不在专项治理')
      expect((await b.go(`/dash/reports/${fixture.chengguan}/2015-13`)).status).toBe(404)
    })

    it('exports the grid it shows as .xlsx', async () => {
      const b = await as('wangjian')
      const page = (await b.go('/dash/reports')).body
      expect(page).toContain('href="/dash/reports?format=xlsx"')
      const sheet = await sheetRows((await b.go('/dash/reports?format=xlsx')).bytes)
      expect(sheet.title).toBe('月报报送情况（全县，截至2015-09-15）')
      expect(sheet.header).toEqual(['单位', '2015年7月', '2015年8月', '2015年9月'])
      expect(sheet.rows).toEqual(tableRows(page))
      const own = await sheetRows((await (await as('zhangwei')).go('/dash/reports?format=xlsx')).bytes)
      expect(own.rows).toEqual([['城关镇', '按时', '按时', '未到期']])
    })

    it('sends 组织部 the monthly workbook of 月报 汇总 (this month by default); refuses others and a month outside the campaign', async () => {
      for (const userid of ['wangjian']) {
        const file = await (await as(userid)).go('/dash/reports/workbook')
        expect(file.status).toBe(200)
        expect(file.headers.get('content-disposition')).toContain(encodeURIComponent('2015年9月月报汇总.xlsx'))
        const workbook = await loadWorkbook(file.bytes)
        expect(workbook.worksheets.map((s) => s.name)).toEqual([...SHEET_NAMES])
        expect(String(workbook.getWorksheet('汇总')!.getRow(1).getCell(1).value)).toContain('2015年9月工作月报汇总')
      }
      const head = await (await as('zhangwei')).go('/dash/reports/workbook?month=2015-08')
      expect(head.status).toBe(403)
      expect(head.body).toContain('月度工作簿只对组织部（干部监督科）开放。')
      const b = await as('wangjian')
      const outside = await b.go('/dash/reports/workbook?month=2015-06')
      expect(outside.status).toBe(400)
      expect(outside.body).toContain('2015-06 不在专项治理')
      const future = await b.go('/dash/reports/workbook?month=2015-10')
      expect(future.status).toBe(400)
      expect(future.body).toMatch(/2015-10 (还没有到|不在专项治理)/)
      const garbage = await b.go('/dash/reports/workbook?month=%3Cb%3E')
      expect(garbage.status).toBe(400)
      expect(garbage.body).toContain('月份「&lt;b>」应写成 YYYY-MM')
    })

    it('escapes a unit’s name and what its report says', async () => {
      const grid = (await (await as('wangjian')).go('/dash/reports')).body
      expect(grid).toContain('&lt;img src=x onerror=alert(1)>镇')
      expect(grid).not.toContain('<img src=x')
      const report = (await (await as('evilhead')).go(`/dash/reports/${evilUnit}/2015-09`)).body
      expect(report).toContain('<h1>&lt;img src=x onerror=alert(1)>镇9月月报</h1>')
      expect(report).toContain('<p class="report-text">&lt;script>alert(1)&lt;/script>本月工作正常推进中。</p>')
      expect(report).toContain('&lt;b>头&lt;/b> 9月14日 09:00 提交')
      expect(report).not.toContain('<script>')
    })
  })
})
