import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { InspectionSchema, LedgerItemSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { meetingReminderSweep } from '../src/domain/meetings/meeting-reminders.js'
import { utf8Length } from '../src/wecom/utf8-limits.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { seedMeetingMembers, seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { readerText } from './helpers/outbox-text.js'

const at = (text: string) => new Date(`${text}+08:00`)
const CALL = '会议 新建\n时间：9月8日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展\n研究典型案例通报名单'
const DAY_BEFORE = [16, 5] as const

describe(`joint meetings, edge cases, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>

  beforeEach(async () => {
    await db?.close()
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    await seedMeetingMembers(ds)
  })
  afterAll(async () => {
    await db?.close()
  })
  const rows = async (prefix: string) => (await ds.getRepository(OutboxMessageSchema).find({ order: { id: 'ASC' } })).filter((r) => r.dedupeKey.startsWith(prefix))

  it('someone not invited (and not 组织部) cannot read a meeting’s roll call with 会议 参会人 编号', async () => {
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    await chatAs(ds, at('2015-09-02T10:00:00'))('zhouqiang', '参会 1 请假 赴市里参加培训')
    // 张伟 (城关镇 unit head) is not a participant: 会议 详情 1 refuses him ...
    expect((await chatAs(ds, at('2015-09-02T11:00:00'))('zhangwei', '会议 详情 1')).text).toContain('不在会议 #1 的参会名单中')
    // ... but the same roll (names, leave reasons) is one word away.
    const leak = (await chatAs(ds, at('2015-09-02T11:00:00'))('zhangwei', '会议 参会人 1')).text
    expect(leak).not.toContain('赴市里参加培训')
  })

  it('the day-before reminder of a meeting after a long holiday goes out on the working day before, not during the holiday', async () => {
    // 8 October 2015 (Thursday) follows the National Day week (1–7 October): the working day before is 30 September.
    await chatAs(ds, at('2015-09-25T10:00:00'))('wangjian', CALL.replace('9月8日', '10月8日'))
    expect(await meetingReminderSweep(ds, at('2015-09-30T16:05:00'), DAY_BEFORE)).toBeGreaterThan(0)
  })

  it('... and nothing is written on a holiday (3 October 2015)', async () => {
    await chatAs(ds, at('2015-09-25T10:00:00'))('wangjian', CALL.replace('9月8日', '10月8日'))
    expect(await meetingReminderSweep(ds, at('2015-10-03T15:07:00'), DAY_BEFORE)).toBe(0)
  })

  it('a change back to an earlier-announced time and place is announced, as the reply claims', async () => {
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    const chat = chatAs(ds, at('2015-09-02T10:00:00'))
    await chat('wangjian', '会议 改期 1 9月8日 16:00')
    await chat('wangjian', '会议 改期 1 9月8日 15:00')
    const third = await chat('wangjian', '会议 改期 1 9月8日 16:00')
    expect(third.text).toBe('会议 #1 改至 9月8日（周二）16:00，已通知 3 人。')
    expect(await rows('meeting:1:changed:')).toHaveLength(3)
  })

  it('cancelling a meeting withdraws its reminders still waiting in the outbox (quiet hours)', async () => {
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL.replace('9月8日 15:00', '9月9日 08:30'))
    // 06:32: the two-hour reminder is written; it waits for the end of quiet hours (08:00).
    expect(await meetingReminderSweep(ds, at('2015-09-09T06:32:00'), DAY_BEFORE)).toBeGreaterThan(0)
    await chatAs(ds, at('2015-09-09T07:00:00'))('wangjian', '会议 取消 1 临时有事')
    const waiting = (await rows('meeting:1:2015')).filter((r) => r.status === 'pending')
    // At 08:00 everyone would get "两小时后开会" and "已取消" together.
    expect(waiting.map((r) => r.dedupeKey)).toEqual([])
  })

  it('"typical cases flagged since the last meeting" lists only cases flagged since, not every flagged item updated since', async () => {
    // Flagged in August (before the first meeting), reported at the first meeting ...
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.overdue }, { isTypicalCase: true, updatedAt: at('2015-08-20T10:00:00') })
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    // ... its unit reports progress on 9 September, after the first meeting was held.
    await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.overdue }, { progress: 80, updatedAt: at('2015-09-09T10:00:00') })
    await chatAs(ds, at('2015-09-10T10:00:00'))('wangjian', CALL.replace('9月8日', '9月15日'))
    const [notice] = await rows('meeting:2:notice')
    expect(readerText(notice!.payload)).not.toContain('上次会议以来的典型案例')
  })

  it('名称 is length-checked like 地点 and 议题 (a long one overflows the column on MariaDB and the 2,048 bytes on SQLite)', async () => {
    const title = '关于'.repeat(400)
    const reply = await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL.replace('会议 新建\n', `会议 新建\n名称：${title}\n`))
    // Refused in words, nothing written (it overflowed the column on MariaDB, and the one-screen
    // notice on SQLite).
    expect(reply.text).toMatch(/^名称太长：800 字，上限 100 字。/)
    expect(await rows('meeting:')).toEqual([])
    expect(utf8Length(reply.text)).toBeLessThan(2048)
  })

  it('an inspection made a typical case (通报 典型) after the last meeting is listed, whenever it was recorded', async () => {
    await db.close()
    db = await createMigratedDatabase()
    ds = db.dataSource
    const f = await seedCircularAudience(ds)
    await seedRoster(ds, '县委宣传部', [{ userid: 'zhouqiang', name: '周强', roles: ['meeting_member'] }])
    await ds.getRepository(InspectionSchema).update({ id: f.inspection }, { createdAt: at('2015-08-20T10:00:00') })
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    // 10 September, after meeting #1 was held: the inspection is exposed as a typical case.
    const sent = await chatAs(ds, at('2015-09-10T09:00:00'))('wangjian', `通报 典型 镇 关于城关镇便民服务大厅无人值守的通报\n见督查#${f.inspection}。`)
    expect(sent.text).toContain('已发布典型案例通报')
    await chatAs(ds, at('2015-09-10T10:00:00'))('wangjian', CALL.replace('9月8日', '9月15日'))
    const [notice] = await rows('meeting:2:notice')
    expect(readerText(notice!.payload)).toContain('上次会议以来的典型案例')
  })

  it('a meeting in the campaign’s first month does not report last month’s (not yet owed) reports as missing', async () => {
    // The campaign starts 1 July 2015; a meeting called on 20 July.
    await chatAs(ds, at('2015-07-20T10:00:00'))('wangjian', CALL.replace('9月8日', '7月28日'))
    const [notice] = await rows('meeting:1:notice')
    expect(readerText(notice!.payload)).not.toContain('6月月报未报')
  })

  it('会议 改地点 with a long place is refused in words (create allows 100 characters), not with an internal error', async () => {
    await chatAs(ds, at('2015-09-01T10:00:00'))('wangjian', CALL)
    const reply = await chatAs(ds, at('2015-09-02T10:00:00'))('wangjian', `会议 改地点 1 ${'县'.repeat(120)}`)
    expect(reply.text).toMatch(/^地点太长：120 字，上限 100 字。/)
  })
})
