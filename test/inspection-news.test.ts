import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InspectionSchema, MeetingSchema, OutboxMessageSchema, PersonSchema, PublicReportSchema, type Inspection, type PublicReport } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedMeetingMembers } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { readerText } from './helpers/outbox-text.js'

const at = (text: string) => new Date(`${text}+08:00`)

/** What 组织部 hears of the inspection group's work: the daily summary's new findings, the joint meeting's findings and reports awaiting verification. */
describe(`findings and reports in the daily summary and the meeting notice on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>

  /** A finding of 城关镇 recorded at `recorded` (Beijing time). */
  const finding = async (recorded: string, mustRectify = true) =>
    (
      await ds.getRepository(InspectionSchema).save({
        campaignId: fixture.campaign.id, unitId: fixture.chengguan, inspectorId: null, method: 'random_check', inspectedOn: recorded.slice(0, 10), findings: '督查发现问题',
        categoryId: null, mustRectify, ledgerItemId: null, isTypicalCase: false, createdAt: at(recorded),
      } as Inspection)
    ).id
  const summaryOn = async (day: string) => (await runSweep(ds, at(`${day}T09:05:00`), { dryRun: true })).plan.summary

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    await seedMeetingMembers(ds)
  })
  afterAll(async () => {
    await db?.close()
  })

  it('the daily summary says 今日新增督查发现: those recorded on the previous working day and the rest days after it, each once', async () => {
    expect(await summaryOn('2015-09-10')).not.toContain('督查发现')
    const thursday = await finding('2015-09-10T16:00:00')
    const friday = await finding('2015-09-11T15:00:00')
    const saturday = await finding('2015-09-12T11:00:00', false)
    const monday = await finding('2015-09-14T08:30:00')
    // Friday: Thursday's.
    expect(await summaryOn('2015-09-11')).toContain(`今日新增督查发现 1 项：督查#${thursday}\n`)
    // Monday: Friday's and the weekend's, not this morning's (tomorrow's).
    const mondaySummary = (await summaryOn('2015-09-14'))!
    expect(mondaySummary.split('\n')).toContain(`今日新增督查发现 2 项：督查#${friday} 督查#${saturday}`)
    expect(await summaryOn('2015-09-15')).toContain(`今日新增督查发现 1 项：督查#${monday}`)
    expect(await summaryOn('2015-09-16')).not.toContain('督查发现')
    // Right after the line of new overdue items, when there is one.
    const lines = mondaySummary.split('\n')
    const at_ = lines.findIndex((l) => l.startsWith('今日新增督查发现'))
    expect(lines[at_ - 1]).toMatch(/^今日新增逾期|^逾期最多的单位|^目前没有逾期/)
  })

  it('the meeting notice says the findings since the last meeting and the reports awaiting verification', async () => {
    await ds.getRepository(InspectionSchema).delete({ campaignId: fixture.campaign.id })
    await finding('2015-09-01T10:00:00')
    await finding('2015-09-02T10:00:00', false)
    const admin = (await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'wangjian' })).id
    const report = (verifyBy: string, verified: boolean) =>
      ds.getRepository(PublicReportSchema).save({
        campaignId: fixture.campaign.id, source: 'mailbox', receivedOn: '2015-08-25', content: '反映问题', unitId: fixture.chengguan, concernedPerson: null, registeredById: admin, assignedToId: admin,
        verifyBy, status: verified ? 'verified' : 'assigned', verdict: verified ? 'untrue' : null, verdictNote: null, verifiedAt: verified ? at('2015-09-03T10:00:00') : null, inspectionId: null,
      } as PublicReport)
    await report('2015-09-01', false)
    await report('2015-09-20', false)
    await report('2015-09-05', true)
    const notice = async (meetingId: number) => {
      const row = await ds.getRepository(OutboxMessageSchema).findOneOrFail({ where: { subjectKind: 'meeting', subjectId: meetingId }, order: { id: 'ASC' } })
      return readerText(row.payload)
    }
    const call = (date: string) => `会议 新建\n时间：${date} 15:00\n地点：县委第三会议室\n议题：\n通报监督检查进展`
    expect((await chatAs(ds, at('2015-09-07T10:00:00'))('wangjian', call('9月8日'))).text).toContain('已召集联席会议')
    const first = await ds.getRepository(MeetingSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
    // The first meeting: every finding so far.
    expect(await notice(first.id)).toContain('待审批延期申请 0 件\n督查发现 2 项（须整改 1 项）\n举报待核查 2 件（逾期 1）\n')
    // After it was held: one more finding; the next notice counts from the first meeting's start.
    await finding('2015-09-09T10:00:00')
    await chatAs(ds, at('2015-09-10T10:00:00'))('wangjian', call('9月15日'))
    const second = await ds.getRepository(MeetingSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
    expect(second.id).not.toBe(first.id)
    expect(await notice(second.id)).toContain('待审批延期申请 0 件\n上次会议以来督查发现 1 项（须整改 1 项）\n举报待核查 2 件（逾期 1）\n')
    // Nothing found and nothing waiting: neither line.
    await ds.getRepository(PublicReportSchema).update({ campaignId: fixture.campaign.id }, { status: 'verified' })
    await chatAs(ds, at('2015-09-16T10:00:00'))('wangjian', call('9月18日'))
    const third = await ds.getRepository(MeetingSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
    const text = await notice(third.id)
    expect(text).not.toContain('督查发现')
    expect(text).not.toContain('举报待核查')
  })
})
