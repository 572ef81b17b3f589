import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { LedgerItemSchema, PersonSchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { overview } from '../src/read-model/dashboard-overview.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const bj = (at: string) => new Date(`${at}+08:00`)

/** 总览's figures from a dated history (docs/dashboard.md, 总览), worked out by hand. */
describe(`the dashboard's overview figures, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    // The three items registered on 1 July; the one due 25 August closed on 10 August.
    await ds.getRepository(LedgerItemSchema).update({ campaignId: fixture.campaign.id }, { createdAt: bj('2015-07-01T10:00:00') })
    const { overdue } = fixture.items
    const wangjian = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'wangjian' })
    await ds.getRepository(LedgerItemSchema).update({ id: overdue }, { status: 'closed', progress: 100, closedAt: bj('2015-08-10T15:00:00') })
    await ds.getRepository(ProgressUpdateSchema).insert({ ledgerItemId: overdue, personId: wangjian.id, kind: 'closed', oldStatus: 'in_progress', newStatus: 'closed', oldProgress: 40, newProgress: 100, note: '经核实整改到位', createdAt: bj('2015-08-10T15:00:00') })
  })
  afterAll(async () => {
    await db?.close()
  })

  it('rebuilds each day’s ledger from the history: closed from the day it was closed, overdue from the day after its due date', async () => {
    const data = await overview(ds, fixture.campaign, '2015-09-03', null)
    const day = (date: string) => data.trend.find((d) => d.date === date)
    expect(data.trend[0]).toEqual({ date: '2015-07-01', closed: 0, open: 3, overdue: 0 })
    expect(day('2015-08-09')).toEqual({ date: '2015-08-09', closed: 0, open: 3, overdue: 0 })
    expect(day('2015-08-10')).toEqual({ date: '2015-08-10', closed: 1, open: 2, overdue: 0 })
    // 便民服务大厅 (due 2 September) is overdue from the 3rd; 农村人居环境 (due 30 September) is not.
    expect(day('2015-09-02')).toEqual({ date: '2015-09-02', closed: 1, open: 2, overdue: 0 })
    expect(data.trend.at(-1)).toEqual({ date: '2015-09-03', closed: 1, open: 1, overdue: 1 })
    expect(data.trend).toHaveLength(65)
    // Today's figures agree with the last day of the trend.
    expect([data.totals.closed, data.totals.overdue]).toEqual([1, 1])
    expect(data.categories.map((c) => c.overdue)).toEqual([0, 0, 0, 0, 0, 1, 0, 0])
    expect(data.categories).toHaveLength(8)
  })

  it('for a unit head: their unit’s figures alone', async () => {
    const data = await overview(ds, fixture.campaign, '2015-09-03', [fixture.chengguan])
    expect(data.units.map((u) => u.unitName)).toEqual(['城关镇'])
    expect(data.totals.total).toBe(2)
    expect(data.trend.at(-1)).toEqual({ date: '2015-09-03', closed: 1, open: 0, overdue: 1 })
  })
})
