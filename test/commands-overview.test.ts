import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { LedgerItemSchema, MonthlyReportSchema, PhaseTaskSchema, TaskSubmissionSchema } from '../src/db/entities/index.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 2015-08-31 10:00 in Beijing: the last day of 自查整改. */
const NOW = new Date('2015-08-31T02:00:00Z')

describe(`overview commands on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let chat: ReturnType<typeof chatAs>
  let fixture: Awaited<ReturnType<typeof seedLedger>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    await seedRoster(ds, '县纪委(监察局)', [{ userid: 'xumin', name: '徐敏', roles: ['meeting_member'] }])
    chat = chatAs(ds, NOW)
  })
  afterAll(async () => {
    await db?.close()
  })

  describe('阶段', () => {
    it('shows the current phases and what the unit still owes', async () => {
      const { text } = await chat('zhaolei', '阶段')
      expect(text.split('\n')).toEqual([
        '**“为官不为”行为专项治理（2015年7月起）**',
        '当前阶段：自查整改（8月1日—8月31日，今天截止）',
        '当前阶段：监督检查（8月1日—12月31日，还有 83 个工作日）',
        '本单位待交：',
        '🟡 查摆问题、建立工作台账（8月31日截止）',
        '🟡 公开整改措施和进展情况（8月31日截止）',
        '🟢 对所辖单位自查整改情况进行全面检查（12月31日截止）',
      ])
    })

    it('leaves out what the unit has handed in', async () => {
      const ledgerTask = await ds.getRepository(PhaseTaskSchema).findOneByOrFail({ campaignId: fixture.campaign.id, code: 'ledger' })
      await ds.getRepository(TaskSubmissionSchema).insert({ taskId: ledgerTask.id, unitId: fixture.chengguan, content: '台账已报', submittedAt: NOW })
      const { text } = await chat('zhangwei', 'phase')
      expect(text).not.toContain('建立工作台账')
      expect(text).toContain('公开整改措施和进展情况')
    })

    it('does not tell 组织部 that it owes the towns’ deliverables', async () => {
      const { text } = await chat('wangjian', '阶段')
      expect(text).toContain('当前阶段：自查整改')
      expect(text).not.toContain('本单位待交')
    })

    it('says so when no campaign is running', async () => {
      const later = chatAs(ds, new Date('2016-03-01T02:00:00Z'))
      expect((await later('zhaolei', '阶段')).text).toBe('当前没有进行中的专项治理。')
    })
  })

  describe('逾期', () => {
    it('shows a unit head the overdue items of the unit, with days overdue', async () => {
      const { text } = await chat('zhangwei', '逾期')
      expect(text.split('\n')).toEqual([
        '**逾期未整改 1 项**',
        '城关镇（1 项）',
        `🔴 #${fixture.items.overdue} 招商引资项目跑办不积极，两个竞争性… · 逾期 4 个工作日（8月25日到期）`,
      ])
      expect((await chat('sunli', '逾期')).text).toBe('没有逾期未整改的事项。')
    })

    it('shows the organization department every unit, and refuses others', async () => {
      expect((await chat('wangjian', 'overdue')).text).toContain('城关镇（1 项）')
      expect((await chat('sunli', '逾期 城关镇')).text).toContain('第一责任人只能查看本单位的逾期事项')
      expect((await chat('zhaolei', '逾期')).text).toContain('「逾期」只有第一责任人、组织部（干部监督科）、专项检查组可以使用')
      expect((await chat('wangjian', '逾期 不存在镇')).text).toBe('没有「不存在镇」这个单位。')
    })

    it('counts only the running campaign, and says when none runs', async () => {
      const later = chatAs(ds, new Date('2016-03-01T02:00:00Z'))
      expect((await later('wangjian', '逾期')).text).toBe('当前没有进行中的专项治理。')
    })
  })

  describe('统计', () => {
    it('counts per unit, worst first, for the organization department and meeting members', async () => {
      await ds.getRepository(LedgerItemSchema).update({ id: fixture.items.other }, { status: 'closed', progress: 100, closedAt: new Date('2015-08-20T08:00:00Z') })
      await ds.getRepository(MonthlyReportSchema).insert({ campaignId: fixture.campaign.id, unitId: fixture.hougang, month: '2015-07', content: '七月月报', submittedAt: NOW })
      const { text } = await chat('xumin', '统计')
      expect(text.split('\n')).toEqual([
        '**台账统计（2 个单位）**',
        '台账 3 项：未开始 0，整改中 2，已整改待销号 0，已销号 1；逾期 1；按期销号率 50%',
        '🔴 城关镇：共2 未开始0 整改中2 待销号0 销号0 逾期1 按期0% 月报0',
        '🟢 后港镇：共1 未开始0 整改中0 待销号0 销号1 逾期0 按期100% 月报1',
      ])
      expect((await chat('zhangwei', '统计')).text).toContain('「统计」只有组织部（干部监督科）、专项检查组、联席会议成员可以使用')
    })
  })
})
