import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 09:05 Beijing on a date. */
const at = (date: string) => new Date(`${date}T09:05:00+08:00`)

/**
 * 今日新增逾期 (docs/figures.md): the items that became overdue since the previous working day's
 * summary — never items overdue for weeks, whatever reminders were or were not sent before (a
 * preview far ahead has sent none).
 */
describe(`今日新增逾期 in the daily summary on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let ids: { thursday: number; friday: number; saturday: number; old: number[] }

  const summaryOn = async (date: string) => {
    const { messages } = await runSweep(ds, at(date), { dryRun: true })
    return messages.find((m) => m.to.includes('wangjian'))!.content.split('\n')
  }
  /** The summary's lines on what became overdue today (escalations, 今日升级, are another figure). */
  const newToday = async (date: string) => (await summaryOn(date)).filter((l) => /^今日(?!升级)/.test(l))

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    const fixture = await seedLedger(ds)
    const people = { leader: 'lina', person: 'zhaolei' }
    // 2015-10-22 is a Thursday, 10-23 a Friday, 10-24 a Saturday; 10-26 the Monday after.
    const thursday = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, people, { dueDate: '2015-10-22', originalDueDate: '2015-10-22' })
    const friday = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, people, { dueDate: '2015-10-23', originalDueDate: '2015-10-23' })
    const saturday = await addLedgerItem(ds, fixture.campaign.id, fixture.hougang, { leader: 'sunli', person: 'wufang' }, { dueDate: '2015-10-24', originalDueDate: '2015-10-24' })
    ids = { thursday: thursday.id, friday: friday.id, saturday: saturday.id, old: [fixture.items.overdue, fixture.items.soon, fixture.items.other] }
  })
  afterAll(async () => {
    await db?.close()
  })

  it('a preview weeks after the due dates lists only the items due since the previous working day', async () => {
    const lines = await summaryOn('2015-10-26')
    expect(lines[0]).toBe('**专项治理日报（2015年10月26日）**')
    // Six overdue in all; the three due in August and September are not new.
    expect(lines[1]).toBe('台账 6 项：未开始 1，整改中 5，已整改待销号 0，已销号 0；逾期 6')
    expect(lines.filter((l) => /^今日(?!升级)/.test(l))).toEqual([`今日新增逾期 2 项：#${ids.friday} #${ids.saturday}`])
  })

  it('each item is new on one working day only: the Thursday item on Friday', async () => {
    expect(await newToday('2015-10-23')).toEqual([`今日新增逾期 1 项：#${ids.thursday}`])
  })

  it('says nothing of 新增逾期 on a day none became overdue', async () => {
    // 10-22 (Thursday): the Wednesday had no due date; the old items are not new.
    expect(await newToday('2015-10-22')).toEqual([])
  })

  it('points 组织部 to 待办 for what waits on them', async () => {
    const asked = await chatAs(ds, at('2015-10-26'))('zhaolei', `延期 ${ids.friday} 11月20日 等待省厅批复`)
    expect(asked.text).toContain('等待组织部审批')
    expect(await summaryOn('2015-10-26')).toContain('待审批延期申请 1 件（发送「待办」查看）')
  })
})
