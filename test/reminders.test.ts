import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { ItemReminderSchema, LedgerItemSchema, MonthlyReportSchema, OutboxMessageSchema, ReminderSentSchema, TaskSubmissionSchema } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 09:05 Beijing on a date. */
const at = (date: string) => new Date(`${date}T09:05:00+08:00`)

describe(`the reminder sweep on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  const messagesTo = (result: Awaited<ReturnType<typeof runSweep>>, userid: string) => result.messages.filter((m) => m.to.includes(userid)).map((m) => m.content)

  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    return () => db.close()
  })

  it('on 31 August: overdue alerts and the escalation, deliverables due today, the report due today, one digest each', async () => {
    const result = await runSweep(ds, at('2015-08-31'))
    const zhaolei = messagesTo(result, 'zhaolei')
    expect(zhaolei).toHaveLength(1)
    expect(zhaolei[0]).toContain('**专项治理提醒（2015年8月31日）**\n🔴 已逾期\n🔴 #1 招商引资项目跑办不积极')
    expect(zhaolei[0]).toContain('反馈进度：进度 编号 百分比 说明')
    // The leader gets the overdue alert too, with all her items: the overdue one first.
    const lina = messagesTo(result, 'lina')[0]!
    expect(lina.indexOf('#1 ')).toBeLessThan(lina.indexOf('#2 '))
    // The unit head: the escalation (4 working days overdue), the deliverables, the report.
    const head = messagesTo(result, 'zhangwei')[0]!
    expect(head).toContain('⚠️ 本单位逾期事项（已升级给您）\n🔴 #1 招商引资项目跑办不积极，两个竞争性… · 逾期 4 个工作日 · 责任人 赵磊')
    expect(head).toContain('📋 阶段任务待交\n查摆问题、建立工作台账（今天截止）')
    expect(head).toContain('📝 月报\n8月月报尚未提交，今天是本月最后一个工作日')
    // 后港镇 has nothing overdue: its head hears about deliverables and the report only.
    expect(messagesTo(result, 'sunli')[0]).not.toContain('已逾期')
    const summary = messagesTo(result, 'wangjian')[0]!
    expect(summary).toContain('**专项治理日报（2015年8月31日）**')
    expect(summary).toContain('逾期最多的单位：城关镇 1')
    // #1 (due 8月25日) became overdue on 26 August: it is not new today (docs/figures.md, 新增逾期).
    expect(summary).not.toContain('今日新增逾期')
    expect(result.written).toBe(result.messages.length)
  })

  it('groups a busy person’s many items by urgency in one message, ten lines a group at most', async () => {
    const base = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: fixture.items.overdue })
    const copies = Array.from({ length: 14 }, (_, i) => ({
      ...base,
      id: undefined,
      problem: `问题${i + 1}`,
      dueDate: i < 12 ? '2015-08-20' : i === 12 ? '2015-09-01' : '2015-12-01',
      originalDueDate: '2015-08-20',
    }))
    await ds.getRepository(LedgerItemSchema).save(copies as never[])
    const digest = messagesTo(await runSweep(ds, at('2015-08-31')), 'zhaolei')
    expect(digest).toHaveLength(1)
    const lines = digest[0]!.split('\n')
    expect(lines[1]).toBe('🔴 已逾期')
    expect(lines.filter((l) => l.startsWith('🔴 #'))).toHaveLength(10)
    expect(lines).toContain('另有 3 项')
    expect(lines.indexOf('🟡 即将到期')).toBeGreaterThan(lines.indexOf('另有 3 项'))
    // Items due later are counted, not listed: the message stays short.
    expect(lines).toContain('🟢 另有 1 项未到期（发送「我的」查看）')
  })

  it('writes nothing the second time, and nothing in a dry run', async () => {
    const dry = await runSweep(ds, at('2015-08-31'), { dryRun: true })
    expect(dry.messages.length).toBeGreaterThan(0)
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(0)
    expect(await ds.getRepository(ReminderSentSchema).count()).toBe(0)
    expect(await ds.getRepository(ItemReminderSchema).count()).toBe(0)
    const first = await runSweep(ds, at('2015-08-31'))
    const again = await runSweep(ds, at('2015-08-31'))
    expect(again.written).toBe(0)
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(first.written)
  })

  it('sends each stage once: the next day only what is new', async () => {
    await runSweep(ds, at('2015-08-31'))
    const next = await runSweep(ds, at('2015-09-01'))
    // #2 is due on 2 September: one working day left.
    expect(messagesTo(next, 'chenjing')[0]).toContain('🟡 即将到期\n🟡 #2 便民服务大厅办事群众反映多头跑 · 9月2日到期 · 70%')
    expect(messagesTo(next, 'zhaolei')).toEqual([])
    expect(messagesTo(next, 'zhangwei')).toEqual([])
  })

  it('starts an item’s reminders afresh after an approved extension, even if it was already overdue', async () => {
    await runSweep(ds, at('2015-08-31'))
    const chat = chatAs(ds, at('2015-09-01'))
    await chat('zhaolei', `延期 ${fixture.items.overdue} 9月15日 等待批复`)
    const request = (await ds.query('SELECT id FROM extension_request'))[0].id
    expect((await chat('wangjian', `批准 ${request}`)).text).toContain('时限改为 9月15日')
    // 10 September is 3 working days before the 15th (11, 14, 15).
    expect(messagesTo(await runSweep(ds, at('2015-09-10')), 'zhaolei')[0]).toContain('9月15日到期')
    expect(messagesTo(await runSweep(ds, at('2015-09-16')), 'zhaolei')[0]).toContain('🔴 已逾期')
    // The new date's overdue alert was recorded over the old date's stages: not sent again.
    expect(messagesTo(await runSweep(ds, at('2015-09-17')), 'zhaolei')).toEqual([])
  })

  it('keeps 组织部’s escalation for tomorrow’s summary when it is found after today’s went out', async () => {
    await runSweep(ds, at('2015-09-10'))
    // Found overdue later the same day (its due date corrected back to 20 August).
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.other }, { dueDate: '2015-08-20' })
    const later = await runSweep(ds, new Date('2015-09-10T15:00:00+08:00'))
    expect(messagesTo(later, 'sunli')[0]).toContain(`#${fixture.items.other} `)
    expect((await ds.getRepository(ItemReminderSchema).findOneByOrFail({ ledgerItemId: fixture.items.other })).stage).toBe(3)
    const next = await runSweep(ds, at('2015-09-11'))
    expect(messagesTo(next, 'wangjian')[0]).toContain(`#${fixture.items.other} `)
    expect(messagesTo(next, 'sunli')).toEqual([])
  })

  it('reminds before a Saturday due date by the working days to the Friday before it', async () => {
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.other }, { dueDate: '2015-10-31' })
    const told = async (date: string) => messagesTo(await runSweep(ds, at(date)), 'wufang').length
    expect(await told('2015-10-26')).toBe(0)
    expect(await told('2015-10-27')).toBe(1) // 3 working days before Friday the 30th
    expect(await told('2015-10-28')).toBe(0)
    expect(await told('2015-10-29')).toBe(1) // 1 working day before
    expect(await told('2015-10-30')).toBe(0)
  })

  it('stays silent on a rest day', async () => {
    expect((await runSweep(ds, at('2015-10-03'))).messages).toEqual([])
    expect((await runSweep(ds, at('2015-09-05'))).messages).toEqual([])
  })

  it('counts working days across the National Day holiday', async () => {
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.other }, { dueDate: '2015-10-08' })
    // 30 September: the next working day is 8 October, so it is "1 working day before".
    const result = await runSweep(ds, at('2015-09-30'))
    expect(messagesTo(result, 'wufang')[0]).toContain('#3 农村人居环境整治推进缓慢 · 10月8日到期')
    expect(messagesTo(result, 'wufang')[0]).toContain('🟡 即将到期')
  })

  it('silences a rectified item, and follows an extension to its new date', async () => {
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.soon }, { status: 'rectified' })
    expect(messagesTo(await runSweep(ds, at('2015-09-01')), 'chenjing')).toEqual([])
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.overdue }, { dueDate: '2015-09-08' })
    const moved = await runSweep(ds, at('2015-09-02'))
    // 8 September is 3 working days after 2 September: 3–4 September were holidays, 5 a Saturday,
    // 6 (Sunday) a make-up working day, then 7 and 8.
    expect(messagesTo(moved, 'zhaolei')[0]).toContain('#1 招商引资项目跑办不积极，两个竞争性项目未按时申报 · 9月8日到期')
  })

  it('after three days down, sends the overdue alerts and escalations once, never the missed pre-due reminders', async () => {
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.soon }, { dueDate: '2015-09-08' })
    // No sweep ran 7–9 September; on the 10th #1 is well overdue, #2's "3 days before" is gone.
    const result = await runSweep(ds, at('2015-09-10'))
    expect(messagesTo(result, 'zhaolei')[0]).toContain('🔴 已逾期')
    expect(messagesTo(result, 'wangjian')[0]).toContain('今日升级至组织部（逾期满 7 个工作日）1 项')
    // Each item keeps its furthest stage, in working days from its due date: #1 reached the
    // 组织部 escalation (7), #2 its overdue alert (1).
    const reached = Object.fromEntries((await ds.getRepository(ItemReminderSchema).find()).map((r) => [r.ledgerItemId, r.stage]))
    expect(reached).toEqual({ 1: 7, 2: 1 })
    expect((await runSweep(ds, at('2015-09-11'))).messages.filter((m) => m.content.includes('升级至组织部'))).toEqual([])
  })

  it('catches up at start-up on a working day after sweep time, once; not before it, not on a rest day', async () => {
    const { catchUpSweep } = await import('../src/jobs/daily-sweep.js')
    const { createLogger } = await import('../src/logger.js')
    const log = createLogger('silent')
    expect(await catchUpSweep(ds, log, [9, 5], new Date('2015-08-31T08:30:00+08:00'))).toBe(0)
    expect(await catchUpSweep(ds, log, [9, 5], new Date('2015-10-03T10:00:00+08:00'))).toBe(0)
    // Restarted at 22:00, after quiet hours began: nothing is written to leave stale tomorrow.
    expect(await catchUpSweep(ds, log, [9, 5], new Date('2015-08-31T22:00:00+08:00'), { startMinute: 21 * 60, endMinute: 8 * 60 })).toBe(0)
    // Down for an hour at 09:05: started at 10:05, it sends what is due today…
    expect(await catchUpSweep(ds, log, [9, 5], new Date('2015-08-31T10:05:00+08:00'))).toBeGreaterThan(0)
    // …and the scheduled run, or another restart, adds nothing.
    expect(await catchUpSweep(ds, log, [9, 5], new Date('2015-08-31T11:00:00+08:00'))).toBe(0)
    expect((await runSweep(ds, at('2015-08-31'))).written).toBe(0)
  })

  it('sends an absent person’s reminders to the deputy they named, on their behalf; 销假 brings them back', async () => {
    const chat = chatAs(ds, at('2015-08-28'))
    expect((await chat('zhaolei', '请假 至 9月4日 李娜')).text).toBe('已登记请假至 9月4日：期间您的提醒和升级通知转给代理人 李娜。提前返回请发送「销假」。')
    const result = await runSweep(ds, at('2015-08-31'))
    expect(messagesTo(result, 'zhaolei')).toEqual([])
    const lina = messagesTo(result, 'lina')
    expect(lina).toHaveLength(1)
    expect(lina[0]).toContain('**代 赵磊 接收（请假中）**')
    expect((await chat('zhaolei', '销假')).text).toBe('已销假，提醒恢复发给您本人。')
    expect((await chat('zhaolei', '销假')).text).toBe('您目前没有请假。')
  })

  it('without a deputy, sends them to the unit’s liaison; refuses a date passed or an unknown deputy', async () => {
    const chat = chatAs(ds, at('2015-08-28'))
    expect((await chat('zhangwei', '请假 9月10日')).text).toContain('转给本单位联络员 陈静')
    const result = await runSweep(ds, at('2015-08-31'))
    expect(messagesTo(result, 'zhangwei')).toEqual([])
    expect(messagesTo(result, 'chenjing')[0]).toContain('**代 张伟 接收（请假中）**\n⚠️ 本单位逾期事项（已升级给您）')
    expect((await chat('zhangwei', '请假 至 8月1日')).text).toContain('已过')
    expect((await chat('zhangwei', '请假 至 9月30日 无此人')).text).toContain('代理人「无此人」不在花名册中')
    // The deputy reads the unit's items: someone of another unit, or of 组织部, is refused.
    expect((await chat('zhangwei', '请假 至 9月30日 孙丽')).text).toContain('代理人「孙丽」不是本单位人员')
    expect((await chat('zhangwei', '请假 至 9月30日 wangjian')).text).toContain('不是本单位人员')
    expect((await chat('zhangwei', '请假')).text).toContain('缺少请假截止日期')
  })

  it('leaves out what was handed in, and tells 组织部 once which units missed last month’s report', async () => {
    const tasks = await ds.query('SELECT id FROM phase_task WHERE code = ?', ['ledger'])
    await ds.getRepository(TaskSubmissionSchema).insert({ taskId: tasks[0].id, unitId: fixture.chengguan, content: '已报', submittedAt: new Date() })
    await ds.getRepository(MonthlyReportSchema).insert({ campaignId: fixture.campaign.id, unitId: fixture.chengguan, month: '2015-08', content: '八月月报内容', submittedAt: new Date() })
    const august = await runSweep(ds, at('2015-08-31'))
    const head = messagesTo(august, 'zhangwei')[0]!
    expect(head).not.toContain('查摆问题、建立工作台账')
    expect(head).not.toContain('8月月报尚未提交')
    const september = await runSweep(ds, at('2015-09-01'))
    expect(messagesTo(september, 'wangjian')[0]).toContain('8月月报未报：后港镇')
    expect(messagesTo(await runSweep(ds, at('2015-09-02')), 'wangjian')[0]).not.toContain('月报未报')
  })
})

describe.runIf(dialect === 'mysql')('two sweeps at once on MariaDB', () => {
  let db: MigratedDatabase
  beforeAll(async () => {
    db = await createMigratedDatabase()
    await seedLedger(db.dataSource)
  })
  afterAll(async () => {
    await db?.close()
  })

  it('send every message once', async () => {
    const { createDataSource } = await import('../src/db/create-data-source.js')
    const other = await createDataSource(db.target)
    await other.initialize()
    try {
      for (let round = 0; round < 3; round++) {
        for (const table of ['outbox_message', 'item_reminder', 'reminder_sent']) await db.dataSource.query(`DELETE FROM ${table}`)
        const [a, b] = await Promise.all([runSweep(db.dataSource, at('2015-08-31')), runSweep(other, at('2015-08-31'))])
        const rows = await db.dataSource.getRepository(OutboxMessageSchema).find()
        expect(a.messages.length + b.messages.length).toBeGreaterThan(0)
        // Each counts what it meant to write; together the table holds each message once.
        expect(rows.length).toBe(Math.max(a.written, b.written))
        expect(new Set(rows.map((r) => r.dedupeKey)).size).toBe(rows.length)
        // One digest per person, whichever sweep wrote it.
        const people = rows.filter((r) => r.dedupeKey.startsWith('digest:') && !r.dedupeKey.includes('#')).map((r) => r.dedupeKey.split(':')[1])
        expect(new Set(people).size, `round ${round}`).toBe(people.length)
      }
    } finally {
      await other.destroy()
    }
  })

  for (const snapshotIsolation of [false, true]) it(`plans as of one moment: a sweep whose reads straddle the other’s commit sends nothing again${snapshotIsolation ? ' (innodb_snapshot_isolation, MariaDB 11.6’s default: the overtaken writer is retried)' : ''}`, async () => {
    // B reads the items before A commits and the phase tasks after. Planned from two moments,
    // B once saw the items unsent and the deliverables sent, and wrote the same people a second
    // digest under another key (1 run of the whole suite in 3).
    for (const table of ['outbox_message', 'item_reminder', 'reminder_sent']) await db.dataSource.query(`DELETE FROM ${table}`)
    const { createDataSource } = await import('../src/db/create-data-source.js')
    const a = await createDataSource(db.target)
    const b = await createDataSource(db.target)
    await Promise.all([a.initialize(), b.initialize()])
    let bReadItems!: () => void
    let aCommitted!: () => void
    const itemsRead = new Promise<void>((resolve) => (bReadItems = resolve))
    const committed = new Promise<void>((resolve) => (aCommitted = resolve))
    intercept(a, async (sql, run) => {
      if (sql !== 'COMMIT') return run()
      await itemsRead
      const result = await run()
      aCommitted()
      return result
    }, snapshotIsolation)
    intercept(b, async (sql, run) => {
      if (sql.includes('phase_task')) await committed
      const result = await run()
      if (sql.includes('LEFT JOIN item_reminder')) bReadItems()
      return result
    }, snapshotIsolation)
    try {
      const [first, second] = await Promise.all([runSweep(a, at('2015-08-31')), runSweep(b, at('2015-08-31'))])
      const rows = await db.dataSource.getRepository(OutboxMessageSchema).find()
      expect(first.written).toBeGreaterThan(0)
      // Planned from the same snapshot: the same keys. Or, overtaken and retried: nothing left.
      if (snapshotIsolation) expect(second.written).toBe(0)
      else expect(second.messages.map((m) => m.dedupeKey).sort()).toEqual(first.messages.map((m) => m.dedupeKey).sort())
      expect(rows.length).toBe(first.written)
    } finally {
      await Promise.all([a.destroy(), b.destroy()])
    }
  })
})

/** Lets a test hold a data source's statements back (real statements, on the real server). */
function intercept(ds: DataSource, around: (sql: string, run: () => Promise<unknown>) => Promise<unknown>, snapshotIsolation = false): void {
  const create = ds.driver.createQueryRunner.bind(ds.driver)
  ds.driver.createQueryRunner = (mode) => {
    const runner = create(mode)
    const query = runner.query.bind(runner)
    runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
      if (snapshotIsolation && sql.startsWith('START TRANSACTION')) await query('SET SESSION innodb_snapshot_isolation = ON')
      return around(sql, () => query(sql, parameters, structured as never))
    }) as typeof runner.query
    return runner
  }
}
