import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Like, type DataSource } from 'typeorm'
import { CircularSchema, ExtensionRequestSchema, LedgerItemSchema, OutboxMessageSchema, ProgressUpdateSchema, type LedgerItem } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'
import { formatImportResult } from '../src/domain/spreadsheets/import-report.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { addLedgerItem, seedCampaignPeople } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** Saturday 5 December 2026, 10:00 in Beijing: a leader in December means next January. */
const NOW = new Date('2026-12-05T10:00:00+08:00')
const CATEGORIES = '(一)促进发展不敢为、(二)履行职责不担当、(三)工作态度不积极、(四)推诿扯皮不主动、(五)降低标准不尽责、(六)服务群众不热心、(七)缺乏激情不进取、(八)因循守旧不敢闯'

/** The people of test/helpers/ledger-fixture.ts, in a campaign of 2026 (July to December), and a county bureau with a long name (the plan adds its member units, 县纪委(监察局) among them). */
async function seed(ds: DataSource) {
  const { campaign, chengguan } = await seedCampaignPeople(ds, '2026-07-01')
  await seedRoster(ds, '县市场监督管理局', [{ userid: 'qianhua', name: '钱华', roles: ['unit_head'] }])
  return { campaign, chengguan }
}

describe(`forgiving input through the callback, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let fixture: Awaited<ReturnType<typeof seed>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seed(ds)
    rig = await startCallbackRig(ds, { now: NOW })
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  const newItem = (values: Partial<LedgerItem>) => addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' }, values)
  const item = (id: number) => ds.getRepository(LedgerItemSchema).findOneByOrFail({ id })
  const answer = async (userid: string, text: string) => (await rig.say(userid, text)).answer
  const requests = (id: number) => ds.getRepository(ExtensionRequestSchema).countBy({ ledgerItemId: id })

  describe('a date without a year', () => {
    it('1月15日 typed on 5 December is next January, and the answer says so', async () => {
      const { id } = await newItem({ dueDate: '2026-12-28', originalDueDate: '2026-12-28' })
      expect(await answer('zhaolei', `延期 ${id} 1月15日 需等待省厅批复`)).toBe(
        `已提交延期申请 #1：#${id} 从 12月28日 延至 2027年1月15日，等待组织部审批，结果会通知您。\n「1月15日」按 2027年1月15日 处理。`,
      )
      const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: id })
      expect(request.newDueDate).toBe('2027-01-15')
    })

    it('12月3日 is this year’s and refused as past, the refusal naming the year and without the usage', async () => {
      const { id } = await newItem({ dueDate: '2026-11-20', originalDueDate: '2026-11-20' })
      expect(await answer('zhaolei', `延期 ${id} 12月3日 需等待省厅批复`)).toBe('新的时限 2026年12月3日 应晚于今天（12月5日）。')
      const later = await newItem({ dueDate: '2026-12-28', originalDueDate: '2026-12-28', problem: '另一个问题' })
      expect(await answer('zhaolei', `延期 ${later.id} 12.3 需等待省厅批复`)).toBe('新的时限 2026年12月3日 应晚于现在的时限 12月28日。')
      expect(await requests(id)).toBe(0)
      expect(await requests(later.id)).toBe(0)
    })

    it('a date read as this year’s needs no remark; 登记 says how its 时限 was read', async () => {
      const { id } = await newItem({ dueDate: '2026-12-10', originalDueDate: '2026-12-10', problem: '第三个问题' })
      expect(await answer('zhaolei', `延期 ${id} 12月30日 需等待省厅批复`)).toBe(`已提交延期申请 #2：#${id} 从 12月10日 延至 12月30日，等待组织部审批，结果会通知您。`)
      const registered = await answer('chenjing', '登记\n类别：(二)\n问题：窗口单位午休无人值守\n措施：实行午间轮岗\n目标：午间有人办事\n时限：2.28\n责任领导：李娜\n责任人：赵磊')
      const created = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ problem: '窗口单位午休无人值守' })
      expect(registered).toBe(
        `已登记 #${created.id}：窗口单位午休无人值守\n类别 (二)履行职责不担当 · 时限 2027年2月28日 · 责任领导 李娜 · 责任人 赵磊\n已通知责任人。\n「2.28」按 2027年2月28日 处理。`,
      )
    })
  })

  describe('glued forms', () => {
    it('a command word glued to its number, and a note glued to the percentage, the note kept as typed', async () => {
      const { id } = await newItem({ dueDate: '2026-12-28', originalDueDate: '2026-12-28', problem: '片区验收滞后' })
      expect(await answer('zhaolei', `进度${id} 80%已完成两个片区验收，剩余一个`)).toBe(`已记录 #${id} 进度：40% → 80%。12月28日到期。整改完成后发送「完成 ${id} 整改说明」。`)
      expect(await answer('zhaolei', `进度 ${id} ８５％，第三个片区已进场`)).toBe(`已记录 #${id} 进度：80% → 85%。12月28日到期。整改完成后发送「完成 ${id} 整改说明」。`)
      const notes = await ds.getRepository(ProgressUpdateSchema).find({ where: { ledgerItemId: id, kind: 'progress' }, order: { id: 'ASC' } })
      expect(notes.map((n) => [n.newProgress, n.note])).toEqual([
        [80, '已完成两个片区验收，剩余一个'],
        [85, '第三个片区已进场'],
      ])
      expect((await answer('zhaolei', `详情#${id}`)).split('\n')[7]).toBe('状态：整改中，进度 85%')
      expect(await answer('zhaolei', `完成${id}三个片区全部验收`)).toBe(`已标记 #${id} 整改完成，进度 100%。已通知组织部核实销号。`)
      expect(await answer('wangjian', `销号${id} 经核实整改到位`)).toBe(`已销号 #${id}。已通知责任人。`)
      const other = await newItem({ dueDate: '2026-12-28', originalDueDate: '2026-12-28', problem: '又一个问题' })
      expect(await answer('zhaolei', `延期${other.id} 1月15日 需等待省厅批复`)).toBe(
        `已提交延期申请 #3：#${other.id} 从 12月28日 延至 2027年1月15日，等待组织部审批，结果会通知您。\n「1月15日」按 2027年1月15日 处理。`,
      )
    })

    it('a word that is no command stays unknown, glued number or not', async () => {
      expect(await answer('zhaolei', '进展10 80%')).toBe('没有「进展10」这个命令。发送「帮助」查看可用命令。')
    })
  })

  describe('退回', () => {
    it('sets the item back to its progress before 完成: the answer, the notice, 详情 and the next digest say so', async () => {
      const { id } = await newItem({ dueDate: '2026-12-09', originalDueDate: '2026-12-09', problem: '便民大厅叫号系统故障' })
      await answer('zhaolei', `进度 ${id} 60% 已更换主机`)
      await answer('zhaolei', `完成 ${id} 已全部修复`)
      expect(await answer('liuyang', `退回 ${id} 叫号屏仍不显示`)).toBe(`已退回 #${id}，状态改为整改中，进度退回到 60%（报告完成前的进度）。已通知责任人。`)
      expect(await item(id)).toMatchObject({ status: 'in_progress', progress: 60, rectifiedAt: null })
      const notice = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: Like(`reopen:${id}:%`) })
      expect(JSON.parse(notice.payload).markdown.content).toBe(
        `**#${id} 被退回，请继续整改**\n便民大厅叫号系统故障\n退回理由：叫号屏仍不显示\n进度退回到 60%（报告完成前的进度）。\n完成时限：2026年12月9日。整改后再次发送「完成 ${id} 整改说明」。`,
      )
      const detail = (await answer('zhaolei', `详情 ${id}`)).split('\n')
      expect(detail[0]).toBe(`**🟡 #${id} 城关镇**`)
      expect(detail[7]).toBe('状态：整改中，进度 60%')
      expect(detail[8]).toBe('佐证：无')
      // The history rows carry the database's clock, not the rig's: their times are left out.
      expect(detail.slice(9).map((line) => line.replace(/^- \d\d\/\d\d \d\d:\d\d /, '- '))).toEqual([
        '最近进展：',
        '- 刘洋 退回 60% 叫号屏仍不显示',
        '- 赵磊 完成 100% 已全部修复',
        '- 赵磊 进度 60% 已更换主机',
      ])
      // Monday 7 December: the item is due in two working days, and its reminder reads 60%.
      const { messages } = await runSweep(ds, new Date('2026-12-07T09:05:00+08:00'), { dryRun: true })
      const digest = messages.find((m) => m.to.includes('zhaolei'))!.content.split('\n')
      expect(digest).toContain(`🟡 #${id} 便民大厅叫号系统故障 · 12月9日到期 · 60%`)
    })

    it('an item rectified without a recorded 完成 goes to 0% and the people are told to report again', async () => {
      const { id } = await newItem({ dueDate: '2026-12-28', originalDueDate: '2026-12-28', problem: '旧账', status: 'rectified', progress: 100 })
      expect(await answer('wangjian', `退回 ${id} 材料不全`)).toBe(`已退回 #${id}，状态改为整改中，报告完成前的进度没有记录，进度置为 0%，需责任人重新报告。已通知责任人。`)
      expect((await item(id)).progress).toBe(0)
    })
  })

  describe('usage only when the arguments were wrong', () => {
    it('a refusal about the item’s state or the sender is told without 用法', async () => {
      const { id } = await newItem({ dueDate: '2026-12-28', originalDueDate: '2026-12-28', problem: '第四个问题' })
      expect(await answer('sunli', `进度 ${id} 50% 已部署`)).toBe('只有该事项的具体责任人、责任领导，或本单位第一责任人、联络员可以操作。')
      expect(await answer('zhaolei', '进度 99999 50% 已部署')).toBe('没有编号为 #99999 的台账事项。发送「我的」查看您负责的事项和编号。')
      expect(await answer('zhaolei', `进度 ${id} 100% 已完成`)).toBe(`进度 100% 请用「完成 ${id} 整改说明」标记整改完成，由组织部核实销号。`)
      await answer('zhaolei', `完成 ${id} 已整改`)
      expect(await answer('zhaolei', `完成 ${id} 已整改`)).toMatch(new RegExp(`^#${id} 已于 .+ 由赵磊标记整改完成，无需重复；正等待组织部核实销号。$`))
      expect(await answer('zhaolei', `延期 ${id} 1月15日 来不及`)).toMatch(new RegExp(`^#${id} 已于 .+ 由赵磊标记整改完成，不需要延期。$`))
    })

    it('arguments that cannot be read get the usage and an example', async () => {
      expect(await answer('zhaolei', '进度 12 已部署')).toBe('「已部署」不是有效的进度，应为 0–100 的百分比，例：60%。\n用法：进度 编号 百分比 说明\n示例：进度 12 60% 已完成初步整改')
      expect(await answer('zhaolei', '延期 12 过几天 来不及')).toBe(
        '「过几天」不是能识别的日期。可写 2015-09-30、9月30日、9.30、下周五 或 月底。\n用法：延期 编号 新日期 理由\n示例：延期 12 9月30日 需等待省厅批复',
      )
    })
  })

  describe('unit names', () => {
    it('a near-miss unit name gets "您是不是指", in a command and in a circular’s audience, and nothing is written', async () => {
      expect(await answer('wangjian', '我的 县市场监管局')).toBe('没有「县市场监管局」这个单位。您是不是指「县市场监督管理局」？')
      expect(await answer('wangjian', '逾期 城关')).toBe('没有「城关」这个单位。您是不是指「城关镇」？')
      expect(await answer('wangjian', '我的 县财政局')).toBe('没有「县财政局」这个单位。')
      const circulars = await ds.getRepository(CircularSchema).count()
      expect(await answer('wangjian', '通报 发布 单位 县市场监管局,县纪委监察局 关于报送台账的通知\n请按时报送。')).toBe(
        '没有「县市场监管局」这个单位。您是不是指「县市场监督管理局」？\n没有「县纪委监察局」这个单位。您是不是指「县纪委(监察局)」？',
      )
      expect(await ds.getRepository(CircularSchema).count()).toBe(circulars)
    })

    it('登记 and an import name the nearest unit; a bad category lists the plan’s eight', async () => {
      expect(await answer('wangjian', '登记\n单位：县市场监管局\n类别：(二)\n问题：问题\n措施：措施\n目标：目标\n时限：12月30日\n责任领导：钱华\n责任人：钱华')).toBe(
        '没有「县市场监管局」这个单位。您是不是指「县市场监督管理局」？',
      )
      expect(await answer('chenjing', '登记\n类别：(九)\n问题：问题\n措施：措施\n目标：目标\n时限：12月30日\n责任领导：李娜\n责任人：赵磊')).toBe(
        `未登记，请修改后重发：\n- 问题类别「(九)」无法识别，可写：${CATEGORIES}（写编号或名称均可）\n用法：登记（第二行起每行一项：类别、问题、措施、目标、时限、责任领导、责任人）\n示例：登记\n类别：(二)\n问题：信访件转办后推诿扯皮\n措施：建立首办责任制\n目标：积案全部化解\n时限：9月30日\n责任领导：李娜\n责任人：赵磊`,
      )
      const path = join(mkdtempSync(join(tmpdir(), 'forgiving-')), '台账.csv')
      writeFileSync(path, '单位,问题类别,问题描述,整改措施,整治目标,完成时限,责任领导,具体责任人\n县市场监管局,(九),农贸市场巡查走过场,加强日常巡查,问题全部整改,2026-12-30,钱华,钱华\n')
      const result = await importLedger(ds, path, { now: NOW, campaignId: fixture.campaign.id })
      expect(formatImportResult(result, '台账条目', false).split('\n').slice(1)).toEqual([
        '- 工作表「CSV」第 2 行「单位」列：没有「县市场监管局」这个单位。您是不是指「县市场监督管理局」？',
        `- 工作表「CSV」第 2 行「问题类别」列：问题类别「(九)」无法识别，可写：${CATEGORIES}（写编号或名称均可）`,
      ])
    })
  })
})
