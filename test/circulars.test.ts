import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IsNull, type DataSource } from 'typeorm'
import { CircularReceiptSchema, CircularSchema, InspectionSchema, LedgerItemSchema, OutboxMessageSchema, PersonSchema } from '../src/db/entities/index.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { chatAs } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { readerText } from './helpers/outbox-text.js'

/** 2015-09-07 10:00 in Beijing, a Monday. */
const NOW = new Date('2015-09-07T02:00:00Z')
const USAGE = '用法：通报 发布 受众 标题（第二行起写正文）'

describe(`circular commands on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let chat: ReturnType<typeof chatAs>
  let fixture: Awaited<ReturnType<typeof seedCircularAudience>>

  const lastCircular = () => ds.getRepository(CircularSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
  const copiesOf = async (id: number) => ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'circular', subjectId: id }, order: { id: 'ASC' } })
  const recipientsOf = async (id: number) => {
    const receipts = await ds.getRepository(CircularReceiptSchema).findBy({ circularId: id })
    const people = await ds.getRepository(PersonSchema).find()
    return receipts.map((r) => people.find((p) => p.id === r.personId)!.userid).sort()
  }
  const publish = async (audience: string, title = '关于报送9月工作台账的通知') => {
    const { text } = await chat('wangjian', `通报 发布 ${audience} ${title}\n请于9月10日前报送。\n逾期将通报批评。`)
    const circular = await lastCircular()
    return { text, circular, recipients: await recipientsOf(circular.id), copies: await copiesOf(circular.id) }
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedCircularAudience(ds)
    chat = chatAs(ds, NOW, { robotNames: ['lianxi', 'zhenjie'] })
  })
  afterAll(async () => {
    await db?.close()
  })

  describe('audience selectors', () => {
    it('全体: the heads and liaisons of every participating unit, one outbox row and one receipt each', async () => {
      const { text, circular, recipients, copies } = await publish('全体')
      expect(recipients).toEqual(['chenjing', 'hejun', 'qianhua', 'sunli', 'zhangwei', 'zhoumin'])
      expect(text).toBe(
        `已发布通报 #${circular.id}《关于报送9月工作台账的通知》，发给 3 个单位 6 人。\n收件人回复「收到 ${circular.id}」即确认；查看确认情况：通报 状态 ${circular.id}；24 小时内可撤回：通报 撤回 ${circular.id}`,
      )
      expect(circular).toMatchObject({ status: 'sent', kind: 'work', audience: '{"type":"all"}' })
      expect(copies).toHaveLength(6)
      for (const copy of copies) expect(JSON.parse(copy.recipients).touser).toHaveLength(1)
      // Each receipt points at its own copy.
      const receipts = await ds.getRepository(CircularReceiptSchema).findBy({ circularId: circular.id })
      expect(new Set(receipts.map((r) => r.outboxMessageId))).toEqual(new Set(copies.map((c) => c.id)))
      const zhangwei = copies.find((c) => JSON.parse(c.recipients).touser[0] === 'zhangwei')!
      // A card with 收到 and 全文 (docs/cards.md); it reads as the text did.
      expect(JSON.parse(zhangwei.payload).template_card.button_list.map((b: { key: string }) => b.key)).toEqual([`ack:${circular.id}`, `read:${circular.id}`])
      expect(readerText(zhangwei.payload)).toBe(
        `**【通报】关于报送9月工作台账的通知**\n请于9月10日前报送。\n逾期将通报批评。\n——县委组织部\n> 阅后请回复「收到 ${circular.id}」`,
      )
      // 何军 reads WeCom in WeChat: plain text, same words.
      const hejun = copies.find((c) => JSON.parse(c.recipients).touser[0] === 'hejun')!
      expect(JSON.parse(hejun.payload)).toEqual({ msgtype: 'text', text: { content: `【通报】关于报送9月工作台账的通知\n请于9月10日前报送。\n逾期将通报批评。\n——县委组织部\n阅后请回复「收到 ${circular.id}」` } })
    })

    it('镇 (also 乡镇): towns only', async () => {
      expect((await publish('镇')).recipients).toEqual(['chenjing', 'hejun', 'sunli', 'zhangwei'])
      expect((await publish('乡镇')).recipients).toEqual(['chenjing', 'hejun', 'sunli', 'zhangwei'])
    })

    it('县直: county departments taking part only', async () => {
      expect((await publish('县直')).recipients).toEqual(['qianhua', 'zhoumin'])
    })

    it('单位: named units, also ones not taking part, with any list separator', async () => {
      expect((await publish('单位 县信访局，城关镇')).recipients).toEqual(['chenjing', 'yangfan', 'zhangwei'])
      expect((await publish('单位：后港镇、县人社局')).recipients).toEqual(['hejun', 'qianhua', 'sunli', 'zhoumin'])
    })

    it('单位 refuses an unknown name with the nearest units, and writes nothing', async () => {
      const before = await ds.getRepository(CircularSchema).count()
      const { text } = await chat('wangjian', '通报 发布 单位 城关,后港镇 标题\n正文')
      expect(text).toBe('没有「城关」这个单位。您是不是指「城关镇」？')
      expect((await chat('wangjian', '通报 发布 单位 财政局 标题\n正文')).text).toBe('没有「财政局」这个单位。')
      expect(await ds.getRepository(CircularSchema).count()).toBe(before)
    })

    it('联席会议: the people holding meeting_member', async () => {
      expect((await publish('联席会议')).recipients).toEqual(['fengtao'])
    })

    it('群: one webhook row per configured robot, no receipts; an unknown group is refused', async () => {
      const { circular, recipients, copies, text } = await publish('群 lianxi,zhenjie')
      expect(recipients).toEqual([])
      expect(copies.map((c) => [c.channel, JSON.parse(c.recipients).robot, c.msgType])).toEqual([
        ['webhook', 'lianxi', 'markdown'],
        ['webhook', 'zhenjie', 'markdown'],
      ])
      expect(readerText(copies[0]!.payload)).not.toContain('收到')
      expect(text).toContain(`已发布通报 #${circular.id}《关于报送9月工作台账的通知》，发给 群 lianxi、zhenjie。`)
      expect((await chat('wangjian', '通报 发布 群 wuxiao 标题\n正文')).text).toContain('没有名为「wuxiao」的群。已配置的群：lianxi、zhenjie。')
    })
  })

  describe('preview and send', () => {
    it('stores a draft and writes no outbox row; the reply shows the recipients’ text, the audience size and the units', async () => {
      const rowsBefore = await ds.getRepository(OutboxMessageSchema).count()
      const { text } = await chat('wangjian', '通报 预览 镇 关于开展作风大排查的通知\n各镇对照清单自查。')
      const draft = await lastCircular()
      expect(draft.status).toBe('draft')
      expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(rowsBefore)
      expect(await ds.getRepository(CircularReceiptSchema).countBy({ circularId: draft.id })).toBe(0)
      expect(text).toBe(
        [
          `**预览：通报 #${draft.id}（草稿，尚未发送）**`,
          '受众：各镇，4 人（2 个单位：城关镇、后港镇）',
          '────── 收件人将看到 ──────',
          `**【通报】关于开展作风大排查的通知**\n各镇对照清单自查。\n——县委组织部\n> 阅后请回复「收到 ${draft.id}」`,
          '──────────────',
          `确认无误请发送「通报 发送 ${draft.id}」`,
        ].join('\n'),
      )
      // Without a verb, an audience and a title are a preview too: nothing is sent unasked.
      await chat('wangjian', '通报 县直 关于X的通知\n正文')
      expect((await lastCircular()).status).toBe('draft')
      expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(rowsBefore)
    })

    it('sends a draft once: exactly the previewed text; a second send is refused', async () => {
      const { text: previewText } = await chat('wangjian', '通报 预览 县直 关于报送半年总结的通知\n请于9月15日前报送。')
      const draft = await lastCircular()
      const { text } = await chat('wangjian', `通报 发送 ${draft.id}`)
      expect(text).toContain(`已发布通报 #${draft.id}《关于报送半年总结的通知》，发给 1 个单位 2 人。`)
      const copies = await copiesOf(draft.id)
      expect(copies).toHaveLength(2)
      expect(previewText).toContain(readerText(copies[0]!.payload))
      expect((await chat('wangjian', `通报 发送 ${draft.id}`)).text).toContain(`通报 #${draft.id} 已于 10:00 由王健发送，不能再发送。`)
      expect(await copiesOf(draft.id)).toHaveLength(2)
      expect((await chat('wangjian', '通报 发送 99999')).text).toContain('没有编号为 #99999 的通报草稿。')
    })
  })

  describe('typical-case exposure', () => {
    it('links the ledger items and inspections it names and marks them typical cases', async () => {
      const { overdue } = fixture.items
      const { text } = await chat('wangjian', `通报 典型 全体 关于城关镇招商引资不作为问题的通报\n经查，#${overdue} 长期未整改（督查#${fixture.inspection}）。`)
      const circular = await lastCircular()
      expect(text).toContain(`已发布典型案例通报 #${circular.id}`)
      expect(circular.kind).toBe('typical_case')
      expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: overdue })).isTypicalCase).toBe(true)
      expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: fixture.items.soon })).isTypicalCase).toBe(false)
      expect((await ds.getRepository(InspectionSchema).findOneByOrFail({ id: fixture.inspection })).isTypicalCase).toBe(true)
      expect(readerText((await copiesOf(circular.id))[0]!.payload)).toContain('**【典型案例通报】关于城关镇招商引资不作为问题的通报**')
      expect((await chat('wangjian', `通报 状态 ${circular.id}`)).text.split('\n').slice(-2)).toEqual([
        `关联台账：#${overdue} 城关镇 招商引资项目跑办不积极，两个竞…`,
        `关联督查：督查#${fixture.inspection} 城关镇 便民服务大厅工作日上午无人值守`,
      ])
    })

    it('refuses numbers that do not exist, and a typical case naming nothing; a preview marks nothing', async () => {
      const before = await ds.getRepository(CircularSchema).count()
      expect((await chat('wangjian', '通报 典型 镇 关于#99999的通报\n正文 督查#88888')).text).toContain('没有台账事项 #99999；没有督查记录 督查#88888，请核对编号。')
      expect((await chat('wangjian', '通报 典型 镇 关于某问题的通报\n没有写编号')).text).toContain('典型案例通报请在标题或正文中写明所涉台账编号')
      expect(await ds.getRepository(CircularSchema).count()).toBe(before)
      const { text } = await chat('wangjian', `通报 预览 典型 镇 关于#${fixture.items.soon}的通报\n正文`)
      expect(text).toContain(`关联台账：#${fixture.items.soon} 城关镇 便民服务大厅办事群众反映多头跑\n发送后以上事项标记为典型案例，其「详情」显示本通报。`)
      expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: fixture.items.soon })).isTypicalCase).toBe(false)
    })
  })

  describe('收到 and 通报 状态', () => {
    it('counts acknowledgements once each and lists the units not acknowledged', async () => {
      const { circular } = await publish('全体', '关于国庆期间值班安排的通知')
      const id = circular.id
      expect((await chat('chenjing', `收到 ${id}`)).text).toBe(`已确认收到通报 #${id}《关于国庆期间值班安排的通知》，谢谢。`)
      expect((await chat('chenjing', `ack #${id}`)).text).toBe(`您已于 2015/09/07 10:00 确认收到通报 #${id}《关于国庆期间值班安排的通知》，无需重复。`)
      expect((await chat('qianhua', `收到 ${id}`)).text).toContain('已确认收到')
      expect((await chat('zhoumin', `收到 ${id}`)).text).toContain('已确认收到')
      const { text } = await chat('wangjian', `通报 状态 ${id}`)
      expect(text.split('\n')).toEqual([
        `**通报 #${id} 确认情况**`,
        '《关于国庆期间值班安排的通知》· 全体单位 · 9月7日发出',
        // Nothing delivered yet (no worker runs here): the three who replied say so.
        '已送达 0/6 人（6 人待发送）',
        '已确认 3 人（含 3 人在消息送达前回复），未确认 3 人',
        '未确认的单位（2 个）：',
        '- 城关镇：张伟（第一责任人）',
        '- 后港镇：孙丽（第一责任人）、何军（联络员）',
      ])
      const acked = await ds.getRepository(CircularReceiptSchema).createQueryBuilder('r').where('r.circular_id = :id AND r.acknowledged_at IS NOT NULL', { id }).getCount()
      expect(acked).toBe(3)
    })

    it('refuses 收到 politely for a circular the person did not receive, and for unknown numbers', async () => {
      const { circular } = await publish('县直', '关于人社系统的通知')
      expect((await chat('zhangwei', `收到 ${circular.id}`)).text).toBe(`通报 #${circular.id} 不是发给您的，无需确认。`)
      expect((await chat('zhangwei', '收到 99999')).text).toBe('没有编号为 #99999 的通报，请核对编号（见通报末尾「收到 编号」）。')
    })

    it('lists recent circulars with drafts and acknowledgement counts', async () => {
      const { text } = await chat('wangjian', '通报')
      const lines = text.split('\n')
      expect(lines[0]).toBe('**最近的通报**')
      expect(lines).toHaveLength(12)
      expect(lines[1]).toMatch(/^- #\d+ 关于人社系统的通知 · 9月7日 · 确认 0\/2$/)
      expect(text).toContain('关于国庆期间值班安排的通知 · 9月7日 · 确认 3/6')
      expect(text).toContain('· 草稿')
      expect((await chat('wangjian', '通报 列表')).text).toBe(text)
    })
  })

  describe('bad input', () => {
    it('answers in Chinese with the usage and an example, and writes nothing', async () => {
      const before = await ds.getRepository(CircularSchema).count()
      const unknownAudience = (await chat('wangjian', '通报 发布 各位领导 标题\n正文')).text
      expect(unknownAudience).toBe(`不认识的受众「各位领导」。受众可写：全体、镇、县直、单位 名称,名称、联席会议、群 群名。\n${USAGE}\n示例：通报 发布 镇 关于报送8月工作台账的通知\n请各镇于9月5日前报送本月台账。`)
      expect((await chat('wangjian', '通报 发布 镇\n正文')).text).toContain(`缺少标题：受众后面写标题，正文从第二行起写。\n${USAGE}`)
      expect((await chat('wangjian', '通报 发布 镇 只有标题')).text).toContain('缺少正文：请从第二行起写通报正文。')
      expect((await chat('wangjian', '通报 发布')).text).toContain('缺少受众。')
      expect((await chat('wangjian', '通报 状态 abc')).text).toContain('「abc」不是有效的通报编号')
      expect((await chat('wangjian', '通报 撤回 99999')).text).toBe('没有编号为 #99999 的通报。')
      expect((await chat('wangjian', '通报 状态 99999')).text).toContain('没有编号为 #99999 的通报。')
      expect(await ds.getRepository(CircularSchema).count()).toBe(before)
    })

    it('is for the organization department only', async () => {
      expect((await chat('zhangwei', '通报 发布 镇 标题\n正文')).text).toContain('「通报」只有组织部（干部监督科）可以使用')
    })
  })

  describe('收到 without a number', () => {
    it('acknowledges the one circular waiting, lists several, and says when none waits', async () => {
      await publish('全体', '关于开展谈心谈话的通知')
      const { circular: newest } = await publish('全体', '关于报送整改清单的通知')
      const zhangwei = (await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhangwei' })).id
      const waiting = async () =>
        (await ds.getRepository(CircularReceiptSchema).find({ where: { personId: zhangwei, acknowledgedAt: IsNull() } }))
          .map((r) => r.circularId)
          .sort((a, b) => b - a)
      const pending = await waiting()
      expect(pending.length).toBeGreaterThanOrEqual(2)
      const listed = (await chat('zhangwei', '收到')).text.split('\n')
      expect(listed[0]).toBe(`您有 ${pending.length} 份通报待确认，请逐份回复「收到 编号」：`)
      expect(listed[1]).toBe(`- #${newest.id}《关于报送整改清单的通知》（9月7日）`)
      expect(await waiting()).toEqual(pending)
      for (const id of pending.slice(0, -1)) await chat('zhangwei', `收到 ${id}`)
      const last = pending.at(-1)!
      expect((await chat('zhangwei', '收到')).text).toMatch(new RegExp(`^已确认收到通报 #${last}《.+》，谢谢。$`))
      expect((await chat('zhangwei', '收到')).text).toBe('您没有待确认的通报。')
      expect(await waiting()).toEqual([])
    })
  })
})
