import { beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { OutboxMessageSchema, PersonSchema } from '../src/db/entities/index.js'
import { createLogger } from '../src/logger.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { chatAs } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** Monday 2015-09-07 10:00 Beijing. */
const START = Date.parse('2015-09-07T02:00:00Z')

describe(`circulars through the fake WeCom server on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let clock: number
  let chat: ReturnType<typeof chatAs>
  const rows = (prefix: string) => ds.getRepository(OutboxMessageSchema).createQueryBuilder('o').where('o.dedupe_key LIKE :k', { k: `${prefix}%` }).orderBy('o.id').getMany()
  const lastId = async () => Number((await ds.query('SELECT MAX(id) AS id FROM circular'))[0].id)

  function worker(batchSize = 50) {
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock })
    return createDeliveryWorker({
      dataSource: ds,
      transport: createWeComTransport(client, { lianxi: 'robot-key-1' }),
      logger: createLogger('silent'),
      quietHours: { startMinute: 0, endMinute: 0 },
      now: () => new Date(clock),
      random: () => 0,
      batchSize,
    })
  }

  beforeEach(async () => {
    clock = START
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedCircularAudience(ds)
    // 陈静 reads WeCom in WeChat (微信插件): her copy cannot be recalled there.
    await ds.getRepository(PersonSchema).update({ userid: 'chenjing' }, { viaWechat: true })
    await ds.getRepository(PersonSchema).update({ userid: 'hejun' }, { viaWechat: false })
    fake = await startFakeWeCom({ now: () => clock })
    chat = chatAs(ds, () => new Date(clock), { robotNames: ['lianxi'] })
    return async () => {
      await fake.close()
      await db.close()
    }
  })

  describe('通报 撤回', () => {
    it('recalls the copies already sent through message/recall, cancels those not sent, and says what stays', async () => {
      await chat('wangjian', '通报 发布 镇 关于报送9月工作台账的通知\n请于9月10日前报送。')
      const id = await lastId()
      // The worker sends the first two copies (张伟, then 陈静) before the recall; two are left.
      expect((await worker(2).runOnce()).sent).toBe(2)
      // Different recipients go in parallel: compared in msgid order.
      const sent = fake.delivered.map((d) => ({ to: d.touser[0], msgid: d.msgid })).sort((a, b) => a.msgid.localeCompare(b.msgid))
      expect(sent.map((s) => s.to).sort()).toEqual(['chenjing', 'zhangwei'])
      clock += 3_600_000
      const { text } = await chat('wangjian', `通报 撤回 ${id}`)
      expect(text).toBe(`已撤回通报 #${id}《关于报送9月工作台账的通知》。\n已发出的 2 份正在从企业微信撤回，未发出的 2 份已取消。\n无法撤回：微信插件中的副本（陈静），已另发撤回说明。`)
      expect((await rows(`circular:${id}:`)).map((r) => r.status).sort()).toEqual(['cancelled', 'cancelled', 'sent', 'sent'])
      await worker().runOnce()
      const byMsgid = (a: { msgid: string }, b: { msgid: string }) => a.msgid.localeCompare(b.msgid)
      expect([...fake.recalls].sort(byMsgid)).toEqual(sent.map((s) => ({ msgid: s.msgid, errcode: 0 })))
      expect(fake.requests.filter((r) => r.api === 'message/recall').map((r) => JSON.parse(String(r.body)) as { msgid: string }).sort(byMsgid)).toEqual(sent.map((s) => ({ msgid: s.msgid })))
      // The cancelled copies never reach WeCom; 陈静 gets the note, in plain text.
      const later = fake.delivered.slice(2)
      expect(later.map((d) => [d.touser, d.msgtype])).toEqual([[['chenjing'], 'text']])
      expect((later[0]!.body.text as { content: string }).content).toBe(`通报 #${id}《关于报送9月工作台账的通知》已撤回，请勿执行，以组织部后续通知为准。`)
      // Twice is refused, with the usage.
      expect((await chat('wangjian', `通报 撤回 ${id}`)).text).toMatch(new RegExp(`^通报 #${id} 已于 .+ 撤回过了。$`))
      expect((await chat('zhangwei', `收到 ${id}`)).text).toContain(`通报 #${id} 已撤回，无需确认。`)
      expect((await chat('wangjian', `通报 状态 ${id}`)).text).toContain('确认情况（已撤回）')
    })

    it('refuses after WeCom’s 24-hour window, and says group-robot copies cannot be recalled', async () => {
      await chat('wangjian', '通报 发布 县直 关于报送半年总结的通知\n请于9月15日前报送。')
      const late = await lastId()
      await chat('wangjian', '通报 发布 群 lianxi 关于报送半年总结的通知\n请于9月15日前报送。')
      const robot = await lastId()
      expect((await worker().runOnce()).sent).toBe(3)
      clock += 25 * 3_600_000
      expect((await chat('wangjian', `通报 撤回 ${late}`)).text).toMatch(/^通报 #\d+ 发出已超过 24 小时，企业微信不允许撤回。如需更正，请发布更正通报。$/)
      expect((await rows(`circular-recall:${late}:`)).length).toBe(0)
      expect((await chat('wangjian', `通报 撤回 ${robot}`)).text).toContain('无法撤回：群机器人消息（群 lianxi），请在群内说明。')
      expect(fake.recalls).toEqual([])
    })
  })

  describe('group robot', () => {
    it('spreads more than 20 copies a minute over the next minute: none dropped, WeCom never refuses one', async () => {
      for (let i = 1; i <= 25; i += 1) await chat('wangjian', `通报 发布 群 lianxi 第${i}号通知\n正文${i}`)
      const first = await worker().runOnce()
      expect(first).toMatchObject({ claimed: 25, sent: 20, deferred: 5, dead: 0 })
      expect(fake.robotMessages).toHaveLength(20)
      const waiting = (await rows('circular:')).filter((r) => r.status === 'pending')
      expect(waiting).toHaveLength(5)
      for (const row of waiting) expect(row.nextAttemptAt.getTime()).toBeGreaterThan(clock + 59_000)
      clock += 30_000
      expect((await worker().runOnce()).claimed).toBe(0)
      clock += 31_000
      expect((await worker().runOnce()).sent).toBe(5)
      expect(fake.robotMessages).toHaveLength(25)
      expect(new Set(fake.robotMessages.map((m) => (m.body.markdown as { content: string }).content.split('\n')[0])).size).toBe(25)
      expect(fake.requests.filter((r) => r.api === 'webhook/send').map((r) => r.outcome)).toEqual(Array(25).fill(0))
      expect((await rows('circular:')).every((r) => r.status === 'sent')).toBe(true)
    })
  })
})
