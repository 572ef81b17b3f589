import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { sweepCircularReminders } from '../src/domain/circulars/circular-reminders.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { seedMeetingMembers } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const bj = (at: string) => new Date(`${at}+08:00`)

/**
 * 待办 through the real callback: what waits for 组织部, for a unit head, for a responsible
 * person and for a joint-meeting member on a seeded ledger, each line ending with the command
 * that acts on it.
 */
describe(`待办 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  const clock = { now: bj('2015-08-17T09:00:00') }
  let items: { overdue: number; soon: number; other: number }
  const say = async (from: string, text: string) => (await rig.say(from, text)).answer

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    items = (await seedCircularAudience(ds)).items
    await seedMeetingMembers(ds)
    rig = await startCallbackRig(ds, clock)
    // Monday 17 August: a circular to the towns, two meetings, a completion, an extension request, 城关镇's report.
    await say('wangjian', '通报 发布 镇 关于报送8月工作台账的通知\n请各镇于8月25日前报送本月台账。')
    await say('wangjian', '会议 新建\n时间：8月18日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展')
    await say('wangjian', '会议 新建\n时间：8月26日 9:00\n地点：县委第二会议室\n议题：\n研究典型案例通报名单')
    await say('chenjing', `完成 ${items.soon} 已实行首问负责制并公示`)
    await say('lina', `延期 ${items.overdue} 9月30日 等待省厅批复`)
    await say('zhangwei', '月报 本月召开推进会1次，查摆问题3个，已整改2个。')
    // Wednesday 19 August 15:05: the circular's reminder (24 working hours) has gone out.
    clock.now = bj('2015-08-19T15:05:00')
    await sweepCircularReminders(ds, clock.now, 24)
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  it('组织部: items to verify, extensions to decide, reports submitted, circulars unacknowledged after the reminder, meetings without minutes', async () => {
    expect((await say('wangjian', '待办')).split('\n')).toEqual([
      '**待办（王健）**',
      '**待核实销号 1 项**',
      `- #${items.soon} 城关镇 便民服务大厅办事群众反映多… 8月17日 09:00报完成 →「销号 ${items.soon}」或「退回 ${items.soon} 理由」`,
      '**延期申请待审批 1 项**',
      `- 申请 #1：事项 #${items.overdue} 8月25日→9月30日，等待省厅批复 →「批准 1」或「驳回 1 理由」`,
      '**近两个月已提交的月报 1 份**',
      '- 城关镇8月月报 8月17日 09:00 →「查看月报 城关镇 8月」',
      '**提醒后仍未确认的通报**',
      '- #1《关于报送8月工作台账的通知》4 人未确认 →「通报 状态 1」',
      '**已开会未记纪要**',
      '- 会议 #1 8月18日（周二）15:00 →「会议 纪要 1」',
    ])
  })

  it('组织部 sees a report again only once it is revised after they last looked', async () => {
    expect(await say('wangjian', '待办')).not.toContain('月报')
    clock.now = bj('2015-08-19T15:20:00')
    await say('chenjing', '月报 本月召开推进会2次，查摆问题3个，已整改3个。')
    const lines = (await say('wangjian', '待办')).split('\n')
    expect(lines.slice(5, 7)).toEqual(['**新提交的月报 1 份**', '- 城关镇8月月报 15:20（第 2 版） →「查看月报 城关镇 8月」'])
    // Done by 组织部 through the commands the lines name: they leave the list.
    await say('wangjian', `销号 ${items.soon} 经核实整改到位`)
    await say('wangjian', '批准 1')
    await say('wangjian', '会议 纪要 1\n各镇月底前补报台账')
    expect((await say('wangjian', '待办')).split('\n')).toEqual(['**待办（王健）**', '**提醒后仍未确认的通报**', '- #1《关于报送8月工作台账的通知》4 人未确认 →「通报 状态 1」'])
  })

  it('a unit head: their items, the report not submitted, deliverables, circulars to acknowledge', async () => {
    expect((await say('sunli', '待办')).split('\n')).toEqual([
      '**待办（孙丽）**',
      '**台账事项 1 项**',
      `🟢 #${items.other} 农村人居环境整治推进缓慢 · 9月30日到期 · 0% →「进度 ${items.other}」`,
      '进度：进度 编号 百分比 说明；完成：完成 编号 整改说明',
      '**月报未提交**',
      '- 后港镇8月月报（8月31日前）→「月报 内容」',
      '**阶段任务待交**',
      '- 🟢 查摆问题、建立工作台账（8月31日截止）→「阶段」',
      '- 🟢 公开整改措施和进展情况（8月31日截止）→「阶段」',
      '- 🟢 对所辖单位自查整改情况进行全面检查（12月31日截止）→「阶段」',
      '**待确认的通报**',
      '- #1《关于报送8月工作台账的通知》→「收到 1」',
    ])
    expect(await say('sunli', '收到')).toBe('已确认收到通报 #1《关于报送8月工作台账的通知》，谢谢。')
    expect(await say('sunli', '待办')).not.toContain('待确认的通报')
    expect(await say('sunli', '收到')).toBe('您没有待确认的通报。')
  })

  it('a bare 收到 with three circulars waiting lists them, newest first, and acknowledges none', async () => {
    await say('wangjian', '通报 发布 镇 关于开展谈心谈话的通知\n请于8月底前完成。')
    await say('wangjian', '通报 发布 镇 关于报送整改清单的通知\n请于8月底前报送。')
    expect((await say('zhangwei', '收到')).split('\n')).toEqual([
      '您有 3 份通报待确认，请逐份回复「收到 编号」：',
      '- #3《关于报送整改清单的通知》（8月19日）',
      '- #2《关于开展谈心谈话的通知》（8月19日）',
      '- #1《关于报送8月工作台账的通知》（8月17日）',
    ])
    expect(await say('zhangwei', '收到 3')).toBe('已确认收到通报 #3《关于报送整改清单的通知》，谢谢。')
    expect((await say('zhangwei', '收到')).split('\n')[0]).toBe('您有 2 份通报待确认，请逐份回复「收到 编号」：')
  })

  it('a unit head sees the unit’s overdue items, a responsible person their own, a meeting member the meeting to answer', async () => {
    clock.now = bj('2015-10-08T10:00:00')
    const head = (await say('zhangwei', '待办')).split('\n')
    expect(head.slice(0, 3)).toEqual(['**待办（张伟）**', '**台账事项 1 项**', `🔴 #${items.overdue} 招商引资项目跑办不积极，两个竞争性项目未按时申报 · 9月30日到期，逾期 1 个工作日 · 40% →「进度 ${items.overdue}」`])
    expect((await say('zhaolei', '待办')).split('\n').slice(0, 3)).toEqual(head.toSpliced(0, 1, '**待办（赵磊）**').slice(0, 3))
    clock.now = bj('2015-08-20T10:00:00')
    expect((await say('xumin', '待办')).split('\n')).toEqual(['**待办（徐敏）**', '**待回复的会议**', '- 会议 #2 8月26日（周三）09:00 县委第二会议室 →「参会 2 参加」或「参会 2 请假 理由」'])
    await say('xumin', '参会 2 参加')
    expect(await say('xumin', '待办')).toBe('待办（徐敏）：暂无待办事项。发送「我的」查看全部台账。')
  })
})
