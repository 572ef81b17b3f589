import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { commands } from '../commands/index.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { createConsoleTransport } from '../src/delivery/console-transport.js'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { CHUNK_BYTES, readStoredFile, storeFile } from '../src/outbox/stored-files.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { CampaignSchema, MonthlyReportSchema, OutboxMessageSchema, PersonSchema, StoredFileChunkSchema, StoredFileSchema } from '../src/db/entities/index.js'
import { createApp } from '../src/http/create-app.js'
import { loadConfig } from '../src/config/load-config.js'
import { createLogger } from '../src/logger.js'
import { NO_METRICS } from '../src/metrics/metrics.js'
import { monthEndReport } from '../src/jobs/month-end-report.js'
import { sendMonthEndReport } from '../src/domain/reports/month-end-report.js'
import { monthlyFigures, monthlyTotals } from '../src/domain/reports/monthly-figures.js'
import { monthlySummaryMarkdown } from '../src/domain/reports/monthly-summary.js'
import { SHEET_NAMES } from '../src/domain/reports/monthly-workbook.js'
import { utf8Length } from '../src/wecom/utf8-limits.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { newMsgId, post, SECRETS, sign, textXml } from './helpers/wecom-callback-client.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const at = (text: string) => new Date(`${text}+08:00`)
const quiet = createLogger('silent')
const NO_QUIET = { startMinute: 0, endMinute: 0 }
const FIVE_PM: readonly [number, number] = [17, 0]

/** Every outbox row, oldest first. */
const outbox = (ds: DataSource) => ds.getRepository(OutboxMessageSchema).find({ order: { id: 'ASC' } })

async function clearOutbox(ds: DataSource) {
  await ds.getRepository(OutboxMessageSchema).createQueryBuilder().delete().where('1 = 1').execute()
  await ds.getRepository(StoredFileChunkSchema).createQueryBuilder().delete().where('1 = 1').execute()
  await ds.getRepository(StoredFileSchema).createQueryBuilder().delete().where('1 = 1').execute()
}

describe(`the monthly workbook sent to the organization department on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let fixture: Awaited<ReturnType<typeof seedLedger>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    // 城关镇 reported in August; 后港镇 did not.
    const zhangwei = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhangwei' })
    await ds.getRepository(MonthlyReportSchema).save({ campaignId: fixture.campaign.id, unitId: fixture.chengguan, month: '2015-08', content: '八月工作', submittedById: zhangwei.id, submittedAt: at('2015-08-28T10:00:00'), revision: 1 })
  })
  afterAll(async () => {
    await fake?.close()
    await db?.close()
  })
  beforeEach(async () => {
    await fake?.close()
    fake = await startFakeWeCom()
    await clearOutbox(ds)
  })

  function wecomWorker(now: Date) {
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => now.getTime() })
    return createDeliveryWorker({ dataSource: ds, transport: createWeComTransport(client, {}, { dataSource: ds, now: () => now }), logger: quiet, quietHours: NO_QUIET, now: () => now, random: () => 0 })
  }

  it('waits for the last working day of the month and the configured time', async () => {
    // 31 August 2015 was a Monday, the month's last working day.
    expect(await sendMonthEndReport(ds, at('2015-08-28T17:30:00'), FIVE_PM)).toEqual({ sent: false, reason: 'not_yet' })
    expect(await sendMonthEndReport(ds, at('2015-08-31T16:59:00'), FIVE_PM)).toEqual({ sent: false, reason: 'not_yet' })
    expect(await outbox(ds)).toHaveLength(0)
    // September's last working day is the 30th (the National Day holiday follows).
    expect(await sendMonthEndReport(ds, at('2015-09-29T17:30:00'), FIVE_PM)).toEqual({ sent: false, reason: 'not_yet' })
  })

  it('sends the final month’s workbook on the campaign’s last working day when it ends before the month does', async () => {
    const campaigns = ds.getRepository(CampaignSchema)
    const { endDate } = await campaigns.findOneByOrFail({ id: fixture.campaign.id })
    try {
      // Ends Saturday 14 November 2015: its last working day is Friday the 13th.
      await campaigns.update({ id: fixture.campaign.id }, { endDate: '2015-11-14' })
      expect(await sendMonthEndReport(ds, at('2015-11-12T17:30:00'), FIVE_PM)).toEqual({ sent: false, reason: 'not_yet' })
      expect(await sendMonthEndReport(ds, at('2015-11-13T16:30:00'), FIVE_PM)).toEqual({ sent: false, reason: 'not_yet' })
      expect(await sendMonthEndReport(ds, at('2015-11-13T17:03:00'), FIVE_PM)).toMatchObject({ sent: true, month: '2015-11' })
      // The next day (Saturday, still the campaign's): once only; after it, no campaign runs.
      expect(await sendMonthEndReport(ds, at('2015-11-14T09:03:00'), FIVE_PM)).toEqual({ sent: false, reason: 'already_sent' })
      expect(await sendMonthEndReport(ds, at('2015-11-30T17:03:00'), FIVE_PM)).toEqual({ sent: false, reason: 'no_campaign' })
      expect((await outbox(ds)).map((r) => r.dedupeKey)).toEqual([`monthly-workbook:${fixture.campaign.id}:2015-11`, `monthly-workbook:${fixture.campaign.id}:2015-11:file`])
      // Ending on the 1st of a month that is a holiday (National Day): no report for that day alone.
      await clearOutbox(ds)
      await campaigns.update({ id: fixture.campaign.id }, { endDate: '2015-10-01' })
      expect(await sendMonthEndReport(ds, at('2015-10-01T17:03:00'), FIVE_PM)).toEqual({ sent: false, reason: 'not_yet' })
    } finally {
      await campaigns.update({ id: fixture.campaign.id }, { endDate })
    }
  })

  it('sends the summary and then the workbook to every org_admin exactly once, however often and by however many it runs', async () => {
    const when = at('2015-08-31T17:03:00')
    const outcomes = await Promise.all([sendMonthEndReport(ds, when, FIVE_PM), sendMonthEndReport(ds, when, FIVE_PM)])
    expect(outcomes.filter((o) => o.sent)).toHaveLength(1)
    expect(outcomes.filter((o) => !o.sent)).toEqual([{ sent: false, reason: 'already_sent' }])
    // Later the same day, as the scheduled job does every ten minutes: nothing more.
    const job = monthEndReport.create({ dataSource: ds, logger: quiet, config: loadConfig({ MONTHLY_REPORT_TIME: '17:00' }), metrics: NO_METRICS })
    expect(await job(at('2015-08-31T20:13:00'))).toEqual({ written: 0 })
    expect(await sendMonthEndReport(ds, at('2015-08-31T23:53:00'), FIVE_PM)).toEqual({ sent: false, reason: 'already_sent' })

    const rows = await outbox(ds)
    expect(rows.map((r) => [r.dedupeKey, r.msgType, JSON.parse(r.recipients).touser])).toEqual([
      [`monthly-workbook:${fixture.campaign.id}:2015-08`, 'markdown', ['wangjian']],
      [`monthly-workbook:${fixture.campaign.id}:2015-08:file`, 'file', ['wangjian']],
    ])
    expect(await ds.getRepository(StoredFileSchema).count()).toBe(1)

    const worker = wecomWorker(when)
    const result = await worker.runOnce()
    expect(result).toMatchObject({ claimed: 2, sent: 2, dead: 0 })
    expect(await worker.runOnce()).toMatchObject({ claimed: 0 })

    // One upload, then the summary, then the file carrying that upload's media id.
    expect(fake.uploads).toHaveLength(1)
    const [upload] = fake.uploads
    expect(upload).toMatchObject({ type: 'file', filename: '为官不为行为专项治理2015年8月月报汇总.xlsx' })
    expect(fake.delivered.map((d) => d.msgtype)).toEqual(['markdown', 'file'])
    expect(fake.delivered[1]!.body.file).toEqual({ media_id: upload!.mediaId })
    expect(fake.delivered.every((d) => d.touser.join() === 'wangjian')).toBe(true)

    // What arrived is the workbook: its four sheets, and the 汇总 totals the summary states.
    const book = new ExcelJS.Workbook()
    await book.xlsx.load(upload!.data as unknown as ArrayBuffer)
    expect(book.worksheets.map((s) => s.name)).toEqual([...SHEET_NAMES])
    const summarySheet = book.getWorksheet('汇总')!
    const totalsRow = summarySheet.getRow(summarySheet.actualRowCount)
    expect(totalsRow.getCell(1).value).toBe('合计')
    const figures = await monthlyFigures(ds, fixture.campaign, '2015-08', when)
    const totals = monthlyTotals(figures)
    expect([2, 3, 4, 5, 6, 7].map((c) => totalsRow.getCell(c).value)).toEqual([totals.total, totals.notStarted, totals.inProgress, totals.awaitingVerification, totals.closed, totals.overdue])
    const summary = (fake.delivered[0]!.body.markdown as { content: string }).content
    expect(summary).toContain(`台账 ${totals.total} 项：未开始 ${totals.notStarted}，整改中 ${totals.inProgress}，已整改待销号 ${totals.awaitingVerification}，已销号 ${totals.closed}；逾期 ${totals.overdue}`)
    expect(summary).toContain('月报已报 1/2 个单位，未报：后港镇')
    expect(summary).toContain('为官不为行为专项治理2015年8月月报汇总.xlsx')
  })

  it('sends no file over WeCom’s file limit: the summary says the size, the limit and where to get the workbook', async () => {
    const when = at('2015-08-31T17:03:00')
    // The fixture's workbook is some kilobytes: a limit of 1 KB stands for a province's past 20 MB.
    expect(await sendMonthEndReport(ds, when, FIVE_PM, { maxBytes: 1024 })).toMatchObject({ sent: true, month: '2015-08', bytes: 0 })
    const rows = await outbox(ds)
    expect(rows.map((r) => [r.dedupeKey, r.msgType])).toEqual([[`monthly-workbook:${fixture.campaign.id}:2015-08`, 'markdown']])
    expect(await ds.getRepository(StoredFileSchema).count()).toBe(0)
    const summary = JSON.parse(rows[0]!.payload).markdown.content as string
    expect(summary.split('\n').at(-1)).toMatch(/^> 工作簿 \d+ KB，超过企业微信 1 KB 的文件上限，未作为附件发送。请在工作台「月报」页下载月度工作簿，或由管理员运行：npm run cli -- export monthly --month 2015-08$/)
    expect(summary).not.toContain('明细见附件')
    // Once, as the file would have been.
    expect(await sendMonthEndReport(ds, when, FIVE_PM, { maxBytes: 1024 })).toEqual({ sent: false, reason: 'already_sent' })
  })

  it('resends a file that failed with the same upload, byte for byte, so WeCom’s duplicate check applies', async () => {
    const when = at('2015-08-31T17:13:00')
    expect((await sendMonthEndReport(ds, when, FIVE_PM)).sent).toBe(true)
    // Both message/send calls fail (the summary's and, after its upload, the file's).
    fake.inject({ kind: 'http', status: 502 }, 2, 'message/send')
    expect(await wecomWorker(when).runOnce()).toMatchObject({ retried: 2, sent: 0 })
    expect(fake.uploads).toHaveLength(1)
    expect(await wecomWorker(new Date(when.getTime() + 3600_000)).runOnce()).toMatchObject({ sent: 2 })
    expect((await outbox(ds)).map((r) => r.status)).toEqual(['sent', 'sent'])
    // No second upload: the retry is the same request as the failed one.
    expect(fake.uploads).toHaveLength(1)
    const files = fake.requests.filter((r) => r.api === 'message/send' && String(r.body).includes('"msgtype":"file"'))
    expect(files.map((r) => r.outcome)).toEqual([502, 0])
    expect(files[0]!.body).toBe(files[1]!.body)
  })

  it('uploads again once WeCom has forgotten the file (media ids last 3 days)', async () => {
    const when = at('2015-08-31T17:23:00')
    await sendMonthEndReport(ds, when, FIVE_PM)
    const row = (await outbox(ds)).find((r) => r.msgType === 'file')!
    await wecomWorker(when).runOnce()
    expect(fake.uploads).toHaveLength(1)
    // The same file row, sent again three days later (an operator's `outbox retry`): a fresh upload.
    await ds.getRepository(OutboxMessageSchema).update({ id: row.id }, { status: 'pending', nextAttemptAt: when })
    await wecomWorker(new Date(when.getTime() + 3 * 24 * 3600_000)).runOnce()
    expect(fake.uploads).toHaveLength(2)
    expect(fake.delivered.at(-1)!.body.file).toEqual({ media_id: fake.uploads[1]!.mediaId })
  })

  it('tells nobody when nobody holds org_admin, and sends once someone does', async () => {
    await ds.query("UPDATE role_assignment SET role = 'inspector' WHERE role = 'org_admin'")
    try {
      expect(await sendMonthEndReport(ds, at('2015-08-31T17:33:00'), FIVE_PM)).toEqual({ sent: false, reason: 'no_admins' })
      expect(await outbox(ds)).toHaveLength(0)
      expect(await ds.getRepository(StoredFileSchema).count()).toBe(0)
    } finally {
      await ds.query("UPDATE role_assignment SET role = 'org_admin' WHERE role = 'inspector' AND person_id = (SELECT id FROM person WHERE userid = 'wangjian')")
    }
    expect((await sendMonthEndReport(ds, at('2015-08-31T17:43:00'), FIVE_PM)).sent).toBe(true)
  })

  it('writes the workbook to a folder and prints its path in console mode', async () => {
    await sendMonthEndReport(ds, at('2015-08-31T17:03:00'), FIVE_PM)
    const folder = mkdtempSync(join(tmpdir(), 'bot-files-'))
    try {
      const printed: string[] = []
      const worker = createDeliveryWorker({ dataSource: ds, transport: createConsoleTransport(ds, (t) => printed.push(t), join(folder, 'files')), logger: quiet, quietHours: NO_QUIET, now: () => at('2015-08-31T17:03:00') })
      expect(await worker.runOnce()).toMatchObject({ sent: 2 })
      const line = printed.find((p) => p.includes('[文件]'))!
      const path = /已保存到 (.+\.xlsx)/.exec(line)![1]!
      expect(path.startsWith(join(folder, 'files'))).toBe(true)
      expect(line).toContain('王健(wangjian)')
      const book = new ExcelJS.Workbook()
      await book.xlsx.load(readFileSync(path) as unknown as ArrayBuffer)
      expect(book.worksheets.map((s) => s.name)).toEqual([...SHEET_NAMES])
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  it('keeps a file larger than one chunk intact, and notices a damaged one', async () => {
    const content = Buffer.alloc(CHUNK_BYTES * 2 + 123)
    for (let i = 0; i < content.length; i += 1) content[i] = (i * 7919) % 251
    const id = await ds.transaction((m) => storeFile(m, { filename: '大文件.bin', content }))
    expect(await ds.getRepository(StoredFileChunkSchema).countBy({ fileId: id })).toBe(3)
    expect((await readStoredFile(ds, id)).content.equals(content)).toBe(true)
    await ds.getRepository(StoredFileChunkSchema).delete({ fileId: id, seq: 1 })
    await expect(readStoredFile(ds, id)).rejects.toThrow(/damaged/)
  })

  it('keeps the summary within one message for a county of 5,000 units', async () => {
    const figures = await monthlyFigures(ds, fixture.campaign, '2015-08', at('2015-08-31T17:00:00'))
    const unit = figures.units[0]!
    const many = { ...figures, units: Array.from({ length: 5000 }, (_, i) => ({ ...unit, unitName: `第${i + 1}个很长名字的县直单位机关`, overdue: i % 7, reportSubmittedAt: i % 5 === 0 ? null : unit.reportSubmittedAt })) }
    const text = monthlySummaryMarkdown(many, '为官不为行为专项治理2015年8月月报汇总.xlsx')
    expect(utf8Length(text)).toBeLessThanOrEqual(2048)
    expect(text).toContain('等 1000 个')
    expect(text).toContain('明细见附件')
  })

  describe('月报 汇总 in chat', () => {
    let url: string
    let close: () => Promise<void>
    const now = at('2015-08-20T10:00:00')

    beforeAll(async () => {
      const app = createApp({
        dataSource: ds,
        logger: quiet,
        deliveryMode: 'wecom',
        now: () => now,
        callback: { path: '/cb', secrets: SECRETS, dispatcher: createDispatcher({ dataSource: ds, registry: createCommandRegistry(commands), now: () => now, senderCacheMs: 0 }) },
      })
      const server = app.listen(0, '127.0.0.1')
      await new Promise((resolve) => server.once('listening', resolve))
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`
      close = () => new Promise((resolve) => server.close(() => resolve()))
    })
    afterAll(async () => close?.())

    const say = async (from: string, content: string) => {
      const response = await post(url, sign(textXml(from, content, { msgId: newMsgId(), at: now }), { at: now }))
      expect(response.status).toBe(200)
      return response.text()
    }

    it('answers an org_admin with the summary and the workbook, stored with the answer', async () => {
      expect(await say('wangjian', '月报 汇总')).toBe('')
      const rows = await outbox(ds)
      expect(rows.map((r) => r.msgType)).toEqual(['markdown', 'file'])
      expect(rows[1]!.dedupeKey).toBe(`${rows[0]!.dedupeKey}:file`)
      expect(rows.every((r) => JSON.parse(r.recipients).touser.join() === 'wangjian')).toBe(true)
      const summary = JSON.parse(rows[0]!.payload).markdown.content as string
      expect(summary).toContain('2015年8月专项治理月报汇总**（截至8月20日）')
      const fileId = JSON.parse(rows[1]!.payload).file.stored_file_id as number
      const file = await readStoredFile(ds, fileId)
      expect(file.filename).toBe('为官不为行为专项治理2015年8月月报汇总.xlsx')
      const book = new ExcelJS.Workbook()
      await book.xlsx.load(file.content as unknown as ArrayBuffer)
      expect(String(book.getWorksheet('汇总')!.getCell('A1').value)).toContain('截至2015-08-20（本月未结束）')
    })

    it('takes a past month in the forms people write', async () => {
      await say('wangjian', '月报 汇总 7月')
      await say('wangjian', '月报 汇总 2015年7月')
      const summaries = (await outbox(ds)).filter((r) => r.msgType === 'markdown').map((r) => JSON.parse(r.payload).markdown.content as string)
      expect(summaries).toHaveLength(2)
      for (const s of summaries) expect(s).toContain('**2015年7月专项治理月报汇总**（截至7月底）')
    })

    it('explains a month it cannot read, one still to come, and one outside the campaign, storing no file', async () => {
      const chat = chatAs(ds, now)
      expect((await chat('wangjian', '月报 汇总 十三月')).text).toMatch(/^「十三月」不是月份：写成 2015-08、2015年8月、8月 或 上月，不写则为本月。\n用法：月报 汇总 \[月份\]\n示例：月报 汇总 8月$/)
      expect((await chat('wangjian', '月报 汇总 2015-10')).text).toContain('2015-10 还没有到')
      expect((await chat('wangjian', '月报 汇总 2015-06')).text).toContain('2015-06 不在专项治理')
      // Through the callback: the short refusal goes back at once, nothing is queued or stored.
      expect(await say('wangjian', '月报 汇总 2015-10')).not.toBe('')
      expect(await outbox(ds)).toHaveLength(0)
      expect(await ds.getRepository(StoredFileSchema).count()).toBe(0)
    })

    it('is for the organization department only; a unit’s report that starts with 汇总 is still a report', async () => {
      const chat = chatAs(ds, now)
      const refused = await chat('zhangwei', '月报 汇总')
      expect(refused.text).toContain('「月报 汇总」只有组织部管理员可以使用')
      expect(refused.attachment).toBeUndefined()
      const submitted = await chat('zhangwei', '月报 汇总 本月召开推进会1次，整改问题2个')
      expect(submitted.text).toContain('已重新提交城关镇8月月报（第 2 版）')
      const saved = await ds.getRepository(MonthlyReportSchema).findOneByOrFail({ unitId: fixture.chengguan, month: '2015-08' })
      expect(saved.content).toBe('汇总 本月召开推进会1次，整改问题2个')
      // An org_admin without a unit is pointed at 汇总 when typing a plain 月报.
      expect((await chat('wangjian', '月报')).text).toContain('月报 汇总')
    })
  })
})
