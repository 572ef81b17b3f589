import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { PhaseSchema } from '../src/db/entities/index.js'
import { overview } from '../src/read-model/dashboard-overview.js'
import { overviewCache } from '../src/read-model/overview-cache.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')
const TODAY = '2015-08-31'

/** 总览 kept while nothing it reads changed (docs/dashboard.md, Performance): every change counts it again, at once. */
describe(`the kept 总览 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let chat: ReturnType<typeof chatAs>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    chat = chatAs(ds, NOW)
  })
  afterAll(async () => {
    await db?.close()
  })

  it('is kept while nothing changes, and equals a fresh count after every kind of change', async () => {
    const cached = overviewCache()
    const first = await cached(ds, fixture.campaign, TODAY, null)
    // Nothing changed: the same figures, not counted again (the same objects).
    const again = await cached(ds, fixture.campaign, TODAY, null)
    expect(again.units).toBe(first.units)
    expect(again).toEqual(await overview(ds, fixture.campaign, TODAY, null))

    const item = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })
    const changes: [string, () => Promise<unknown>][] = [
      ['an item added', async () => undefined],
      ['progress, twice in the same second', async () => {
        expect((await chat('zhaolei', `进度 ${item.id} 50% 推进中`)).refused).toBeUndefined()
        expect((await chat('zhaolei', `进度 ${item.id} 60% 推进中`)).refused).toBeUndefined()
      }],
      ['an extension requested', async () => expect((await chat('zhaolei', `延期 ${item.id} 9月30日 等待批复`)).refused).toBeUndefined()],
      ['the extension approved', async () => expect((await chat('wangjian', `批准 ${(await ds.query('SELECT MAX(id) AS id FROM extension_request'))[0].id}`)).refused).toBeUndefined()],
      ['reported done', async () => expect((await chat('zhaolei', `完成 ${item.id} 已整改`)).refused).toBeUndefined()],
      ['closed', async () => expect((await chat('wangjian', `销号 ${item.id}`)).refused).toBeUndefined()],
      ['a monthly report', async () => expect((await chat('zhangwei', '月报 本月召开推进会1次，查摆问题3个，已整改2个。')).refused).toBeUndefined()],
      ['the report revised', async () => expect((await chat('zhangwei', '月报 本月召开推进会2次，查摆问题3个，已整改3个。')).refused).toBeUndefined()],
    ]
    let previous = again
    for (const [what, change] of changes) {
      await change()
      const kept = await cached(ds, fixture.campaign, TODAY, null)
      expect(kept, what).toEqual(await overview(ds, fixture.campaign, TODAY, null))
      expect(kept.units, what).not.toBe(previous.units)
      previous = kept
    }
    // Another day, another scope: counted apart.
    expect(await cached(ds, fixture.campaign, '2015-09-01', null)).toEqual(await overview(ds, fixture.campaign, '2015-09-01', null))
    expect(await cached(ds, fixture.campaign, TODAY, [fixture.hougang])).toEqual(await overview(ds, fixture.campaign, TODAY, [fixture.hougang]))
    // A phase's dates moved: read every time.
    const phase = (await ds.getRepository(PhaseSchema).find({ where: { campaignId: fixture.campaign.id }, order: { seq: 'ASC' } }))[1]!
    await ds.getRepository(PhaseSchema).update({ id: phase.id }, { endDate: '2015-09-05' })
    expect((await cached(ds, fixture.campaign, TODAY, null)).phases).toEqual((await overview(ds, fixture.campaign, TODAY, null)).phases)
  })
})
