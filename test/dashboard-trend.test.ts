import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { ExtensionRequestSchema, LedgerItemSchema, PersonSchema, ProblemCategorySchema, ProgressUpdateSchema, type Campaign, type ExtensionStatus, type LedgerStatus, type ProgressKind } from '../src/db/entities/index.js'
import { ledgerAsOf, loadCampaignHistory } from '../src/domain/reports/ledger-as-of.js'
import { isOverdue } from '../src/read-model/figures.js'
import { overview, type Overview } from '../src/read-model/dashboard-overview.js'
import { addDays, beijingInstant, type CalendarDate } from '../src/time/calendar-date.js'
import { seedCampaignPeople } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** mulberry32: the same random history on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The trend as 总览 first drew it: the whole ledger rebuilt by ledgerAsOf at the end of each day. */
async function trendByLedgerAsOf(ds: DataSource, campaign: Campaign, today: CalendarDate, units: readonly number[] | null): Promise<Overview['trend']> {
  const history = await loadCampaignHistory(ds, campaign.id)
  if (units !== null) history.items = history.items.filter((item) => units.includes(item.unitId))
  const days: Overview['trend'] = []
  for (let date = campaign.startDate; date <= today && days.length < 400; date = addDays(date, 1)) {
    const endOfDay = new Date(beijingInstant(addDays(date, 1)).getTime() - 1)
    let closed = 0
    let open = 0
    let overdue = 0
    for (const item of ledgerAsOf(history, endOfDay)) {
      if (item.status === 'closed') closed += 1
      else if (isOverdue(item, date)) overdue += 1
      else open += 1
    }
    days.push({ date, closed, open, overdue })
  }
  return days
}

const STATES: LedgerStatus[] = ['open', 'in_progress', 'rectified', 'closed']
const NEXT: Record<LedgerStatus, { kind: ProgressKind; to: LedgerStatus }[]> = {
  open: [{ kind: 'progress', to: 'in_progress' }, { kind: 'rectified', to: 'rectified' }],
  in_progress: [{ kind: 'progress', to: 'in_progress' }, { kind: 'rectified', to: 'rectified' }, { kind: 'extended', to: 'in_progress' }],
  rectified: [{ kind: 'closed', to: 'closed' }, { kind: 'reopened', to: 'in_progress' }],
  closed: [{ kind: 'reopened', to: 'in_progress' }, { kind: 'edited', to: 'closed' }],
}

/**
 * 总览's daily trend is counted in one pass over the items (dailyTrend); it must give exactly the
 * numbers the ledger rebuilt by ledgerAsOf at the end of each day gives — on a random history of
 * a few hundred items: registered before the campaign, during it and after today; closed,
 * reopened and closed again; several rows on one day; rows whose ids run against their instants;
 * extensions approved (some twice), denied, pending or expired, decided at any moment.
 */
describe(`总览's daily trend against the ledger rebuilt each day, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let campaign: Campaign
  let chengguan: number
  let hougang: number
  const counted = { reopened: 0, approved: 0, disordered: 0, lateRegistered: 0 }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    ;({ campaign, chengguan, hougang } = await seedCampaignPeople(ds, '2015-07-01'))
    const rand = random(20150815)
    const pick = <T,>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!
    const person = (await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhaolei' })).id
    const admin = (await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'wangjian' })).id
    const categories = (await ds.getRepository(ProblemCategorySchema).findBy({ campaignId: campaign.id })).map((c) => c.id)
    // An instant between two Beijing days (inclusive), at any second, sometimes on a day's first or last millisecond.
    const instant = (from: CalendarDate, to: CalendarDate): Date => {
      const start = beijingInstant(from).getTime()
      const end = beijingInstant(addDays(to, 1)).getTime() - 1
      const r = rand()
      if (r < 0.05) return new Date(beijingInstant(addDays(from, Math.floor(rand() * 30))).getTime())
      if (r < 0.1) return new Date(beijingInstant(addDays(from, Math.floor(rand() * 30) + 1)).getTime() - 1)
      return new Date(start + Math.floor(rand() * (end - start)))
    }
    for (let n = 0; n < 300; n += 1) {
      const dueDate = addDays('2015-06-20', Math.floor(rand() * 200))
      const createdAt = instant('2015-06-15', '2015-10-25')
      if (createdAt > beijingInstant('2015-10-10')) counted.lateRegistered += 1
      // The history: a walk through the states, a row a step, from the registration on.
      const rows: { kind: ProgressKind; oldStatus: LedgerStatus | null; newStatus: LedgerStatus; createdAt: Date }[] = []
      let state: LedgerStatus = pick(STATES)
      if (rand() < 0.75) {
        state = 'open'
        rows.push({ kind: 'created', oldStatus: null, newStatus: 'open', createdAt })
        let at = createdAt.getTime()
        for (let k = Math.floor(rand() * 7); k > 0; k -= 1) {
          // Often the same day, sometimes weeks later.
          at += rand() < 0.3 ? Math.floor(rand() * 3_600_000) : Math.floor(rand() * 20 * 86_400_000)
          const step: { kind: ProgressKind; to: LedgerStatus } = pick(NEXT[state])
          if (step.kind === 'reopened') counted.reopened += 1
          rows.push({ kind: step.kind, oldStatus: state, newStatus: step.to, createdAt: new Date(at) })
          state = step.to
        }
        // A few histories lose their first row (imported items) or carry an old state that is not the previous new one.
        if (rand() < 0.1) rows.shift()
        if (rand() < 0.05 && rows.length > 1) rows[rows.length - 1]!.oldStatus = pick(STATES)
      }
      const closedAt = state === 'closed' ? (rows.at(-1)?.createdAt ?? instant('2015-07-01', '2015-10-20')) : null
      const item = await ds.getRepository(LedgerItemSchema).save({
        campaignId: campaign.id,
        unitId: rand() < 0.6 ? chengguan : hougang,
        categoryId: pick(categories),
        problem: `问题${n}`,
        measures: '整改措施',
        target: '整治目标',
        responsibleDepartment: null,
        responsibleLeaderId: person,
        responsiblePersonId: person,
        dueDate,
        originalDueDate: dueDate,
        status: state,
        progress: state === 'closed' ? 100 : 40,
        closedAt,
        rectifiedAt: state === 'rectified' || state === 'closed' ? (closedAt ?? createdAt) : null,
        createdAt,
      })
      // Mostly in time order; a few rows written in another order than their instants.
      if (rand() < 0.1 && rows.length > 2) {
        rows.reverse()
        counted.disordered += 1
      }
      if (rows.length > 0) {
        await ds.getRepository(ProgressUpdateSchema).insert(
          rows.map((r, k) => ({ ledgerItemId: item.id, personId: person, kind: r.kind, oldStatus: r.oldStatus, newStatus: r.newStatus, oldProgress: k === 0 ? null : 40, newProgress: 40, note: '进度', createdAt: r.createdAt })),
        )
      }
      // Extensions: each moves the due date on by a few weeks, decided at any moment (or not yet).
      let oldDueDate = addDays(dueDate, -20 * (1 + Math.floor(rand() * 2)))
      for (let k = rand() < 0.3 ? 1 + Math.floor(rand() * 3) : 0; k > 0; k -= 1) {
        const status: ExtensionStatus = pick(['approved', 'approved', 'denied', 'pending', 'expired'])
        const decidedAt = status === 'pending' ? null : rand() < 0.1 ? null : instant('2015-06-25', '2015-10-25')
        if (status === 'approved' && decidedAt) counted.approved += 1
        const newDueDate = addDays(oldDueDate, 20)
        await ds.getRepository(ExtensionRequestSchema).insert({ ledgerItemId: item.id, requestedById: person, oldDueDate, newDueDate, reason: '申请延期', status, decidedById: decidedAt ? admin : null, decidedAt, decisionNote: null })
        oldDueDate = newDueDate
      }
    }
  }, 120_000)
  afterAll(async () => {
    await db?.close()
  })

  it('the history exercises what the trend must get right', () => {
    expect(counted.reopened).toBeGreaterThan(20)
    expect(counted.approved).toBeGreaterThan(20)
    expect(counted.disordered).toBeGreaterThan(5)
    expect(counted.lateRegistered).toBeGreaterThan(5)
  })

  for (const today of ['2015-07-01', '2015-08-20', '2015-10-10', '2015-10-31']) {
    it(`the county's trend up to ${today} is the ledger rebuilt each day`, async () => {
      const expected = await trendByLedgerAsOf(ds, campaign, today, null)
      const { trend } = await overview(ds, campaign, today, null)
      expect(trend).toEqual(expected)
      // Not a trivial history: items close, reopen and fall overdue over the days.
      if (today >= '2015-10-10') {
        expect(new Set(expected.map((d) => d.closed)).size).toBeGreaterThan(10)
        expect(Math.max(...expected.map((d) => d.overdue))).toBeGreaterThan(10)
      }
    })
  }

  it('a unit head’s trend (their unit’s items) is the ledger rebuilt each day', async () => {
    expect((await overview(ds, campaign, '2015-10-10', [chengguan])).trend).toEqual(await trendByLedgerAsOf(ds, campaign, '2015-10-10', [chengguan]))
  })

  it('before the campaign begins the trend is empty; it runs at most 400 days', async () => {
    expect((await overview(ds, campaign, '2015-06-30', null)).trend).toEqual([])
    const long = await overview(ds, campaign, '2016-12-31', null)
    expect(long.trend).toHaveLength(400)
    expect(long.trend).toEqual(await trendByLedgerAsOf(ds, campaign, '2016-12-31', null))
  })
})
