import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { In, IsNull, Like, type DataSource } from 'typeorm'
import {
  AttendanceSchema,
  CircularReceiptSchema,
  ExtensionRequestSchema,
  LedgerItemSchema,
  MeetingSchema,
  MonthlyReportRevisionSchema,
  MonthlyReportSchema,
  OutboxMessageSchema,
  PersonLeaveSchema,
  PersonSchema,
  ProgressUpdateSchema,
  type LedgerItem,
  type Meeting,
} from '../src/db/entities/index.js'
import { startCallbackRig, type Said } from './helpers/callback-rig.js'
import { addLedgerItem } from './helpers/ledger-fixture.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { seedMeetingMembers, seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * Two people act on the same row at the same moment, through the real callback (signed,
 * encrypted requests fired at once at the koa app): on MariaDB each request has its own
 * connection and transaction, so these are real races. Every round checks the invariants:
 * exactly one history row per accepted change, the item's fields agree with its last history
 * row, at most one pending extension, due dates never move backwards by an approval, every
 * sender told the truth (one success, the other named what happened and who did it), every
 * notification stored once.
 */
const ROUNDS = 20
const round18 = Date.now().toString(36)
const NOW = new Date('2015-08-20T10:00:00+08:00')

describe(`two people at the same moment, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let fixture: Awaited<ReturnType<typeof seedCircularAudience>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedCircularAudience(ds)
    await seedMeetingMembers(ds)
    await seedRoster(ds, '县委组织部', [{ userid: 'wangjian2', name: '王二', roles: ['org_admin'] }])
    rig = await startCallbackRig(ds, { now: NOW })
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  const newItem = (values: Partial<LedgerItem> = {}) => addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' }, values)
  const item = (id: number) => ds.getRepository(LedgerItemSchema).findOneByOrFail({ id })
  const history = (id: number) => ds.getRepository(ProgressUpdateSchema).find({ where: { ledgerItemId: id }, order: { id: 'ASC' } })
  const outbox = (pattern: string) => ds.getRepository(OutboxMessageSchema).find({ where: { dedupeKey: Like(pattern), channel: 'app' } })

  /** The item's fields agree with its last history row; the timestamps only where the state has them. */
  async function expectConsistent(id: number) {
    const row = await item(id)
    const last = (await history(id)).at(-1)
    if (last) {
      expect(row.status).toBe(last.newStatus)
      expect(row.progress).toBe(last.newProgress)
    }
    if (row.status === 'open' || row.status === 'in_progress') {
      expect(row.rectifiedAt).toBeNull()
      expect(row.closedAt).toBeNull()
    }
    if (row.status === 'rectified') {
      expect(row.rectifiedAt).not.toBeNull()
      expect(row.closedAt).toBeNull()
      expect(row.progress).toBe(100)
    }
    if (row.status === 'closed') expect(row.closedAt).not.toBeNull()
    return row
  }

  function expectAllAnswered(said: readonly Said[]) {
    for (const s of said) {
      expect(s.status).toBe(200)
      expect(s.answer).not.toBe('')
      expect(s.answer).not.toContain('抱歉，处理这条消息时出错')
    }
  }

  /** Exactly one of the answers matches `success`; the others match `loser`. */
  function expectOneWinner(said: readonly Said[], success: RegExp, loser: RegExp) {
    expectAllAnswered(said)
    const winners = said.filter((s) => success.test(s.answer))
    expect(winners.map((s) => s.answer), said.map((s) => s.answer).join(' | ')).toHaveLength(1)
    for (const s of said.filter((x) => x !== winners[0])) expect(s.answer).toMatch(loser)
    return winners[0]!
  }

  it('1. 完成 by two responsible people: one rectified row, the second told who did it, 组织部 asked once', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id } = await newItem()
      const said = await rig.sayAtOnce([
        ['zhaolei', `完成 ${id} 已建立首问负责制`],
        ['lina', `完成 ${id} 已整改到位并公示`],
      ])
      const winner = expectOneWinner(said, /^已标记 #\d+ 整改完成/, new RegExp(`#${id} 已于 .+ 由(赵磊|李娜)标记整改完成`))
      const loser = said.find((s) => s !== winner)!
      expect(loser.answer).toContain(winner.from === 'zhaolei' ? '赵磊' : '李娜')
      expect((await history(id)).filter((h) => h.kind === 'rectified')).toHaveLength(1)
      await expectConsistent(id)
      expect(await outbox(`rectified:${id}:%`)).toHaveLength(1)
    }
  })

  it('2. three 延期 on one item: one pending request, the others told it waits; approvals never move the date backwards', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id } = await newItem({ dueDate: '2015-09-10', originalDueDate: '2015-09-10' })
      const said = await rig.sayAtOnce([
        ['zhaolei', `延期 ${id} 2015-09-22 等待省厅批复`],
        ['lina', `延期 ${id} 2015-09-21 资金未到位`],
        ['chenjing', `延期 ${id} 2015-09-20 需要协调`],
      ])
      expectOneWinner(said, /^已提交延期申请 #\d+/, new RegExp(`#${id} 已有待审批的延期申请 #\\d+（(赵磊|李娜|陈静)`))
      const requests = await ds.getRepository(ExtensionRequestSchema).findBy({ ledgerItemId: id })
      expect(requests.filter((r) => r.status === 'pending')).toHaveLength(1)
      for (const request of requests) await rig.say('wangjian', `批准 ${request.id}`)
      const extended = (await history(id)).filter((h) => h.kind === 'extended')
      expect(extended).toHaveLength(1)
      expect((await item(id)).dueDate).toBe(requests[0]!.newDueDate)
    }
  })

  it('3. 完成 and 进度 70% at once: the item ends as its last history row says', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id } = await newItem()
      const said = await rig.sayAtOnce([
        ['zhaolei', `完成 ${id} 已整改到位`],
        ['lina', `进度 ${id} 70% 正在推进`],
      ])
      expectAllAnswered(said)
      const row = await expectConsistent(id)
      const kinds = (await history(id)).map((h) => h.kind)
      // As one after the other: progress first, then done (both accepted), or done first and progress refused.
      expect(kinds.filter((k) => k === 'rectified')).toHaveLength(1)
      expect(kinds.at(-1)).toBe('rectified')
      expect(row.status).toBe('rectified')
      expect(said[0]!.answer).toMatch(/^已标记 #\d+ 整改完成/)
      if (kinds.includes('progress')) expect(said[1]!.answer).toMatch(/^已记录 #\d+ 进度/)
      else expect(said[1]!.answer).toMatch(new RegExp(`#${id} 已于 .+ 由赵磊标记整改完成`))
    }
  })

  it('4. 销号 and 退回 by two verifiers, and 销号 twice: one decision, one notice', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id } = await newItem({ status: 'rectified', progress: 100, rectifiedAt: NOW })
      const said = await rig.sayAtOnce([
        ['wangjian', `销号 ${id} 经核实整改到位`],
        ['liuyang', `退回 ${id} 公示材料不全`],
      ])
      expectOneWinner(said, /^已(销号|退回) #\d+/, new RegExp(`#${id} 已于 .+ 由(王健|刘洋)(销号|退回)`))
      const decisions = (await history(id)).filter((h) => h.kind === 'closed' || h.kind === 'reopened')
      expect(decisions).toHaveLength(1)
      await expectConsistent(id)
      expect([...(await outbox(`close:${id}:%`)), ...(await outbox(`reopen:${id}:%`))]).toHaveLength(1)

      const twice = await newItem({ status: 'rectified', progress: 100, rectifiedAt: NOW })
      const again = await rig.sayAtOnce([
        ['wangjian', `销号 ${twice.id}`],
        ['liuyang', `销号 ${twice.id} 同意`],
      ])
      expectOneWinner(again, /^已销号 #\d+/, new RegExp(`#${twice.id} 已于 .+ 由(王健|刘洋)销号`))
      expect((await history(twice.id)).filter((h) => h.kind === 'closed')).toHaveLength(1)
      await expectConsistent(twice.id)
    }
  })

  it('5. 批准 and 驳回 of one request: one decision, the requester told once', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id } = await newItem({ dueDate: '2015-09-10', originalDueDate: '2015-09-10' })
      await rig.say('zhaolei', `延期 ${id} 2015-09-30 等待批复`)
      const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: id })
      // A second administrator decides at the same moment.
      const said = await rig.sayAtOnce([
        ['wangjian', `批准 ${request.id} 同意`],
        ['wangjian2', `驳回 ${request.id} 理由不充分`],
      ])
      expectOneWinner(said, /^已(批准|驳回)延期申请 #\d+/, new RegExp(`延期申请 #${request.id} 已于 .+ 由(王健|王二)(批准|驳回)`))
      const decided = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ id: request.id })
      expect(['approved', 'denied']).toContain(decided.status)
      const notices = [...(await outbox(`extension-approved:${request.id}`)), ...(await outbox(`extension-denied:${request.id}`))]
      expect(notices).toHaveLength(1)
      expect((await item(id)).dueDate).toBe(decided.status === 'approved' ? '2015-09-30' : '2015-09-10')
    }
  })

  it('6. two 月报 from the unit head and the liaison: both kept as versions, the second says whose it replaced', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const before = await ds.getRepository(MonthlyReportRevisionSchema).count()
      const said = await rig.sayAtOnce([
        ['zhangwei', `月报 第${round}轮：本月召开推进会一次，查摆问题三个，已整改两个。`],
        ['chenjing', `月报 第${round}轮：本月完成自查，建立台账，落实整改责任到人。`],
      ])
      expectAllAnswered(said)
      expect(said.filter((s) => /^已(重新)?提交城关镇8月月报/.test(s.answer))).toHaveLength(2)
      expect(await ds.getRepository(MonthlyReportRevisionSchema).count()).toBe(before + 2)
      const report = await ds.getRepository(MonthlyReportSchema).findOneByOrFail({ unitId: fixture.chengguan, month: '2015-08' })
      expect(report.revision).toBe(round * 2 + 2)
      const second = said.find((s) => s.answer.includes(`第 ${report.revision} 版`))!
      expect(second.answer).toMatch(/替换了(张伟|陈静) \S+ 提交的第 \d+ 版/)
      expect(report.content).toBe(second.content.replace(/^月报 /, ''))
    }
  })

  it('7. 参会 参加 and 请假 from one person: the later one stands and says it replaced the other', async () => {
    await rig.say('wangjian', '会议 新建\n时间：9月10日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展')
    const [{ max }] = (await ds.query('SELECT MAX(meeting_id) AS max FROM attendance')) as [{ max: number }]
    const meetingId = Number(max)
    const xumin = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'xumin' })
    for (let round = 0; round < ROUNDS; round += 1) {
      const said = await rig.sayAtOnce([
        ['xumin', `参会 ${meetingId} 参加`],
        ['xumin', `参会 ${meetingId} 请假 出差`],
      ])
      expectAllAnswered(said)
      const row = await ds.getRepository(AttendanceSchema).findOneByOrFail({ meetingId, personId: xumin.id })
      const replaced = said.filter((s) => s.answer.includes('替换了'))
      // From the second round on both answers replace something; the one that replaced the other's answer names it.
      const standing = row.response === 'attend' ? said[0]! : said[1]!
      const other = standing === said[0] ? said[1]! : said[0]!
      expect(standing.answer).toMatch(other === said[0] ? /替换了.*「参加」/ : /替换了.*「请假/)
      expect(replaced.length).toBeGreaterThanOrEqual(1)
    }
  })

  it('8. the same 登记 twice at once: one item, the other told it is registered already', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const text = `登记\n类别：(二)\n问题：第${round}号信访件转办后推诿扯皮\n措施：建立首办责任制\n目标：积案全部化解\n时限：9月30日\n责任领导：李娜\n责任人：赵磊`
      const spaced = text.replace('推诿扯皮', '推诿  扯皮').replace('第', '第 ')
      const said = await rig.sayAtOnce([
        ['zhangwei', text],
        ['chenjing', spaced],
      ])
      expectOneWinner(said, /^已登记 #\d+/, /已登记过：#\d+/)
      const problems = [text, spaced].map((t) => /问题：(.*)/.exec(t)![1]!)
      const items = await ds.getRepository(LedgerItemSchema).findBy({ problem: In(problems) })
      expect(items).toHaveLength(1)
    }
  })

  it('9. 收到 twice at once: one acknowledgement', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const published = await rig.say('wangjian', `通报 发布 镇 关于报送第${round}批台账的通知\n请各镇按时报送。`)
      const circularId = Number(/#(\d+)/.exec(published.answer)![1])
      const said = await rig.sayAtOnce([
        ['zhangwei', `收到 ${circularId}`],
        ['zhangwei', `收到 ${circularId}`],
      ])
      expectOneWinner(said, /^已确认收到/, /^您已于 .+ 确认收到/)
      const zhangwei = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhangwei' })
      const receipts = await ds.getRepository(CircularReceiptSchema).findBy({ circularId, personId: In([zhangwei.id]) })
      expect(receipts).toHaveLength(1)
      expect(receipts[0]!.acknowledgedAt).not.toBeNull()
    }
  })

  it('10. eight 进度 at once from four people: eight history rows, the item as the last one says', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id } = await newItem()
      const people = ['zhaolei', 'lina', 'chenjing', 'zhangwei']
      const said = await rig.sayAtOnce(Array.from({ length: 8 }, (_, i) => [people[i % 4]!, `进度 ${id} ${50 + i}% 第${i}次推进`] as const))
      expectAllAnswered(said)
      for (const s of said) expect(s.answer).toMatch(/^已记录 #\d+ 进度：\d+% → \d+%/)
      const rows = (await history(id)).filter((h) => h.kind === 'progress')
      expect(rows).toHaveLength(8)
      // Each update starts from the one before it: the history is a chain.
      for (let i = 1; i < rows.length; i += 1) expect(rows[i]!.oldProgress).toBe(rows[i - 1]!.newProgress)
      await expectConsistent(id)
    }
  })

  it('11. 批准 twice by two administrators: one approval, one extended row, the second told who approved', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id } = await newItem({ dueDate: '2015-09-10', originalDueDate: '2015-09-10' })
      await rig.say('zhaolei', `延期 ${id} 2015-09-30 等待批复`)
      const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: id })
      const said = await rig.sayAtOnce([
        ['wangjian', `批准 ${request.id}`],
        ['wangjian2', `批准 ${request.id} 同意`],
      ])
      expectOneWinner(said, /^已批准延期申请/, new RegExp(`延期申请 #${request.id} 已于 .+ 由(王健|王二)批准`))
      expect((await history(id)).filter((h) => h.kind === 'extended')).toHaveLength(1)
      expect(await outbox(`extension-approved:${request.id}`)).toHaveLength(1)
    }
  })

  it('12. 撤回 twice and 收到 at once: one recall, and the acknowledgement either came first or is refused', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const published = await rig.say('wangjian', `通报 发布 镇 第${round}批撤回测试\n请各镇按时报送。`)
      const circularId = Number(/#(\d+)/.exec(published.answer)![1])
      const said = await rig.sayAtOnce([
        ['wangjian', `通报 撤回 ${circularId}`],
        ['wangjian2', `通报 撤回 ${circularId}`],
        ['zhangwei', `收到 ${circularId}`],
      ])
      expectAllAnswered(said)
      const recalls = said.slice(0, 2)
      expect(recalls.filter((s) => /^已撤回/.test(s.answer)), recalls.map((s) => s.answer).join(' | ')).toHaveLength(1)
      expect(recalls.filter((s) => new RegExp(`通报 #${circularId} 已于 .+ 撤回过了`).test(s.answer))).toHaveLength(1)
      const zhangwei = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhangwei' })
      const receipt = await ds.getRepository(CircularReceiptSchema).findOneByOrFail({ circularId, personId: zhangwei.id })
      if (receipt.acknowledgedAt) expect(said[2]!.answer).toMatch(/^已确认收到/)
      else expect(said[2]!.answer).toBe(`通报 #${circularId} 已撤回，无需确认。`)
    }
  })

  it('13. 会议 取消 and 参会 at once: an answer is recorded only if it was told so', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      await rig.say('wangjian', `会议 新建\n时间：9月${10 + (round % 15)}日 15:00\n地点：第${round}会议室\n议题：\n通报进展`)
      const [{ max }] = (await ds.query('SELECT MAX(meeting_id) AS max FROM attendance')) as [{ max: number }]
      const meetingId = Number(max)
      const said = await rig.sayAtOnce([
        ['wangjian', `会议 取消 ${meetingId} 改期另行通知`],
        ['xumin', `参会 ${meetingId} 参加`],
      ])
      expectAllAnswered(said)
      expect(said[0]!.answer).toMatch(/^已取消会议/)
      const xumin = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'xumin' })
      const row = await ds.getRepository(AttendanceSchema).findOneByOrFail({ meetingId, personId: xumin.id })
      if (row.response === 'attend') expect(said[1]!.answer).toMatch(/^已确认参加会议/)
      else expect(said[1]!.answer).toBe(`会议 #${meetingId} 已取消，无需回复。`)
      expect(await outbox(`meeting:${meetingId}:cancelled`)).toHaveLength(1)
    }
  })

  it('14. 请假 twice at once from one person: one open leave, the later one', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const said = await rig.sayAtOnce([
        ['lina', '请假 至 9月25日'],
        ['lina', '请假 至 9月26日 陈静'],
      ])
      expectAllAnswered(said)
      const lina = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'lina' })
      const open = await ds.getRepository(PersonLeaveSchema).findBy({ personId: lina.id, endedAt: IsNull() })
      expect(open).toHaveLength(1)
    }
  })

  it('15. an approval after an import moved the due date later marks the request 已失效 and tells the requester why', async () => {
    const { id } = await newItem({ dueDate: '2015-09-10', originalDueDate: '2015-09-10' })
    await rig.say('zhaolei', `延期 ${id} 2015-09-20 等待批复`)
    const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: id })
    // What an import (or a second, later approval) does to the item meanwhile.
    await ds.getRepository(LedgerItemSchema).update({ id }, { dueDate: '2015-10-15' })
    const said = await rig.say('wangjian', `批准 ${request.id}`)
    expect(said.answer).toBe(`未批准：延期申请 #${request.id} 已失效。#${id} 的时限已是 10月15日，不早于申请的 9月20日，批准会把时限提前。已通知申请人。`)
    expect(await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ id: request.id })).toMatchObject({ status: 'expired' })
    expect((await item(id)).dueDate).toBe('2015-10-15')
    const [notice] = await outbox(`extension-expired:${request.id}`)
    expect(notice!.payload).toContain('已失效')
    expect(notice!.recipients).toContain('zhaolei')
    expect((await rig.say('wangjian', `驳回 ${request.id}`)).answer).toMatch(new RegExp(`^延期申请 #${request.id} 已于 .+ 由王健标记失效。$`))
  })

  it('16. forty messages at once, four times the connection pool: each answered, none waits for a second connection', async () => {
    const items = await Promise.all(Array.from({ length: 10 }, () => newItem()))
    const people = ['zhaolei', 'lina', 'chenjing', 'zhangwei']
    const started = Date.now()
    const said = await rig.sayAtOnce(
      Array.from({ length: 40 }, (_, i) => {
        const who = people[i % 4]!
        // New senders each time (nothing cached), progress on ten items, unknown words, lists.
        return [who, i % 4 === 3 ? '我的' : i % 4 === 2 ? `无此命令${i}` : `进度 ${items[i % 10]!.id} ${10 + i}% 第${i}条`] as const
      }),
    )
    expectAllAnswered(said)
    expect(Date.now() - started).toBeLessThan(10_000)
    for (const { id } of items) await expectConsistent(id)
  })

  it('17. 完成 and 延期 at once: the extension is asked for before, or refused naming who finished the item', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id } = await newItem({ dueDate: '2015-09-10', originalDueDate: '2015-09-10' })
      const said = await rig.sayAtOnce([
        ['zhaolei', `完成 ${id} 已整改到位`],
        ['lina', `延期 ${id} 2015-09-30 资金未到位`],
      ])
      expectAllAnswered(said)
      expect(said[0]!.answer).toMatch(/^已标记 #\d+ 整改完成/)
      const requests = await ds.getRepository(ExtensionRequestSchema).findBy({ ledgerItemId: id })
      if (requests.length === 1) expect(said[1]!.answer).toMatch(/^已提交延期申请/)
      else expect(said[1]!.answer).toMatch(new RegExp(`^#${id} 已于 .+ 由赵磊标记整改完成，不需要延期。$`))
      await expectConsistent(id)
    }
  })

  it('18. twenty people not in the roster at once: each told whom to contact, no connection waited for', async () => {
    const said = await rig.sayAtOnce(Array.from({ length: 20 }, (_, i) => [`stranger${round18}${i}`, '我的'] as const))
    for (const s of said) expect(s.answer).toMatch(/尚未登记在专项治理花名册中.*王健/)
  })

  const newMeeting = async (startsAt: Date): Promise<Meeting> => {
    const convener = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'wangjian' })
    return ds.getRepository(MeetingSchema).save({ campaignId: fixture.campaign.id, title: '专项治理工作联席会议', startsAt, place: '第一会议室', convenerId: convener.id, status: 'scheduled', minutes: null, statusSnapshot: null, createdAt: NOW } as Meeting)
  }

  it('19. 会议 参会人 +孙丽 and 会议 改期 at once: the new participant is told the time that stands', async () => {
    const sunli = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'sunli' })
    for (let round = 0; round < ROUNDS; round += 1) {
      const m = await newMeeting(new Date('2015-09-10T15:00:00+08:00'))
      const said = await rig.sayAtOnce([
        ['wangjian', `会议 改期 ${m.id} 9月25日 10:00`],
        ['wangjian2', `会议 参会人 ${m.id} +孙丽`],
      ])
      expect(said[0]!.answer).toMatch(/^会议 #\d+ 改至/)
      expect(said[1]!.answer).toMatch(/新增 孙丽/)
      const [notice] = await ds.getRepository(OutboxMessageSchema).find({ where: { dedupeKey: `meeting:${m.id}:notice:${sunli.id}` } })
      // Added after the change: her notice has the new time; before it: the change's notice went to her too.
      const changes = await ds.getRepository(OutboxMessageSchema).find({ where: { dedupeKey: Like(`meeting:${m.id}:changed:%`) } })
      expect(notice!.payload.includes('9月25日') || changes.some((c) => c.recipients.includes('sunli'))).toBe(true)
    }
  })

  it('20. 会议 纪要 and 会议 改期 to a later day at once: never both accepted', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      // Its time has passed (it was held this morning), minutes not yet recorded.
      const m = await newMeeting(new Date('2015-08-20T08:00:00+08:00'))
      const said = await rig.sayAtOnce([
        ['wangjian', `会议 改期 ${m.id} 9月25日 10:00`],
        ['wangjian2', `会议 纪要 ${m.id}\n第${round}项：各镇月底前完成自查`],
      ])
      expectAllAnswered(said)
      expect(/^会议 #\d+ 改至/.test(said[0]!.answer) && /^已记录会议/.test(said[1]!.answer)).toBe(false)
    }
  })
})
