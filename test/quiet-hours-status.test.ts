import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { In, type DataSource } from 'typeorm'
import { CircularReceiptSchema, OutboxMessageSchema, PersonSchema } from '../src/db/entities/index.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** Beijing wall-clock time as an instant. */
const beijing = (iso: string) => new Date(`${iso}+08:00`)
/** Not the default window: the status must read the service's own (QUIET_HOURS=22:00-07:30). */
const QUIET_HOURS = { startMinute: 22 * 60, endMinute: 7 * 60 + 30 }

/**
 * 通报 状态 during quiet hours: copies the worker holds back say when they go, and
 * acknowledgements beyond deliveries say why (docs/delivery.md, Quiet hours).
 */
describe(`通报 状态 says when held copies go, through the callback, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  const clock = { now: beijing('2015-09-07T22:30:00') }
  let id = 0

  const say = async (from: string, text: string) => (await rig.say(from, text)).answer
  const statusLines = async () => (await say('wangjian', `通报 状态 ${id}`)).split('\n')

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedCircularAudience(ds)
    // The rig reads `now` from its options at every message: the clock moves through the night.
    // Its dispatcher gets the service's quiet window, as start-service passes config.quietHours.
    const options = { get now() { return clock.now }, quietHours: QUIET_HOURS }
    rig = await startCallbackRig(ds, options)
    const published = await say('wangjian', '通报 发布 全体 关于国庆期间值班安排的通知\n请各单位于9月25日前报送值班表。')
    id = Number(/#(\d+)/.exec(published)![1])
    // Two reply 收到 before their copies went out (they heard of it at a meeting).
    expect(await say('chenjing', `收到 ${id}`)).toContain('已确认收到')
    expect(await say('zhoumin', '收到')).toContain('已确认收到')
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  it('at night: every copy waits for the end of quiet hours, tomorrow at 07:30', async () => {
    expect((await statusLines()).slice(0, 4)).toEqual([
      `**通报 #${id} 确认情况**`,
      '《关于国庆期间值班安排的通知》· 全体单位 · 9月7日发出',
      '已送达 0/6 人（6 人待发送：静默时段，明天 07:30 后发送）',
      '已确认 2 人（含 2 人在消息送达前回复），未确认 4 人',
    ])
  })

  it('after midnight the same quiet hours end today', async () => {
    clock.now = beijing('2015-09-08T06:00:00')
    expect((await statusLines())[2]).toBe('已送达 0/6 人（6 人待发送：静默时段，07:30 后发送）')
  })

  it('in the day: what was delivered is counted, what still waits or failed is said without a quiet-hours note', async () => {
    clock.now = beijing('2015-09-08T09:00:00')
    // The worker delivered four copies (陈静's among them), and gave up on one.
    const people = await ds.getRepository(PersonSchema).findBy({ userid: In(['chenjing', 'zhangwei', 'sunli', 'qianhua', 'hejun']) })
    const rowOf = async (userid: string) => (await ds.getRepository(CircularReceiptSchema).findOneByOrFail({ circularId: id, personId: people.find((p) => p.userid === userid)!.id })).outboxMessageId!
    for (const userid of ['chenjing', 'zhangwei', 'sunli', 'qianhua']) await ds.getRepository(OutboxMessageSchema).update({ id: await rowOf(userid) }, { status: 'sent' })
    await ds.getRepository(OutboxMessageSchema).update({ id: await rowOf('hejun') }, { status: 'dead' })
    expect((await statusLines()).slice(2, 4)).toEqual(['已送达 4/6 人（1 人待发送，1 人发送失败）', '已确认 2 人（含 1 人在消息送达前回复），未确认 4 人'])
  })
})
