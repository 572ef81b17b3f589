import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { TEXT_LIMITS } from '../src/domain/text/text-limits.js'
import {
  AgendaItemSchema,
  CircularSchema,
  ExtensionRequestSchema,
  LedgerItemSchema,
  MonthlyReportSchema,
  OutboxMessageSchema,
  PersonLeaveSchema,
  ProgressUpdateSchema,
} from '../src/db/entities/index.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { addLedgerItem } from './helpers/ledger-fixture.js'
import { seedMeetingMembers } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-20T10:00:00+08:00')
const long = (n: number) => '整改'.repeat(Math.ceil(n / 2)).slice(0, n)

/**
 * Every free-text field and every date has a bound (docs/limits.md): beyond it the person is
 * answered in Chinese with the limit, through the real callback, and nothing is written — the
 * row counts of everything the command would have written stay as they were.
 */
describe(`bounded input through the callback, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let fixture: Awaited<ReturnType<typeof seedCircularAudience>>
  let item: number
  let rectified: number

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedCircularAudience(ds)
    await seedMeetingMembers(ds)
    item = (await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })).id
    rectified = (await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' }, { problem: '已整改的问题', status: 'rectified', progress: 100, rectifiedAt: NOW })).id
    rig = await startCallbackRig(ds, { now: NOW })
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  /** Row counts of every table a refused command could have written. */
  const counts = async () => ({
    history: await ds.getRepository(ProgressUpdateSchema).count(),
    items: await ds.getRepository(LedgerItemSchema).count(),
    requests: await ds.getRepository(ExtensionRequestSchema).count(),
    reports: await ds.getRepository(MonthlyReportSchema).count(),
    circulars: await ds.getRepository(CircularSchema).count(),
    agenda: await ds.getRepository(AgendaItemSchema).count(),
    leaves: await ds.getRepository(PersonLeaveSchema).count(),
    notices: await ds.getRepository(OutboxMessageSchema).countBy({ channel: 'app' }),
  })

  async function expectRefused(from: string, text: string, answer: RegExp) {
    const before = await counts()
    const said = await rig.say(from, text)
    expect(said.status).toBe(200)
    expect(said.answer).toMatch(answer)
    expect(await counts()).toEqual(before)
  }

  it('refuses a note, a reason or an opinion over its limit, saying the limit', async () => {
    await expectRefused('zhaolei', `进度 ${item} 60% ${long(501)}`, /^进展说明太长：501 字，上限 500 字。请精简后重发，未保存任何内容。\n用法：进度/)
    await expectRefused('zhaolei', `完成 ${item} ${long(10_000)}`, /^整改说明太长：10,000 字，上限 500 字。/)
    await expectRefused('zhaolei', `延期 ${item} 9月30日 ${long(201)}`, /^延期理由太长：201 字，上限 200 字。/)
    await expectRefused('wangjian', `退回 ${rectified} ${long(201)}`, /^理由太长：201 字，上限 200 字。/)
    await expectRefused('wangjian', `销号 ${rectified} ${long(201)}`, /^意见太长：201 字，上限 200 字。/)
  })

  it('takes a note of exactly the limit', async () => {
    const said = await rig.say('zhaolei', `进度 ${item} 60% ${long(TEXT_LIMITS.progressNote.max)}`)
    expect(said.answer).toMatch(/^已记录 #\d+ 进度/)
  })

  it('refuses a monthly report, a circular body and minutes over 5,000 characters', async () => {
    await expectRefused('zhangwei', `月报 ${long(5001)}`, /^月报太长：5,001 字，上限 5,000 字。请精简后重发，未保存任何内容；篇幅较长的材料请线下报送。/)
    await expectRefused('wangjian', `通报 发布 镇 关于整改的通知\n${long(5001)}`, /^通报正文太长：5,001 字，上限 5,000 字。/)
    await expectRefused('wangjian', `会议 纪要 1\n${long(5001)}`, /^会议纪要太长：/)
  })

  it('refuses a registration whose fields are too long, or whose due date is past the campaign’s end plus a year', async () => {
    const register = (problem: string, due: string) => `登记\n类别：(二)\n问题：${problem}\n措施：建立首办责任制\n目标：积案全部化解\n时限：${due}\n责任领导：李娜\n责任人：赵磊`
    await expectRefused('zhangwei', register(long(501), '9月30日'), /^问题描述太长：501 字，上限 500 字。/)
    // The campaign runs 2015-07-01 to 2015-12-31: the latest date anyone may set is 2016-12-31.
    await expectRefused('zhangwei', register('信访件转办后推诿扯皮', '9999-12-31'), /完成时限 9999年12月31日 太远：最晚可写 2016年12月31日（专项治理结束后一年）/)
  })

  it('refuses dates past the campaign’s end plus a year for an extension, a leave and a meeting', async () => {
    await expectRefused('zhaolei', `延期 ${item} 9999-12-31 等待批复`, /^新的时限 9999年12月31日 太远：最晚可写 2016年12月31日/)
    await expectRefused('zhaolei', '请假 至 2017-01-01', /^请假截止日期 2017年1月1日 太远：最晚可写 2016年12月31日/)
    await expectRefused('wangjian', '会议 新建\n时间：2030-09-10 15:00\n地点：县委第三会议室\n议题：\n通报进展', /^会议日期 2030年9月10日 太远/)
    // The last allowed day is taken.
    expect((await rig.say('zhaolei', `延期 ${item} 2016-12-31 等待省厅批复`)).answer).toMatch(/^已提交延期申请/)
  })

  it('quotes back at most 20 characters of what was typed, however long', async () => {
    const token = '乱'.repeat(15_000)
    for (const text of [`进度 ${token} 50% 已推进`, `进度 ${item} ${token} 已推进`, `延期 ${item} ${token} 理由`, `我的 ${token}`, `帮助 ${token}`, `会议 ${token}`]) {
      const said = await rig.say('zhangwei', text)
      expect(said.answer).toContain(`「${'乱'.repeat(20)}…」`)
      expect([...said.answer].length).toBeLessThan(300)
    }
  })

  it('refuses minutes whose decision is longer than a problem may be, and too many topics or decisions', async () => {
    await expectRefused('wangjian', `会议 纪要 1\n${'推'.repeat(4000)} @城关镇 9月30日`, /^每项决定事项太长：4,011 字，上限 500 字。/)
    await expectRefused('wangjian', `会议 纪要 1\n${Array.from({ length: 51 }, (_, i) => `第${i}项`).join('\n')}`, /^决定事项太多：51 项，一次最多 50 项，请分次记录。/)
    const topics = Array.from({ length: 31 }, (_, i) => `议题${i}`).join('\n')
    await expectRefused('wangjian', `会议 新建\n时间：9月10日 15:00\n地点：县委第三会议室\n议题：\n${topics}`, /^议题太多：31 个，一次会议最多 30 个。/)
  })
})
