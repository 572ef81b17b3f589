import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { ExtensionRequestSchema, LedgerItemSchema, OutboxMessageSchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 2015-08-31 10:00 in Beijing. */
const NOW = new Date('2015-08-31T02:00:00Z')

describe(`ledger commands on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let chat: ReturnType<typeof chatAs>
  let items: Awaited<ReturnType<typeof seedLedger>>['items']
  const item = (id: number) => ds.getRepository(LedgerItemSchema).findOneByOrFail({ id })
  const outbox = () => ds.getRepository(OutboxMessageSchema).find({ order: { id: 'ASC' } })

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    ;({ items } = await seedLedger(ds))
    chat = chatAs(ds, NOW)
  })
  afterAll(async () => {
    await db?.close()
  })

  describe('我的', () => {
    it('lists the person’s own items, overdue first, with lights, due dates and progress', async () => {
      const { text } = await chat('lina', '我的')
      expect(text.split('\n')).toEqual([
        '**我的台账（2 项）**',
        `🔴 #${items.overdue} 招商引资项目跑办不积极，两个竞争性项目未按时申报 · 8月25日到期，逾期 4 个工作日 · 40%`,
        `🟡 #${items.soon} 便民服务大厅办事群众反映多头跑 · 9月2日到期 · 70%`,
        '反馈进度：进度 编号 百分比 说明',
      ])
    })

    it('lists the whole unit for its liaison, and only the own items for staff', async () => {
      expect((await chat('chenjing', 'ls')).text).toContain('（2 项）')
      expect((await chat('zhaolei', '台账')).text).toContain('（1 项）')
    })

    it('refuses another unit’s list to a unit head, allows it to the organization department', async () => {
      expect((await chat('zhangwei', '我的 后港镇')).text).toContain('只能查看本单位的台账')
      expect((await chat('wangjian', '我的 后港镇')).text).toContain('**后港镇台账（1 项）**')
      expect((await chat('wangjian', '我的 不存在镇')).text).toBe('没有「不存在镇」这个单位。')
    })
  })

  describe('详情', () => {
    it('shows the item in full to those responsible', async () => {
      const { text } = await chat('zhaolei', `详情 #${items.overdue}`)
      expect(text).toContain(`**🔴 #${items.overdue} 城关镇**`)
      expect(text).toContain('类别：(一)促进发展不敢为')
      expect(text).toContain('责任：领导 李娜 · 责任人 赵磊')
      expect(text).toContain('状态：整改中，进度 40%')
    })

    it('refuses someone from another unit, and explains a bad number', async () => {
      expect((await chat('wufang', `详情 ${items.overdue}`)).text).toBe(`#${items.overdue} 不属于您负责的范围。`)
      expect((await chat('zhaolei', '详情 abc')).text).toContain('「abc」不是有效的台账编号')
      expect((await chat('zhaolei', '详情 99999')).text).toContain('没有编号为 #99999 的台账事项')
    })
  })

  describe('进度', () => {
    it('records progress with old → new and the due date, and a history row', async () => {
      const { text } = await chat('zhaolei', `进度 ＃${items.overdue} ６０％ 已完成初步整改`)
      expect(text).toBe(`已记录 #${items.overdue} 进度：40% → 60%。8月25日到期，逾期 4 个工作日。整改完成后发送「完成 ${items.overdue} 整改说明」。`)
      expect(await item(items.overdue)).toMatchObject({ progress: 60, status: 'in_progress' })
      const history = await ds.getRepository(ProgressUpdateSchema).findBy({ ledgerItemId: items.overdue })
      expect(history.map((h) => [h.kind, h.oldProgress, h.newProgress, h.note])).toEqual([['progress', 40, 60, '已完成初步整改']])
    })

    it('refuses someone not responsible, and explains malformed arguments', async () => {
      expect((await chat('wufang', `进度 ${items.overdue} 80% 越权`)).text).toContain('只有该事项的具体责任人、责任领导，或本单位第一责任人、联络员可以操作')
      expect((await chat('zhaolei', `进度 ${items.overdue} 120% 说明`)).text).toContain('「120%」不是有效的进度')
      expect((await chat('zhaolei', `进度 ${items.overdue} 80%`)).text).toContain('请写一句进展说明')
      expect((await chat('zhaolei', '进度')).text).toContain('缺少台账编号')
      expect((await item(items.overdue)).progress).toBe(60)
    })
  })

  describe('完成, 销号, 退回', () => {
    it('marks rectified and asks the organization department to verify, in one transaction', async () => {
      const { text } = await chat('chenjing', `完成 ${items.soon} 已推行首问负责制并公示`)
      expect(text).toBe(`已标记 #${items.soon} 整改完成，进度 100%。已通知组织部核实销号。`)
      expect(await item(items.soon)).toMatchObject({ status: 'rectified', progress: 100 })
      const notice = (await outbox()).find((m) => m.dedupeKey.startsWith(`rectified:${items.soon}:`))!
      expect(JSON.parse(notice.recipients).touser).toEqual(['wangjian'])
      expect(notice.payload).toContain(`销号 ${items.soon}`)
    })

    it('refuses 完成 to someone not responsible, and without a note', async () => {
      expect((await chat('wufang', `完成 ${items.overdue} 越权`)).text).toContain('只有该事项的具体责任人、责任领导')
      expect((await chat('zhaolei', `完成 ${items.overdue}`)).text).toBe(`请写明整改情况，供组织部核实。\n用法：完成 编号 整改说明\n示例：完成 12 已建立首问负责制并公示`)
      expect((await item(items.overdue)).status).toBe('in_progress')
    })

    it('refuses further progress while waiting for verification', async () => {
      expect((await chat('chenjing', `进度 ${items.soon} 90% 补充`)).text).toContain('正等待组织部核实销号')
    })

    it('lets only verifiers close or send back, with a reason to send back', async () => {
      expect((await chat('zhangwei', `销号 ${items.soon}`)).text).toContain('「销号」只有组织部（干部监督科）、专项检查组可以使用')
      expect((await chat('liuyang', `退回 ${items.soon}`)).text).toContain('请写明退回理由')
      expect((await chat('liuyang', `销号 ${items.other}`)).text).toContain('还没有报告整改完成')
    })

    it('sends back with the reason and tells the responsible people', async () => {
      const { text } = await chat('liuyang', `退回 ${items.soon} 公示材料不全，请补充`)
      expect(text).toBe(`已退回 #${items.soon}，状态改为整改中，进度退回到 70%（报告完成前的进度）。已通知责任人。`)
      expect(await item(items.soon)).toMatchObject({ status: 'in_progress', progress: 70, rectifiedAt: null })
      const notice = (await outbox()).find((m) => m.dedupeKey.startsWith(`reopen:${items.soon}:`))!
      expect(JSON.parse(notice.recipients).touser.sort()).toEqual(['chenjing', 'lina'])
      expect(notice.payload).toContain('公示材料不全')
    })

    it('closes after a second completion and tells the responsible people', async () => {
      await chat('chenjing', `完成 ${items.soon} 已补充公示材料`)
      const { text } = await chat('wangjian', `close ${items.soon} 经核实整改到位`)
      expect(text).toBe(`已销号 #${items.soon}。已通知责任人。`)
      expect(await item(items.soon)).toMatchObject({ status: 'closed' })
      expect((await chat('chenjing', `完成 ${items.soon} 再来一次`)).text).toMatch(new RegExp(`^#${items.soon} 已于 .+ 由王健销号，不能再更改。$`))
      const history = await ds.getRepository(ProgressUpdateSchema).find({ where: { ledgerItemId: items.soon }, order: { id: 'ASC' } })
      expect(history.map((h) => h.kind)).toEqual(['rectified', 'reopened', 'rectified', 'closed'])
    })
  })

  describe('延期, 批准, 驳回', () => {
    it('asks for a new due date and tells the organization department', async () => {
      const { text } = await chat('zhaolei', `延期 ${items.overdue} 9月30日 需等待省厅批复`)
      expect(text).toMatch(new RegExp(`^已提交延期申请 #(\\d+)：#${items.overdue} 从 8月25日 延至 9月30日，等待组织部审批，结果会通知您。$`))
      const notice = (await outbox()).find((m) => m.dedupeKey.startsWith('extension:'))!
      expect(JSON.parse(notice.recipients).touser).toEqual(['wangjian'])
      expect(notice.payload).toContain('需等待省厅批复')
      expect((await chat('lina', `延期 ${items.overdue} 10月9日 再议`)).text).toContain('已有待审批的延期申请')
    })

    it('refuses someone not responsible, a date not later, and missing parts', async () => {
      expect((await chat('wufang', `延期 ${items.overdue} 9月30日 越权`)).text).toContain('只有该事项的具体责任人')
      expect((await chat('sunli', `延期 ${items.other} 9月1日 提前`)).text).toBe('新的时限 2015年9月1日 应晚于现在的时限 9月30日。')
      expect((await chat('sunli', `延期 ${items.other} 过几天 理由`)).text).toContain('不是能识别的日期')
      expect((await chat('sunli', `延期 ${items.other} 10月9日`)).text).toContain('请写明延期理由')
    })

    it('lets only the organization department approve; approval moves the due date and tells the requester', async () => {
      const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: items.overdue })
      expect((await chat('liuyang', `批准 ${request.id}`)).text).toContain('「批准」只有组织部（干部监督科）可以使用')
      const { text } = await chat('wangjian', `批准 ${request.id} 同意`)
      expect(text).toBe(`已批准延期申请 #${request.id}：#${items.overdue} 的时限改为 9月30日，已通知申请人。`)
      expect(await item(items.overdue)).toMatchObject({ dueDate: '2015-09-30', originalDueDate: '2015-08-25' })
      const told = (await outbox()).find((m) => m.dedupeKey === `extension-approved:${request.id}`)!
      expect(JSON.parse(told.recipients).touser.sort()).toEqual(['lina', 'zhaolei'])
      expect((await chat('wangjian', `驳回 ${request.id}`)).text).toBe(`延期申请 #${request.id} 已于 10:00 由王健批准。`)
      expect((await chat('zhaolei', '我的')).text).toContain(`🟢 #${items.overdue}`)
    })

    it('refuses to approve an extension for an item already closed', async () => {
      // #soon was closed by the tests above; a request filed before that is still pending.
      const soon = await item(items.soon)
      expect(soon.status).toBe('closed')
      await ds.getRepository(ExtensionRequestSchema).insert({ ledgerItemId: items.soon, requestedById: soon.responsiblePersonId!, oldDueDate: soon.dueDate, newDueDate: '2015-12-01', reason: '测试', status: 'pending' })
      const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: items.soon, status: 'pending' })
      expect((await chat('wangjian', `批准 ${request.id}`)).text).toContain('不需要延期')
      expect((await item(items.soon)).dueDate).toBe(soon.dueDate)
    })

    it('denies, leaving the due date', async () => {
      await chat('wufang', `延期 ${items.other} 10月30日 人手不足`)
      const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: items.other })
      expect((await chat('wangjian', `deny ${request.id} 请按期完成`)).text).toBe(`已驳回延期申请 #${request.id}，已通知申请人。`)
      expect((await item(items.other)).dueDate).toBe('2015-09-30')
      expect((await chat('wangjian', '批准 abc')).text).toContain('「abc」不是有效的延期申请编号')
    })
  })
})
