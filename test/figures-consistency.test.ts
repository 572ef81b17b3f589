import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import { CampaignSchema, LedgerItemSchema, PhaseSchema, PhaseTaskSchema } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { buildMonthlyWorkbook } from '../src/domain/reports/monthly-workbook.js'
import { addCampaignUnit, createCampaign } from '../src/domain/campaign/create-campaign.js'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** Tuesday 1 September 2015, 10:00 in Beijing. 3–4 September were holidays and Sunday the 6th a working day. */
const NOW = new Date('2015-09-01T02:00:00Z')

/**
 * One ledger, one moment, every surface a person reads (docs/figures.md): 统计, 逾期, 阶段,
 * 月报 汇总, the meeting notice, the reminder digest, the daily summary and the workbook must
 * report the same numbers.
 *
 * The ledger on 1 September (城关镇 4 items, 后港镇 5):
 *   #1 城关镇 整改中, due 8-25      → overdue 5 working days (8-26, 27, 28, 31, 9-01)
 *   #2 城关镇 整改中, due 9-02      → 🟡
 *   #3 后港镇 未开始, due 9-30      → 🟢
 *   #4 城关镇 未开始, due 8-20      → overdue 8 working days (8-21, 24–28, 31, 9-01)
 *   #5 城关镇 已整改待销号, due 8-10 → not overdue: rectified
 *   #6 后港镇 已销号 8-15, due 8-20 → on time
 *   #7 后港镇 整改中, due 8-28      → overdue 2 working days (8-31, 9-01)
 *   #8 后港镇 未开始, due 9-01      → due today: not overdue
 *   #9 后港镇 整改中, due 9-07      → 🟡: within 3 working days (9-02, 9-06, 9-07), though 6 calendar days away
 * Totals: 9 items, 未开始 3, 整改中 4, 已整改待销号 1, 已销号 1; 逾期 3.
 */
const TOTALS = '台账 9 项：未开始 3，整改中 4，已整改待销号 1，已销号 1；逾期 3'

describe(`one figure, every surface, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let chat: ReturnType<typeof chatAs>
  let campaignId: number
  let chengguanId: number
  let ids: Record<'one' | 'four' | 'five' | 'seven' | 'nine', number>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    const fixture = await seedLedger(ds)
    campaignId = fixture.campaign.id
    const { chengguan, hougang } = fixture
    const town = { leader: 'lina', person: 'zhaolei' }
    const other = { leader: 'sunli', person: 'wufang' }
    const four = await addLedgerItem(ds, campaignId, chengguan, town, { problem: '村级财务公开不及时', dueDate: '2015-08-20', status: 'open', progress: 0 })
    const five = await addLedgerItem(ds, campaignId, chengguan, town, { problem: '信访件办理超期', dueDate: '2015-08-10', status: 'rectified', progress: 100, rectifiedAt: new Date('2015-08-09T02:00:00Z') })
    await addLedgerItem(ds, campaignId, hougang, other, { problem: '项目审批材料反复退回', dueDate: '2015-08-20', status: 'closed', progress: 100, closedAt: new Date('2015-08-15T02:00:00Z') })
    const seven = await addLedgerItem(ds, campaignId, hougang, other, { problem: '惠农资金发放滞后', dueDate: '2015-08-28' })
    await addLedgerItem(ds, campaignId, hougang, other, { problem: '河道保洁责任不落实', dueDate: '2015-09-01', status: 'open', progress: 0 })
    const nine = await addLedgerItem(ds, campaignId, hougang, other, { problem: '安全生产检查走过场', dueDate: '2015-09-07' })
    // Registered before the month, as the workbook rebuilds the ledger from its history up to now.
    await ds.getRepository(LedgerItemSchema).update({ campaignId }, { createdAt: new Date('2015-08-01T02:00:00Z') })
    const inspection = await ds.getRepository(PhaseSchema).findOneByOrFail({ campaignId, name: '监督检查' })
    await ds.getRepository(PhaseTaskSchema).insert({ campaignId, phaseId: inspection.id, code: 'interim', name: '报送中期检查材料', description: '', dueDate: '2015-09-07' })
    ids = { one: fixture.items.overdue, four: four.id, five: five.id, seven: seven.id, nine: nine.id }
    chengguanId = chengguan
    chat = chatAs(ds, NOW)
  })
  afterAll(async () => {
    await db?.close()
  })

  it('统计 counts the four states and 逾期 as the read model does', async () => {
    const { text } = await chat('wangjian', '统计')
    // On time: #6 of the five already due or closed (#1, #4, #5, #6, #7).
    expect(text).toContain(`**台账统计（2 个单位）**\n${TOTALS}；按期销号率 20%`)
    expect(text).toContain('🔴 城关镇：共4 未开始1 整改中2 待销号1 销号0 逾期2')
    expect(text).toContain('🔴 后港镇：共5 未开始2 整改中2 待销号0 销号1 逾期1')
  })

  it('逾期 lists the same three items, late in working days', async () => {
    const { text } = await chat('wangjian', '逾期')
    expect(text).toContain('**逾期未整改 3 项**')
    expect(text).toContain(`#${ids.four} 村级财务公开不及时 · 逾期 8 个工作日（8月20日到期）`)
    expect(text).toContain(`#${ids.one} 招商引资项目跑办不积极，两个竞争性… · 逾期 5 个工作日（8月25日到期）`)
    expect(text).toContain(`#${ids.seven} 惠农资金发放滞后 · 逾期 2 个工作日（8月28日到期）`)
    expect(text).not.toMatch(/逾期 \d+ 天/)
  })

  it('阶段 lights a deliverable as an item with the same due date is lit (3 working days)', async () => {
    const phase = await chat('sunli', '阶段')
    expect(phase.text).toContain('🟡 报送中期检查材料（9月7日截止）')
    const mine = await chat('sunli', '我的')
    expect(mine.text).toMatch(/🟡 #\d+ 安全生产检查走过场 · 9月7日到期 · 40%/)
  })

  it('月报 汇总 and its workbook report the same totals', async () => {
    const { text } = await chat('wangjian', '月报 汇总')
    expect(text).toContain(TOTALS)
    expect(text).toContain('按期销号率：20%')
    const book = await buildMonthlyWorkbook(ds, await ds.getRepository(CampaignSchema).findOneByOrFail({ id: campaignId }), '2015-09', NOW)
    const summary = book.getWorksheet('汇总')!
    const total = rowValues(summary.getRow(summary.rowCount))
    expect(total.slice(0, 8)).toEqual(['合计', 9, 3, 4, 1, 1, 3, 0.2])
    // Each unit's row as 统计 reads it: total, 未开始, 整改中, 已整改待销号, 已销号, 逾期, and its light.
    const units = [3, 4].map((r) => rowValues(summary.getRow(r)))
    expect(units.map((u) => [u[0], ...u.slice(1, 7), u.at(-1)])).toEqual([
      ['城关镇', 4, 1, 2, 1, 0, 2, '红'],
      ['后港镇', 5, 2, 2, 0, 1, 1, '红'],
    ])
    const overdue = book.getWorksheet('逾期明细')!
    const header = rowValues(overdue.getRow(2))
    const days = header.indexOf('逾期工作日')
    const late = [3, 4, 5].map((r) => rowValues(overdue.getRow(r))).map((row) => [row[0], row[days]])
    expect(late).toEqual([
      [ids.four, 8],
      [ids.one, 5],
      [ids.seven, 2],
    ])
  })

  it('the meeting notice reports the same totals', async () => {
    const created = await chat('wangjian', '会议 新建\n时间：9月10日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展')
    expect(created.text).toContain('已召集联席会议')
    const { text } = await chat('wangjian', '会议 详情 1')
    expect(text).toContain(TOTALS)
  })

  it('the daily summary and the digests report the same totals and working days', async () => {
    const { messages } = await runSweep(ds, NOW, { dryRun: true })
    const to = (userid: string) => messages.filter((m) => m.to.includes(userid)).map((m) => m.content).join('\n')
    const summary = to('wangjian')
    expect(summary).toContain(TOTALS)
    // The threshold is the rule's (7 working days), written from it.
    expect(summary).toContain('今日升级至组织部（逾期满 7 个工作日）1 项：')
    expect(summary).toContain(`🔴 #${ids.four} 城关镇 村级财务公开不及时（8月20日到期，逾期 8 个工作日）`)
    expect(summary.split('\n')).toContain(`已整改待销号 1 项：#${ids.five}（发送「待办」查看）`)
    expect(summary).not.toContain('待核实销号')
    // The digest's 🟡 is the same 3 working days; the rest is named by what it is, not a fifth state.
    const wufang = to('wufang')
    expect(wufang).toContain(`🟡 #${ids.nine} 安全生产检查走过场 · 9月7日到期 · 40%`)
    expect(wufang).toContain('🟢 另有 1 项未到期')
    expect(to('zhaolei')).toContain(`🔴 #${ids.one} 招商引资项目跑办不积极，两个竞争性项目未按时申报 · 8月25日到期，逾期 5 个工作日 · 40%`)
    const head = to('zhangwei')
    expect(head).toContain(`🔴 #${ids.four} 村级财务公开不及时 · 逾期 8 个工作日 · 责任人 赵磊`)
    expect(head).toContain(`🔴 #${ids.one} 招商引资项目跑办不积极，两个竞争性… · 逾期 5 个工作日 · 责任人 赵磊`)
  })

  it('ranks units with as many overdue items the same way in the summary, the notice and 月报 汇总', async () => {
    // A third town, created last, as late as 城关镇: the tie is broken by name everywhere (安 before 城).
    const anle = await seedRoster(ds, '安乐镇', [{ userid: 'zhoubo', name: '周波', roles: ['unit_head'] }])
    await ds.transaction((m) => addCampaignUnit(m, campaignId, anle, 'participant'))
    for (const problem of ['集镇规划执行不严', '农贸市场整治拖延']) {
      await addLedgerItem(ds, campaignId, anle, { leader: 'zhoubo', person: 'zhoubo' }, { problem, dueDate: '2015-08-26', createdAt: new Date('2015-08-01T02:00:00Z') })
    }
    const order = (text: string, head: string) => [...text.split('\n').find((l) => l.startsWith(head))!.matchAll(/(安乐镇|城关镇|后港镇)/g)].map((m) => m[1])
    const { messages } = await runSweep(ds, NOW, { dryRun: true })
    const summary = messages.filter((m) => m.to.includes('wangjian')).map((m) => m.content).join('\n')
    const notice = (await chat('wangjian', '会议 详情 1')).text
    const monthly = (await chat('wangjian', '月报 汇总')).text
    expect(order(summary, '逾期最多的单位')).toEqual(['安乐镇', '城关镇', '后港镇'])
    expect(order(notice, '逾期最多的单位')).toEqual(['安乐镇', '城关镇', '后港镇'])
    expect(order(monthly, '逾期较多')).toEqual(['安乐镇', '城关镇', '后港镇'])
  })

  it('counts reports only of the units that owe one, and items only of the running campaign', async () => {
    // 县财政局 takes part in the meetings, not the campaign: an item from the minutes owes no report.
    const finance = await seedRoster(ds, '县财政局', [{ userid: 'qianli', name: '钱丽', roles: ['unit_head'] }])
    await addLedgerItem(ds, campaignId, finance, { leader: 'qianli', person: 'qianli' }, { problem: '专项资金拨付不及时', dueDate: '2015-09-30', createdAt: new Date('2015-08-01T02:00:00Z') })
    const { campaign: old } = await ds.transaction((m) => createCampaign(m, loadPlan(DEFAULT_PLAN), '2014-01-01'))
    await addLedgerItem(ds, old.id, chengguanId, { leader: 'lina', person: 'zhaolei' }, { problem: '旧专项遗留问题', dueDate: '2014-03-01', status: 'open' })
    const august = (await chat('wangjian', '月报 汇总 2015-08')).text
    const notice = (await chat('wangjian', '会议 详情 1')).text
    expect(notice).toContain('8月月报：已报 0/3 个单位')
    expect(august).toContain('月报已报 0/3 个单位')
    expect(august).not.toContain('县财政局、')
    const mine = (await chat('zhaolei', '我的')).text
    expect(mine).not.toContain('旧专项遗留问题')
    expect((await chat('wangjian', '逾期')).text).not.toContain('旧专项遗留问题')
  })
})

function rowValues(row: ExcelJS.Row): unknown[] {
  return (row.values as unknown[]).slice(1).map((v) => (v && typeof v === 'object' && 'result' in v ? (v as { result: unknown }).result : v))
}
