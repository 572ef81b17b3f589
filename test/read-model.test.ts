import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { loadSender } from '../src/bot/load-sender.js'
import { ExtensionRequestSchema, LedgerItemSchema, MonthlyReportSchema } from '../src/db/entities/index.js'
import { monthlyReportStatus } from '../src/read-model/campaign-progress.js'
import { deadlineLight, overdueText, statusLight, workdaysOverdue } from '../src/read-model/figures.js'
import { waitingFor } from '../src/read-model/waiting-for.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

describe('figures (docs/figures.md)', () => {
  it('counts lateness in working days, skipping weekends and the holidays of 3–4 September 2015', () => {
    expect(workdaysOverdue('2015-08-28', '2015-08-31')).toBe(1) // Friday → Monday
    expect(workdaysOverdue('2015-09-02', '2015-09-06')).toBe(1) // the 3rd and 4th off, Sunday the 6th worked
    expect(workdaysOverdue('2015-09-01', '2015-09-01')).toBe(0)
    expect(overdueText('2015-08-28', '2015-08-29')).toBe('已逾期')
    expect(overdueText('2015-08-25', '2015-08-31')).toBe('逾期 4 个工作日')
  })

  it('lights a deadline and an item by the same 3 working days', () => {
    // From Tuesday 1 September 2015: 9-02, then 9-06 (a Sunday worked), then 9-07.
    expect(deadlineLight('2015-09-07', '2015-09-01')).toBe('🟡')
    expect(deadlineLight('2015-09-08', '2015-09-01')).toBe('🟢')
    expect(deadlineLight('2015-08-31', '2015-09-01')).toBe('🔴')
    expect(statusLight({ status: 'in_progress', dueDate: '2015-09-07' }, '2015-09-01')).toBe('🟡')
    expect(statusLight({ status: 'rectified', dueDate: '2015-08-01' }, '2015-09-01')).toBe('🟡')
    expect(statusLight({ status: 'closed', dueDate: '2015-08-01' }, '2015-09-01')).toBe('🟢')
  })
})

describe(`the read model on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  const actor = async (userid: string) => (await loadSender(ds, userid))!

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    const soon = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: fixture.items.soon })
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.overdue }, { status: 'rectified', rectifiedAt: new Date('2015-08-30T02:00:00Z') })
    await ds.getRepository(ExtensionRequestSchema).insert({ ledgerItemId: soon.id, requestedById: soon.responsiblePersonId!, oldDueDate: soon.dueDate, newDueDate: '2015-09-20', reason: '等待上级批复', status: 'pending' })
    await ds.getRepository(MonthlyReportSchema).insert({ campaignId: fixture.campaign.id, unitId: fixture.chengguan, month: '2015-08', content: '本月召开推进会一次', submittedById: null, submittedAt: new Date('2015-08-28T02:00:00Z'), revision: 1 })
  })
  afterAll(async () => {
    await db?.close()
  })

  it('tells 组织部 what waits for it: items to verify, extensions to decide, reports submitted', async () => {
    const waiting = await waitingFor(ds, await actor('wangjian'), fixture.campaign.id, '2015-08-31')
    expect(waiting.toVerify.map((i) => i.id)).toEqual([fixture.items.overdue])
    expect(waiting.extensionsToDecide.map((e) => e.ledgerItemId)).toEqual([fixture.items.soon])
    expect(waiting.reportsSubmitted).toEqual([{ unitId: fixture.chengguan, submittedAt: new Date('2015-08-28T02:00:00Z') }])
    expect(waiting.deliverablesOwed).toEqual([])
  })

  it('tells the inspection group only what to verify, and a unit head the deliverables the unit owes', async () => {
    const inspector = await waitingFor(ds, await actor('liuyang'), fixture.campaign.id, '2015-08-31')
    expect([inspector.toVerify.length, inspector.extensionsToDecide.length, inspector.reportsSubmitted.length]).toEqual([1, 0, 0])
    const head = await waitingFor(ds, await actor('zhangwei'), fixture.campaign.id, '2015-08-31')
    expect(head.toVerify).toEqual([])
    expect(head.deliverablesOwed.map((o) => [o.task.code, o.light])).toEqual([
      ['ledger', '🟡'],
      ['rectification_disclosure', '🟡'],
      ['subordinate_inspection', '🟢'],
    ])
    const staff = await waitingFor(ds, await actor('zhaolei'), fixture.campaign.id, '2015-08-31')
    expect(staff).toEqual({ toVerify: [], extensionsToDecide: [], reportsSubmitted: [], deliverablesOwed: [] })
  })

  it('gives each participating unit’s report status for a month, as of an instant', async () => {
    const august = await monthlyReportStatus(ds, fixture.campaign, '2015-08')
    expect(august.map((r) => [r.unitName, r.submittedAt !== null, r.revision])).toEqual([
      ['城关镇', true, 1],
      ['后港镇', false, null],
    ])
    const before = await monthlyReportStatus(ds, fixture.campaign, '2015-08', new Date('2015-08-27T00:00:00Z'))
    expect(before.every((r) => r.submittedAt === null)).toBe(true)
  })
})
