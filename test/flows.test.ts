import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { commands } from '../commands/index.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { ExtensionRequestSchema, InboundMessageSchema, LedgerItemSchema, MonthlyReportSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { createApp } from '../src/http/create-app.js'
import { createLogger } from '../src/logger.js'
import { toPlainText, type AppMessage } from '../src/wecom/messages.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { openPassiveReply, post, SECRETS, sign, textXml } from './helpers/wecom-callback-client.js'

/** 2015-08-31 10:00 in Beijing. */
const NOW = new Date('2015-08-31T02:00:00Z')

describe(`end-to-end flows through the real callback on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let server: Server
  let url: string
  let items: Awaited<ReturnType<typeof seedLedger>>['items']

  /** Sends as WeCom does and returns what the person reads: the passive reply or the outbox answer. */
  async function say(from: string, content: string): Promise<string> {
    const response = await post(url, sign(textXml(from, content, { at: NOW }), { at: NOW }))
    expect(response.status).toBe(200)
    const body = await response.text()
    if (body) return openPassiveReply(body).content
    const inbound = await ds.getRepository(InboundMessageSchema).findOneOrFail({ where: { fromUser: from }, order: { id: 'DESC' } })
    const reply = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: `reply:${inbound.id}` })
    const plain = toPlainText(JSON.parse(reply.payload) as AppMessage)
    return plain.msgtype === 'text' ? plain.text.content : ''
  }
  const notices = async (prefix: string) => (await ds.getRepository(OutboxMessageSchema).find()).filter((m) => m.dedupeKey.startsWith(prefix))

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    ;({ items } = await seedLedger(ds))
    const app = createApp({
      dataSource: ds,
      logger: createLogger('silent'),
      deliveryMode: 'wecom',
      now: () => NOW,
      callback: { path: '/wecom/callback', secrets: SECRETS, dispatcher: createDispatcher({ dataSource: ds, registry: createCommandRegistry(commands), now: () => NOW }) },
    })
    server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`
  })
  afterAll(async () => {
    server?.close()
    await db?.close()
  })

  it('progress → done → close', async () => {
    expect(await say('zhaolei', `进度 ${items.overdue} 60% 已完成初步整改`)).toContain('40% → 60%')
    expect(await say('zhaolei', `完成 ${items.overdue} 两个项目均已申报`)).toContain('已通知组织部核实销号')
    expect((await notices(`rectified:${items.overdue}:`)).map((n) => JSON.parse(n.recipients).touser)).toEqual([['wangjian']])
    expect(await say('wangjian', `销号 ${items.overdue} 经核实到位`)).toBe(`已销号 #${items.overdue}。已通知责任人。`)
    expect(await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: items.overdue })).toMatchObject({ status: 'closed', progress: 100 })
    expect(await notices(`close:${items.overdue}:`)).toHaveLength(1)
  })

  it('extend → approve moves the due date', async () => {
    expect(await say('wufang', `延期 ${items.other} 10月30日 人员调整`)).toMatch(/^已提交延期申请 #\d+/)
    const request = await ds.getRepository(ExtensionRequestSchema).findOneByOrFail({ ledgerItemId: items.other })
    expect(await say('wangjian', `批准 ${request.id}`)).toContain('时限改为 10月30日')
    expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: items.other })).dueDate).toBe('2015-10-30')
    expect(await say('wufang', '我的')).toContain('10月30日到期')
  })

  it('add with a missing field is refused with the format, and nothing is written', async () => {
    const before = await ds.getRepository(LedgerItemSchema).count()
    expect(await say('chenjing', '登记\n类别：(二)\n问题：会议多、落实少')).toContain('未登记：缺少 措施、目标、时限、责任领导、责任人')
    expect(await ds.getRepository(LedgerItemSchema).count()).toBe(before)
  })

  it('monthly report submit and resubmit', async () => {
    expect(await say('chenjing', '月报 本月召开推进会1次，查摆问题3个。')).toContain('已提交城关镇8月月报')
    expect(await say('zhangwei', '月报 本月召开推进会2次，查摆问题3个，已整改1个。')).toContain('第 2 版')
    expect(await ds.getRepository(MonthlyReportSchema).findOneByOrFail({ month: '2015-08' })).toMatchObject({ revision: 2 })
    expect(await say('chenjing', '月报')).toContain('城关镇8月月报：已提交（第 2 版')
  })
})
