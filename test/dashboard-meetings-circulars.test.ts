import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { CircularSchema, LedgerItemSchema } from '../src/db/entities/index.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { consoleDashboard, devSignIn, launchChromium, textOf } from './helpers/dashboard.js'
import { chatAs } from './helpers/ledger-fixture.js'
import { seedMeetingMembers } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const at = (text: string) => new Date(`${text}+08:00`)
const CALL = '会议 新建\n时间：9月8日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展\n研究典型案例通报名单'


/** The body rows of the table with this class, each cell as text. */
function tableRows(page: string, tableClass: string): string[][] {
  const table = new RegExp(`<table class="${tableClass}">([\\s\\S]*?)</table>`).exec(page)
  if (!table) throw new Error(`no table ${tableClass}`)
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table[1]!)![1]!
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => textOf(cell[1]!)))
}

/** A section of the page by id. */
function section(page: string, id: string): string {
  const found = new RegExp(`<section class="card" id="${id}">([\\s\\S]*?)</section>`).exec(page)
  if (!found) throw new Error(`no section ${id}`)
  return found[1]!
}

/** The figure of a total (<dt>name</dt><dd>n</dd>). */
function total(page: string, name: string): number {
  return Number(new RegExp(`<dt>${name}</dt><dd>(\\d+)</dd>`).exec(page)![1])
}

/** A downloaded .xlsx read back: its title and the rows under the header, each cell as the page writes it. */
async function workbookRows(bytes: Buffer): Promise<{ title: string; header: string[]; rows: string[][] }> {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer)
  const sheet = workbook.worksheets[0]!
  const cells = (n: number) => {
    const row = sheet.getRow(n)
    return Array.from({ length: sheet.columnCount }, (_, i) => {
      const value = row.getCell(i + 1).value
      return value === null || value === undefined ? '' : String(value)
    })
  }
  return { title: String(sheet.getRow(1).getCell(1).value), header: cells(2), rows: Array.from({ length: sheet.rowCount - 2 }, (_, i) => cells(i + 3)) }
}

/** 会议 and 通报 on the dashboard (docs/dashboard.md, 会议 and 通报): what chat's 会议, 通报 状态 and 收到 say, as pages. */
describe(`the dashboard's 会议 and 通报 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedCircularAudience>>
  let dash: Awaited<ReturnType<typeof consoleDashboard>>
  /** The dashboard's clock, moved with the story. */
  let clock = at('2015-09-02T11:00:00')
  const signIn = (userid: string) => devSignIn(dash.base, userid)

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    // 组织部 王健; the towns' and 县人社局's heads and liaisons; 冯涛 (县纪委), 徐敏 (县纪委(监察局)) and 周强 (县委宣传部) hold meeting_member.
    fixture = await seedCircularAudience(ds)
    await seedMeetingMembers(ds)
    dash = await consoleDashboard(ds, () => clock)
  })
  afterAll(async () => {
    await dash?.close()
    await db?.close()
  })

  describe('会议', () => {
    beforeAll(async () => {
      const call = await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
      expect(call.text).toBe('已召集联席会议 #1：9月8日（周二）15:00，县委第三会议室；已通知 4 人。查看回复情况：会议 详情 1')
      const answer = chatAs(ds, at('2015-09-02T10:00:00'))
      expect((await answer('xumin', '参会 1 参加')).text).toContain('已确认参加会议 #1')
      expect((await answer('zhouqiang', '参会 1 请假 赴市里参加培训')).text).toBe('已登记请假：会议 #1（赴市里参加培训）。')
      // A second meeting, called and cancelled; a third whose place someone typed markup into.
      await chatAs(ds, at('2015-09-01T10:05:00'))('wangjian', CALL.replace('9月8日', '9月9日'))
      expect((await chatAs(ds, at('2015-09-01T10:10:00'))('wangjian', '会议 取消 2 与市委巡察工作冲突')).text).toBe('已取消会议 #2，已通知 4 人。')
      const hostile = await chatAs(ds, at('2015-09-01T10:15:00'))('wangjian', CALL.replace('9月8日', '9月10日').replace('县委第三会议室', '<script>alert(1)</script>会议室'))
      expect(hostile.text).toContain('已召集联席会议 #3')
      clock = at('2015-09-02T11:00:00')
    })

    it('lists what chat’s 会议 lists, with time, place and status', async () => {
      const said = (await chatAs(ds, clock)('wangjian', '会议')).text.split('\n')
      expect(said[0]).toBe('**联席会议**')
      const b = await signIn('wangjian')
      const page = await b.go('/dash/meetings')
      expect(page.status).toBe(200)
      const rows = tableRows(page.body, 'meetings')
      // Chat: "#1 9月8日（周二）15:00 县委第三会议室"; a cancelled one ends "（已取消）".
      const chatRows = said.slice(1, -1).map((line) => /^#(\d+) (\S+) (.+?)(（已取消）|（已召开）)?$/.exec(line)!)
      expect(rows.map((r) => [r[0], r[1]])).toEqual(chatRows.map((m) => [`#${m[1]}`, m[2]]))
      expect(rows.map((r) => r[3])).toEqual(chatRows.map((m) => (m[4] === '（已取消）' ? '已取消' : m[4] === '（已召开）' ? '已召开' : '待召开')))
      // Upcoming first, soonest first; then those held or cancelled.
      expect(rows).toEqual([
        ['#1', '9月8日（周二）15:00', '县委第三会议室', '待召开'],
        ['#3', '9月10日（周四）15:00', '<script>alert(1)</script>会议室', '待召开'],
        ['#2', '9月9日（周三）15:00', '县委第三会议室', '已取消'],
      ])
      expect(page.body).toContain('<a href="/dash/meetings/1">#1</a>')
      // The place someone typed is text, never markup.
      expect(page.body).toContain('&lt;script>alert(1)&lt;/script>会议室')
      expect(page.body).not.toContain('<script>')
      // The table as .xlsx: the same rows.
      const xlsx = await b.go('/dash/meetings?format=xlsx')
      expect(xlsx.headers.get('content-type')).toContain('spreadsheetml')
      const book = await workbookRows(xlsx.bytes)
      expect(book.header).toEqual(['编号', '时间', '地点', '状态'])
      expect(book.rows).toEqual(rows.map((r) => [r[0]!.slice(1), r[1], r[2], r[3]]))
    })

    it('shows a meeting as 会议 详情 does: the notice’s agenda and figures, and the roll call person by person with their units', async () => {
      const details = (await chatAs(ds, clock)('wangjian', '会议 详情 1')).text
      const b = await signIn('wangjian')
      const page = (await b.go('/dash/meetings/1')).body
      expect(page).toContain('<h1>专项治理工作联席会议（#1）</h1>')
      expect(page).toMatch(/<dt>时间<\/dt><dd>9月8日（周二）15:00<\/dd><dt>地点<\/dt><dd>县委第三会议室<\/dd><dt>状态<\/dt><dd[^>]*>待召开<\/dd>/)
      // The notice, line for line, as chat's 详情 has it before its roll call (markup read as bold).
      const notice = details.split('\n**回复情况**\n')[0]!.split('\n').map((line) => line.replaceAll('**', ''))
      const shown = [...section(page, 'agenda').matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) => textOf(m[1]!))
      expect(shown).toEqual(notice)
      expect(shown).toContain('1. 通报自查整改进展')
      expect(shown).toContain('台账 3 项：未开始 1，整改中 2，已整改待销号 0，已销号 0；逾期 1')
      // The roll call: chat's figures and names.
      const roll = details.split('\n**回复情况**\n')[1]!
      expect(roll).toBe('已确认参加 2 人：王健、徐敏\n请假 1 人：周强（赴市里参加培训）\n未回复 1 人：冯涛')
      expect([total(page, '已确认参加'), total(page, '请假'), total(page, '未回复')]).toEqual([2, 1, 1])
      const people = tableRows(page, 'roll')
      expect(people).toEqual([
        ['王健', '县委组织部', '参加', '', '9月1日 10:00'],
        ['徐敏', '县纪委(监察局)', '参加', '', '9月2日 10:00'],
        ['周强', '县委宣传部', '请假', '赴市里参加培训', '9月2日 10:00'],
        ['冯涛', '县纪委', '未回复', '', ''],
      ])
      const byAnswer = (answer: string) => people.filter((p) => p[2] === answer).map((p) => p[0])
      expect(roll).toContain(`已确认参加 ${byAnswer('参加').length} 人：${byAnswer('参加').join('、')}`)
      expect(roll).toContain(`未回复 ${byAnswer('未回复').length} 人：${byAnswer('未回复').join('、')}`)
      // The roll call as .xlsx: the rows the page shows.
      const xlsx = await b.go('/dash/meetings/1?format=xlsx')
      const book = await workbookRows(xlsx.bytes)
      expect(book.title).toBe('联席会议 #1 回复情况（9月8日（周二）15:00）')
      expect(book.header).toEqual(['姓名', '单位', '回复', '请假理由', '回复时间'])
      expect(book.rows).toEqual(people)
    })

    it('is shown to the invited, and refused in Chinese to anyone else, as chat refuses', async () => {
      const invited = await signIn('fengtao')
      const list = (await invited.go('/dash/meetings')).body
      expect(tableRows(list, 'meetings').map((r) => r[0])).toEqual(expect.arrayContaining(['#1', '#3']))
      expect((await invited.go('/dash/meetings/1')).status).toBe(200)
      // 张伟 heads 城关镇 and is on no meeting's list.
      const said = await chatAs(ds, clock)('zhangwei', '会议')
      expect(said.text).toBe('您没有要参加的联席会议。')
      const head = await signIn('zhangwei')
      const own = await head.go('/dash/meetings')
      expect(own.body).toContain('<p>您没有要参加的联席会议。</p>')
      expect(own.body).not.toContain('<table')
      expect((await chatAs(ds, clock)('zhangwei', '会议 详情 1')).text).toContain('您不在会议 #1 的参会名单中。')
      const refused = await head.go('/dash/meetings/1')
      expect(refused.status).toBe(403)
      expect(refused.body).toContain('您不在会议 #1 的参会名单中。')
      expect(refused.body).not.toContain('县委第三会议室')
      expect((await head.go('/dash/meetings/1?format=xlsx')).status).toBe(403)
      expect((await head.go('/dash/meetings/999')).status).toBe(404)
      expect((await head.go('/dash/meetings/abc')).status).toBe(404)
    })

    it('shows the minutes’ decisions once recorded, each assigned one linked to its ledger item', async () => {
      const recorded = await chatAs(ds, at('2015-09-08T17:00:00'))('wangjian', '会议 纪要 1\n1. 督促城关镇完成招商项目申报 @城关镇 9月30日\n2. 下次会议研究问责办法')
      const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ problem: '督促城关镇完成招商项目申报' })
      expect(recorded.text).toBe(`已记录会议 #1 纪要 2 项；交办事项已登记台账：#${item.id} 城关镇（2015-09-30前），将按时限提醒。`)
      clock = at('2015-09-08T17:30:00')
      const b = await signIn('wangjian')
      const page = (await b.go('/dash/meetings/1')).body
      expect(page).toMatch(/<dd[^>]*>已召开<\/dd>/)
      expect(tableRows(page, 'decisions')).toEqual([
        ['1', '督促城关镇完成招商项目申报', '城关镇', '9月30日', `#${item.id} 未开始`],
        ['2', '下次会议研究问责办法', '', '', ''],
      ])
      expect(page).toContain(`<a href="/dash/items/${item.id}">#${item.id} 未开始</a>`)
      expect(page).toContain(`<a href="/dash/units/${fixture.chengguan}">城关镇</a>`)
      // Chat's 会议 lists it as held too.
      expect((await chatAs(ds, clock)('wangjian', '会议')).text).toContain('#1 9月8日（周二）15:00 县委第三会议室（已召开）')
      expect(tableRows((await b.go('/dash/meetings')).body, 'meetings').find((r) => r[0] === '#1')![3]).toBe('已召开')
    })
  })

  describe('通报', () => {
    const NOW = at('2015-09-07T10:00:00')
    let work: number
    let countyOnly: number
    let recalled: number
    let draft: number
    let typical: number
    const lastId = async () => (await ds.getRepository(CircularSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })).id

    beforeAll(async () => {
      const chat = chatAs(ds, NOW)
      const sent = await chat('wangjian', '通报 发布 全体 关于报送9月工作台账的通知\n请于9月10日前报送。\n<script>alert(1)</script>逾期将通报批评。')
      work = await lastId()
      expect(sent.text).toContain(`已发布通报 #${work}《关于报送9月工作台账的通知》，发给 3 个单位 6 人。`)
      await chat('wangjian', '通报 发布 县直 关于开展自查的通知\n请于9月10日前完成自查，材料见 https://www.example.gov.cn/zhuanxiang/2015/zicha/qingdan/0123456789abcdefghijklmnopqrstuvwxyz.xlsx')
      countyOnly = await lastId()
      await chat('wangjian', '通报 发布 镇 关于暂停报送的通知\n此通知有误。')
      recalled = await lastId()
      expect((await chat('wangjian', `通报 撤回 ${recalled}`)).text).toContain(`已撤回通报 #${recalled}`)
      await chat('wangjian', '通报 预览 镇 关于开展作风大排查的通知\n各镇对照清单自查。')
      draft = await lastId()
      await chat('wangjian', `通报 典型 全体 关于城关镇招商引资不作为问题的通报\n经查，#${fixture.items.overdue} 长期未整改（督查#${fixture.inspection}）。`)
      typical = await lastId()
      // Two of the six acknowledge the first; a unit member answers a recalled one.
      const later = chatAs(ds, at('2015-09-07T11:30:00'))
      expect((await later('zhangwei', `收到 ${work}`)).text).toContain('已确认收到通报')
      expect((await later('sunli', `收到 ${work}`)).text).toContain('已确认收到通报')
      expect((await later('zhangwei', `收到 ${recalled}`)).text).toBe(`通报 #${recalled} 已撤回，无需确认。`)
      clock = at('2015-09-07T12:00:00')
    })

    it('gives 组织部 the acknowledgement table with exactly 通报 状态’s figures, by unit and by person', async () => {
      const status = (await chatAs(ds, clock)('wangjian', `通报 状态 ${work}`)).text
      const acked = /已确认 (\d+) 人(?:（[^）]*）)?，未确认 (\d+) 人/.exec(status)!
      const delivered = /已送达 (\d+)\/(\d+) 人/.exec(status)!
      expect([acked[1], acked[2]]).toEqual(['2', '4'])
      const b = await signIn('wangjian')
      const page = (await b.go(`/dash/circulars/${work}`)).body
      expect([total(page, '已确认'), total(page, '未确认'), total(page, '已送达'), total(page, '收件人')]).toEqual([Number(acked[1]), Number(acked[2]), Number(delivered[1]), Number(delivered[2])])
      expect(page).toMatch(/<dt>受众<\/dt><dd>全体单位<\/dd>/)
      expect(status).toContain('· 全体单位 ·')
      // By unit: chat names the units still to acknowledge and who in each.
      const units = tableRows(page, 'ack-units')
      expect([...units].sort()).toEqual([
        ['县人社局', '0/2', '2'],
        ['后港镇', '1/2', '1'],
        ['城关镇', '1/2', '1'],
      ].sort())
      const pendingLines = status.split('\n').filter((l) => l.startsWith('- '))
      expect(status).toContain(`未确认的单位（${units.filter((u) => u[2] !== '0').length} 个）：`)
      for (const [unit, , pending] of units) {
        const line = pendingLines.find((l) => l.startsWith(`- ${unit}：`))!
        expect(line.slice(line.indexOf('：') + 1).split('、')).toHaveLength(Number(pending))
      }
      // By person: who acknowledged and when, who has not.
      const people = tableRows(page, 'ack-people')
      expect([...people].sort()).toEqual([
        ['张伟', '城关镇', '第一责任人', '待发送', '9月7日 11:30'],
        ['陈静', '城关镇', '联络员', '待发送', '未确认'],
        ['孙丽', '后港镇', '第一责任人', '待发送', '9月7日 11:30'],
        ['何军', '后港镇', '联络员', '待发送', '未确认'],
        ['钱华', '县人社局', '第一责任人', '待发送', '未确认'],
        ['周敏', '县人社局', '联络员', '待发送', '未确认'],
      ].sort())
      // Both tables in 通报 状态's order (by unit), as its list of units still to acknowledge.
      expect(units.map((u) => u[0])).toEqual([...new Set(people.map((p) => p[1]))])
      expect(pendingLines.map((l) => l.slice(2, l.indexOf('：')))).toEqual(units.filter((u) => u[2] !== '0').map((u) => u[0]))
      for (const [name, unit, , , ack] of people) {
        const pendingLine = pendingLines.find((l) => l.startsWith(`- ${unit}：`)) ?? ''
        expect(pendingLine.includes(name!)).toBe(ack === '未确认')
      }
      expect(page).toContain(`<a href="/dash/units/${fixture.chengguan}">城关镇</a>`)
      // The text, escaped.
      expect(section(page, 'text')).toContain('<p>&lt;script>alert(1)&lt;/script>逾期将通报批评。</p>')
      expect(page).not.toContain('<script>')
      // Both tables as .xlsx: the same rows.
      const byPerson = await workbookRows((await b.go(`/dash/circulars/${work}?format=xlsx`)).bytes)
      expect(byPerson.title).toBe(`通报 #${work} 确认情况`)
      expect(byPerson.header).toEqual(['姓名', '单位', '身份', '送达', '确认'])
      expect(byPerson.rows).toEqual(people)
      const byUnit = await workbookRows((await b.go(`/dash/circulars/${work}?format=xlsx&table=units`)).bytes)
      expect(byUnit.header).toEqual(['单位', '收件人', '已确认', '未确认'])
      expect(byUnit.rows.map(([unit, recipients, ackd, pending]) => [unit, `${ackd}/${recipients}`, pending])).toEqual(units)
    })

    it('lists every circular for 组织部 with its status, sent time, audience and the figures 通报 列表 and 状态 give', async () => {
      const b = await signIn('wangjian')
      const page = (await b.go('/dash/circulars')).body
      // Each row: the circular (number, title; status · sent · audience under it) and acknowledged/recipients.
      const rows = tableRows(page, 'circulars')
      const row = (id: number) => rows.find((r) => r[0]!.startsWith(`#${id} `))!
      expect(rows.map((r) => r[0]!.split(' ')[0])).toEqual([typical, draft, recalled, countyOnly, work].map((id) => `#${id}`))
      expect(row(work)).toEqual([`#${work} 关于报送9月工作台账的通知\n已发出 · 9月7日 10:00 · 全体单位`, '2/6'])
      expect(row(countyOnly)).toEqual([`#${countyOnly} 关于开展自查的通知\n已发出 · 9月7日 10:00 · 县直单位`, '0/2'])
      expect(row(recalled)[0]).toContain('\n已撤回 · 9月7日 10:00 · 各镇')
      expect(row(draft)).toEqual([`#${draft} 关于开展作风大排查的通知\n草稿 · 各镇`, '—'])
      expect(row(typical)[0]).toMatch(/^#\d+ 【典型】关于城关镇招商引资不作为问题的通报\n/)
      // Chat's 通报 列表 says the same of each.
      const list = (await chatAs(ds, clock)('wangjian', '通报 列表')).text
      expect(list).toContain(`- #${work} 关于报送9月工作台账的通知 · 9月7日 · 确认 2/6`)
      expect(list).toContain(`- #${countyOnly} 关于开展自查的通知 · 9月7日 · 确认 0/2`)
      expect(list).toContain(`- #${recalled} 关于暂停报送的通知 · 9月7日 · 已撤回`)
      expect(list).toContain(`- #${draft} 关于开展作风大排查的通知 · 草稿`)
      const book = await workbookRows((await b.go('/dash/circulars?format=xlsx')).bytes)
      expect(book.header).toEqual(['编号', '类别', '标题', '状态', '发出时间', '受众', '已确认/收件人'])
      expect(book.rows.map((r) => [`#${r[0]} ${r[1] === '典型案例通报' ? '【典型】' : ''}${r[2]}\n${[r[3], r[4], r[5]].filter(Boolean).join(' · ')}`, r[6]])).toEqual(rows)
      // A typical case names its cases, linked to the item.
      const exposure = (await b.go(`/dash/circulars/${typical}`)).body
      expect(section(exposure, 'cases')).toContain(`<a href="/dash/items/${fixture.items.overdue}">#${fixture.items.overdue}</a>`)
      expect(section(exposure, 'cases')).toContain(`督查#${fixture.inspection} 城关镇 便民服务大厅工作日上午无人值守`)
      // A draft: no acknowledgement table yet.
      const drafted = (await b.go(`/dash/circulars/${draft}`)).body
      expect(drafted).toContain(`草稿，尚未发送。发送请在企业微信中发送「通报 发送 ${draft}」。`)
      expect(drafted).not.toContain('ack-people')
      expect((await b.go('/dash/circulars/99999')).status).toBe(404)
    })

    it('gives a unit member only what was sent to them: its full text and whether they acknowledged; a recalled one as recalled', async () => {
      const head = await signIn('zhangwei')
      const list = (await head.go('/dash/circulars')).body
      expect(list).toContain('<h1>发给我的通报</h1>')
      const rows = tableRows(list, 'circulars')
      const row = (id: number) => rows.find((r) => r[0]!.startsWith(`#${id} `))!
      expect(rows.map((r) => r[0]!.split(' ')[0]).sort()).toEqual([typical, recalled, work].map((id) => `#${id}`).sort())
      expect(row(work)).toEqual([`#${work} 关于报送9月工作台账的通知\n9月7日 10:00`, '已确认'])
      expect(row(typical)[1]).toBe('未确认')
      expect(row(recalled)[1]).toBe('已撤回')
      const own = (await head.go(`/dash/circulars/${work}`)).body
      expect(own).toContain('<p>请于9月10日前报送。</p><p>&lt;script>alert(1)&lt;/script>逾期将通报批评。</p>')
      expect(own).toContain('<p>——县委组织部</p>')
      expect(own).toContain('<dd>已于 9月7日 11:30 确认收到</dd>')
      // No one else's acknowledgements.
      expect(own).not.toContain('ack-people')
      expect(own).not.toContain('孙丽')
      expect((await head.go(`/dash/circulars/${work}?format=xlsx`)).status).toBe(403)
      const gone = (await head.go(`/dash/circulars/${recalled}`)).body
      expect(gone).toContain(`通报 #${recalled} 已撤回，请勿执行，以组织部后续通知为准。`)
      expect(gone).not.toContain('此通知有误')
      // Sent to the county departments only: not his; a draft: none.
      const other = await head.go(`/dash/circulars/${countyOnly}`)
      expect(other.status).toBe(403)
      expect(other.body).toContain(`通报 #${countyOnly} 不是发给您的。`)
      expect(other.body).not.toContain('请于9月10日前完成自查')
      expect((await chatAs(ds, clock)('zhangwei', `收到 ${countyOnly}`)).text).toContain(`通报 #${countyOnly} 不是发给您的，无需确认。`)
      expect((await head.go(`/dash/circulars/${draft}`)).status).toBe(404)
      // 陈静 has not acknowledged: told how.
      const liaison = (await (await signIn('chenjing')).go(`/dash/circulars/${work}`)).body
      expect(liaison).toContain(`阅后请在企业微信中回复「收到 ${work}」确认。`)
      expect(liaison).toContain('<dd>未确认</dd>')
      // 李娜 (分管领导) got none; the list as .xlsx is what the page shows.
      expect((await (await signIn('lina')).go('/dash/circulars')).body).toContain('<p>没有发给您的通报。</p>')
      const book = await workbookRows((await head.go('/dash/circulars?format=xlsx')).bytes)
      expect(book.header).toEqual(['编号', '类别', '标题', '发出时间', '确认'])
      expect(book.rows.map((r) => [`#${r[0]} ${r[1] === '典型案例通报' ? '【典型】' : ''}${r[2]}\n${r[3]}`, r[4]])).toEqual(rows)
    })

    it('reads on a phone (390 px, in chromium) without horizontal scrolling: a meeting, a circular and its acknowledgement table', async () => {
      const browser = await launchChromium()
      try {
        const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
        await page.goto(`${dash.base}/dash/login?next=${encodeURIComponent('/dash/meetings/1')}`)
        await page.getByRole('button', { name: /^王健/ }).click()
        await page.waitForURL(`${dash.base}/dash/meetings/1`)
        for (const path of ['/dash/meetings', '/dash/meetings/1', '/dash/circulars', `/dash/circulars/${work}`, `/dash/circulars/${typical}`, `/dash/circulars/${countyOnly}`]) {
          await page.goto(`${dash.base}${path}`)
          expect(await page.evaluate('document.documentElement.scrollWidth'), path).toBeLessThanOrEqual(390)
        }
      } finally {
        await browser.close()
      }
    })
  })
})
