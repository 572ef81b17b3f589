import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { Like } from 'typeorm'
import { OutboxMessageSchema, type Campaign } from '../src/db/entities/index.js'
import { readerText } from './helpers/outbox-text.js'
import ExcelJS from 'exceljs'
import { buildMonthlyWorkbook, RESPONSIVENESS_HEADERS } from '../src/domain/reports/monthly-workbook.js'
import { responsiveness } from '../src/read-model/responsiveness.js'
import { OfficeClock } from '../src/time/office-hours.js'
import { chatAs } from './helpers/ledger-fixture.js'
import { bj, HISTORY_NOW, seedHistory } from './helpers/responsiveness-history.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

describe('office hours', () => {
  const clock = new OfficeClock()
  it('counts 08:30–17:30 of working days only, make-up days in, holidays and weekends out', () => {
    // Sunday 9月6日 2015 was a make-up working day.
    expect(clock.hoursBetween(bj('2015-09-06', '09:05'), bj('2015-09-07', '10:05'))).toBeCloseTo(10, 9)
    // Friday evening to Monday morning: nothing before 08:30 Monday.
    expect(clock.hoursBetween(bj('2015-09-25', '19:00'), bj('2015-09-28', '09:00'))).toBeCloseTo(0.5, 9)
    // Across the National Day week: Wednesday 9/30 15:00 to Thursday 10/8 10:00 is 2.5 + 1.5 hours.
    expect(clock.hoursBetween(bj('2015-09-30', '15:00'), bj('2015-10-08', '10:00'))).toBeCloseTo(4, 9)
    // Saturday 10月10日 2015 was a make-up working day.
    expect(clock.hoursBetween(bj('2015-10-09', '17:00'), bj('2015-10-12', '08:30'))).toBeCloseTo(9.5, 9)
    expect(clock.hoursBetween(bj('2015-09-08', '12:00'), bj('2015-09-08', '11:00'))).toBe(0)
  })
  it('takes other office hours, and refuses a day that ends before it starts', () => {
    const late = new OfficeClock({ startMinute: 9 * 60, endMinute: 18 * 60 })
    expect(late.hoursBetween(bj('2015-09-07', '08:00'), bj('2015-09-07', '20:00'))).toBe(9)
    expect(() => new OfficeClock({ startMinute: 18 * 60, endMinute: 9 * 60 })).toThrow()
  })
})

describe(`responsiveness figures on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let campaign: Campaign

  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    ;({ campaign } = await seedHistory(ds))
  })
  afterEach(async () => {
    await db.close()
  })

  it('gives the hand-worked September figures for the county, each unit and each person', async () => {
    const r = await responsiveness(ds, campaign, { month: '2015-09' }, HISTORY_NOW, { people: true })
    expect(r.period).toMatchObject({ label: '2015年9月', month: '2015-09', complete: true, noRecord: false, recordsFrom: null })
    const h = (hours: number, minutes: number) => hours + minutes / 60
    // 城关镇: #1 due-3 10h, due-1 24h55m (unanswered), overdue-1 6h55m; #2 1h55m and 0.5h; #5 pending.
    // 后港镇: #3 due-1, overdue-1, escalate-3 unanswered with no action; #4 due-3 23h55m (unanswered), due-1 5h55m.
    const [hougang, chengguan] = r.units
    expect(hougang!.unitName).toBe('后港镇')
    expect(hougang!.rank).toBe(1)
    expect(hougang!.response!.times.map((t) => Number(t.toFixed(6)))).toEqual([h(5, 55), h(23, 55)].map((t) => Number(t.toFixed(6))))
    expect(hougang!.response).toMatchObject({ reminders: 5, decided: 5, unanswered: 4, pending: 0 })
    expect(hougang!.response!.median).toBeCloseTo(h(5, 55), 9)
    expect(hougang!.response!.p90).toBeCloseTo(h(23, 55), 9)
    expect(hougang).toMatchObject({ onTimeOriginal: { due: 2, onTime: 1 }, onTimeExtended: { due: 2, onTime: 1 }, overdueItems: 1, overdueLoad: 19, escalatedToHead: 1, escalatedToOrg: 1, extendedTwice: 0 })

    expect(chengguan!.unitName).toBe('城关镇')
    expect(chengguan!.rank).toBe(2)
    expect(chengguan!.response).toMatchObject({ reminders: 6, decided: 5, unanswered: 1, pending: 1 })
    expect(chengguan!.response!.times.map((t) => Number(t.toFixed(6)))).toEqual([0.5, h(1, 55), h(6, 55), 10, h(24, 55)].map((t) => Number(t.toFixed(6))))
    // Nearest rank: the 3rd of 5, and the 5th of 5.
    expect(chengguan!.response!.median).toBeCloseTo(h(6, 55), 9)
    expect(chengguan!.response!.p90).toBeCloseTo(h(24, 55), 9)
    // #1 and #2 fell due in September by their original dates (neither rectified in time); #2's current date is 10月16日.
    expect(chengguan).toMatchObject({ onTimeOriginal: { due: 2, onTime: 0 }, onTimeExtended: { due: 1, onTime: 0 }, overdueItems: 0, overdueLoad: 0, escalatedToHead: 0, escalatedToOrg: 0, extendedTwice: 1 })

    // The county: 11 reminders, 7 times; the 4th and the 7th.
    expect(r.county.response).toMatchObject({ reminders: 11, decided: 10, unanswered: 5, pending: 1 })
    expect(r.county.response!.median).toBeCloseTo(h(6, 55), 9)
    expect(r.county.response!.p90).toBeCloseTo(h(24, 55), 9)
    expect(r.county).toMatchObject({ onTimeOriginal: { due: 4, onTime: 1 }, onTimeExtended: { due: 3, onTime: 1 }, overdueItems: 1, overdueLoad: 19, escalatedToHead: 1, escalatedToOrg: 1, extendedTwice: 1 })

    // People: each reminder they received; 孙丽's #4 due-1 was for 吴芳, on leave, and counts against 孙丽.
    const people = Object.fromEntries(r.people.map((p) => [p.name, { n: p.response.reminders, unanswered: `${p.response.unanswered}/${p.response.decided}`, pending: p.response.pending, median: Number(p.response.median?.toFixed(4)), onBehalf: p.onBehalf }]))
    expect(people).toEqual({
      吴芳: { n: 3, unanswered: '3/3', pending: 0, median: Number(h(23, 55).toFixed(4)), onBehalf: 0 },
      孙丽: { n: 3, unanswered: '2/3', pending: 0, median: Number(h(5, 55).toFixed(4)), onBehalf: 1 },
      赵磊: { n: 4, unanswered: '1/3', pending: 1, median: 10, onBehalf: 0 },
      李娜: { n: 1, unanswered: '0/1', pending: 0, median: Number(h(6, 55).toFixed(4)), onBehalf: 0 },
      陈静: { n: 2, unanswered: '0/2', pending: 0, median: 0.5, onBehalf: 0 },
    })
    expect(r.people.map((p) => p.name)).toEqual(['吴芳', '孙丽', '赵磊', '李娜', '陈静'])
  })

  it('shows August as 无记录 once records began in September, and the months before as they were', async () => {
    // The first record is August 28th's: August has records; a July figure is not guessed.
    const july = await responsiveness(ds, campaign, { month: '2015-07' }, HISTORY_NOW)
    expect(july.period.noRecord).toBe(true)
    expect(july.county.response).toBeNull()
    expect(july.county.escalatedToHead).toBeNull()
    const august = await responsiveness(ds, campaign, { month: '2015-08' }, HISTORY_NOW)
    expect(august.period.noRecord).toBe(false)
    expect(august.period.recordsFrom).toEqual(bj('2015-08-28', '09:05'))
    // #3's due-3 of 8/28: its next stage (due-1, 9/1 09:05) came first.
    expect(august.county.response).toMatchObject({ reminders: 1, decided: 1, unanswered: 1, times: [] })
  })

  it('answers 时效 in chat: the county ranked for 组织部, a unit and its people for its head', async () => {
    const chat = chatAs(ds, HISTORY_NOW)
    expect((await chat('wangjian', '时效 9月')).text).toBe(
      [
        '**响应时效 · 全县（2015年9月）**',
        '提醒响应：提醒 11 次，响应中位 6.9 小时，90分位 2.8 个工作日，未响应 5/10，待响应 1',
        '按期整改率：原定时限 25%（1/4），延期后 33%（1/3）',
        '逾期负荷：19 个工作日（逾期 1 项）',
        '反复督促：升级至单位负责人 1 项，升级至组织部 1 项，延期两次以上 1 项',
        '各单位排名（未响应比例高者在前，再按响应中位）：',
        '1. 后港镇：提醒 5，未响应 4/5，中位 5.9 小时，90分位 2.7 个工作日；逾期负荷 19',
        '2. 城关镇：提醒 6，未响应 1/5，待响应 1，中位 6.9 小时，90分位 2.8 个工作日；逾期负荷 0',
      ].join('\n'),
    )
    expect((await chat('sunli', '时效 9月')).text).toBe(
      [
        '**响应时效 · 后港镇（2015年9月）**',
        '提醒响应：提醒 5 次，响应中位 5.9 小时，90分位 2.7 个工作日，未响应 4/5',
        '按期整改率：原定时限 50%（1/2），延期后 50%（1/2）',
        '逾期负荷：19 个工作日（逾期 1 项）',
        '反复督促：升级至单位负责人 1 项，升级至组织部 1 项，延期两次以上 0 项',
        '各责任人（慢者在前）：',
        '吴芳：提醒 3，未响应 3/3，中位 2.7 个工作日',
        '孙丽：提醒 3，未响应 2/3，中位 5.9 小时（其中代请假人接收 1 次）',
      ].join('\n'),
    )
    // Another unit is refused; a month not begun and one outside the campaign too.
    expect((await chat('sunli', '时效 城关镇 9月')).text).toContain('您只能查看本单位（后港镇）的时效')
    expect((await chat('wangjian', '时效 2016年1月')).text).toContain('还没有到')
    expect((await chat('wangjian', '时效 2015年6月')).text).toContain('不在专项治理')
    expect((await chat('wangjian', '时效 城关镇 7月')).text).toContain('提醒响应：无记录')
    // A unit's leaders see it; its staff do not.
    expect((await chat('zhaolei', '时效')).text).toBe('「时效」只有组织部（干部监督科）、专项检查组、第一责任人、分管领导、联络员可以使用。发送「帮助」查看您可用的命令。')
    expect((await chat('lina', '时效 上月')).text.split('\n')[0]).toBe('**响应时效 · 城关镇（2015年9月）**')
  })

  it('ranks the units in the monthly workbook’s 响应时效 sheet with the same figures', async () => {
    const built = await buildMonthlyWorkbook(ds, campaign, '2015-09', HISTORY_NOW)
    const book = new ExcelJS.Workbook()
    await book.xlsx.load((await built.xlsx.writeBuffer()) as ArrayBuffer)
    const s = book.getWorksheet('响应时效')!
    const values = (row: number) => (s.getRow(row).values as ExcelJS.CellValue[]).slice(1)
    expect(s.getCell('A1').value).toBe('“为官不为”行为专项治理（2015年7月起） 2015年9月各单位提醒响应时效（截至9月30日）')
    expect(values(2)).toEqual([...RESPONSIVENESS_HEADERS])
    expect(s.rowCount).toBe(5)
    // Hours to one decimal: 5h55m, 23h55m; 6h55m, 24h55m.
    expect(values(3)).toEqual([1, '后港镇', 5, 5.9, 23.9, 5, 4, 0.8, 0, 0.5, 0.5, 1, 19, 1, 1, 0])
    expect(values(4)).toEqual([2, '城关镇', 6, 6.9, 24.9, 5, 1, 0.2, 1, 0, 0, 0, 0, 0, 0, 1])
    expect(values(5)).toEqual(['—', '全县', 11, 6.9, 24.9, 10, 5, 0.5, 1, 0.25, 1 / 3, 1, 19, 1, 1, 1])
    expect(s.getCell('D3').numFmt).toBe('0.0')
    expect(s.getCell('H3').numFmt).toBe('0.0%')
  })

  it('names the slowest units in the joint-meeting notice, as 时效 全程 ranks them', async () => {
    const chat = chatAs(ds, HISTORY_NOW)
    // The campaign so far adds August's due-3 of #3 (unanswered) to 后港镇: 5/6.
    const ranked = (await chat('wangjian', '时效 全程')).text.split('\n')
    expect(ranked.slice(-2)).toEqual(['1. 后港镇：提醒 6，未响应 5/6，中位 5.9 小时，90分位 2.7 个工作日；逾期负荷 20', '2. 城关镇：提醒 6，未响应 1/5，待响应 1，中位 6.9 小时，90分位 2.8 个工作日；逾期负荷 0'])
    await chat('wangjian', '会议 新建\n时间：10月9日 15:00\n地点：县委第三会议室\n议题：\n通报9月整改进展')
    const notice = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: Like('meeting:%'), recipients: Like('%wangjian%') })
    expect(readerText(notice.payload).split('\n')).toContain('响应最慢：后港镇（未响应 5/6，中位 5.9 小时）、城关镇（未响应 1/5，中位 6.9 小时）')
  })

  it('counts the whole campaign with 全程', async () => {
    const chat = chatAs(ds, HISTORY_NOW)
    const text = (await chat('wangjian', '时效 全程')).text
    // August's due-3 of #3 joins: 12 reminders, 6 unanswered; records began on 8月28日.
    expect(text.split('\n').slice(0, 2)).toEqual(['**响应时效 · 全县（全程，截至10月8日 10:00；提醒记录自8月28日起）**', '提醒响应：提醒 12 次，响应中位 6.9 小时，90分位 2.8 个工作日，未响应 6/11，待响应 1'])
  })
})
