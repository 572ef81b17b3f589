import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { LedgerItemSchema, OutboxMessageSchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T02:00:00Z')
const message = (lines: Record<string, string>) => `登记\n${Object.entries(lines).map(([k, v]) => `${k}：${v}`).join('\n')}`
const FULL = { 类别: '(四)', 问题: '信访件转办后推诿扯皮，久拖不决', 措施: '建立首办责任制和限时办结制', 目标: '积案全部化解', 时限: '9月30日', 责任领导: '李娜', 责任人: '赵磊' }

describe(`登记 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let chat: ReturnType<typeof chatAs>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedLedger(ds)
    // A namesake in another unit, and one in the same unit, to test name resolution.
    await seedRoster(ds, '后港镇', [{ userid: 'zhaolei2', name: '赵磊' }])
    await seedRoster(ds, '城关镇', [
      { userid: 'wangfang1', name: '王芳' },
      { userid: 'wangfang2', name: '王芳' },
    ])
    chat = chatAs(ds, NOW)
  })
  afterAll(async () => {
    await db?.close()
  })

  it('registers an item for the liaison’s unit, with history and a notice to the responsible people', async () => {
    const { text } = await chat('chenjing', message(FULL))
    const id = Number(/^已登记 #(\d+)：/.exec(text)?.[1])
    expect(text).toBe(`已登记 #${id}：信访件转办后推诿扯皮，久拖不决\n类别 (四)推诿扯皮不主动 · 时限 9月30日 · 责任领导 李娜 · 责任人 赵磊\n已通知责任人。`)
    const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id })
    expect(item).toMatchObject({ status: 'open', progress: 0, dueDate: '2015-09-30', originalDueDate: '2015-09-30', measures: '建立首办责任制和限时办结制' })
    expect(await ds.getRepository(ProgressUpdateSchema).countBy({ ledgerItemId: id, kind: 'created' })).toBe(1)
    const notice = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: `registered:${id}` })
    expect(JSON.parse(notice.recipients).touser.sort()).toEqual(['lina', 'zhaolei'])
    expect((await chat('zhaolei', '我的')).text).toContain(`#${id} 信访件转办后推诿扯皮`)
  })

  it('accepts the category by name or number and half-width colons', async () => {
    const { text } = await chat('zhangwei', message({ ...FULL, 问题: '窗口服务态度生硬', 类别: '服务群众不热心', 时限: '下月底' }).replaceAll('：', ':'))
    expect(text).toContain('类别 (六)服务群众不热心 · 时限 9月30日')
  })

  it('lists every missing field with the format to use', async () => {
    const { text } = await chat('chenjing', message({ 类别: '二', 问题: '问题描述' }))
    expect(text).toContain('未登记：缺少 措施、目标、时限、责任领导、责任人。请按下面的格式每项一行发送：')
    expect(text).toContain('责任人：赵磊')
  })

  it('lists every problem with names and the category at once', async () => {
    const { text } = await chat('chenjing', message({ ...FULL, 类别: '不知道', 责任领导: '王芳', 责任人: '孙丽' }))
    expect(text.split('\n').slice(0, 4)).toEqual([
      '未登记，请修改后重发：',
      '- 问题类别「不知道」无法识别，可写：(一)促进发展不敢为、(二)履行职责不担当、(三)工作态度不积极、(四)推诿扯皮不主动、(五)降低标准不尽责、(六)服务群众不热心、(七)缺乏激情不进取、(八)因循守旧不敢闯（写编号或名称均可）',
      '- 责任领导「王芳」有重名：王芳（wangfang1）、王芳（wangfang2），请改写企业微信账号',
      '- 责任人「孙丽」不是本单位人员',
    ])
    expect((await chat('chenjing', message({ ...FULL, 责任领导: 'wangfang2', 责任人: '无此人' }))).text).toContain('- 责任人「无此人」不在花名册中')
  })

  it('is refused to staff, and to a unit head for another unit; the organization department names the unit', async () => {
    expect((await chat('zhaolei', message(FULL))).text).toContain('「登记」只有第一责任人、联络员、组织部（干部监督科）可以使用')
    expect((await chat('zhangwei', message({ 单位: '后港镇', ...FULL }))).text).toContain('只能为本单位登记台账')
    const { text } = await chat('wangjian', message({ 单位: '后港镇', ...FULL, 责任领导: '孙丽', 责任人: '吴芳' }))
    expect(text).toMatch(/^已登记 #\d+：/)
    expect((await chat('chenjing', message({ ...FULL, 时限: '8月1日' }))).text).toBe('未登记，请修改后重发：\n- 完成时限 2015年8月1日 已过')
  })
})
