import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { OutboxMessageSchema } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { addLedgerItem, seedLedger } from './helpers/ledger-fixture.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { fakeWeComWorker } from './helpers/cards.js'

const bj = (at: string) => new Date(`${at}+08:00`)

/** Cards and their updates through the delivery worker and the fake WeCom server (docs/cards.md). */
describe(`cards through the fake WeCom server on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  const clock = { now: bj('2015-08-31T09:00:00') }

  const worker = (options: { cards?: boolean } = {}) => fakeWeComWorker(ds, fake, clock, options)

  /** The 销号 card the fake delivered for an item: its task id and recipients. */
  const verifyCardOf = (itemId: number) => {
    const entry = [...fake.cards.entries()].find(([, sent]) => (sent.card as { main_title: { title: string } }).main_title.title === `待核实销号 #${itemId}`)
    if (!entry) throw new Error(`no card for #${itemId}`)
    return { taskId: entry[0], touser: entry[1].touser }
  }

  beforeEach(async () => {
    clock.now = bj('2015-08-31T09:00:00')
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    await seedRoster(ds, '县委组织部', [{ userid: 'zhoumin', name: '周敏', roles: ['org_admin'] }])
    fake = await startFakeWeCom({ now: () => clock.now.getTime() })
    rig = await startCallbackRig(ds, clock)
  })
  afterEach(async () => {
    await rig?.close()
    await fake?.close()
    await db?.close()
  })

  it('sends a card once with its task id and without its fallback; a retry WeCom answers 42014 counts as delivered', async () => {
    await rig.say('zhaolei', `完成 ${fixture.items.overdue} 两个项目均已申报`)
    // WeCom takes the card, the answer is lost; the retry of the same row finds its task id used.
    fake.inject({ kind: 'deliver-then-drop' }, 1, 'message/send')
    await worker().runOnce()
    const row = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: `rectified:${fixture.items.overdue}:1` })
    expect(row.status).toBe('pending')
    await worker().runOnce()
    expect((await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ id: row.id })).status).toBe('sent')
    const sends = fake.requests.filter((r) => r.api === 'message/send' && String(r.body).includes(row.taskId!))
    expect(sends.map((r) => r.outcome)).toEqual(['dropped after 0', 42014])
    const { touser } = verifyCardOf(fixture.items.overdue)
    expect(touser).toEqual(['wangjian', 'zhoumin'])
    expect(sends.every((r) => !String(r.body).includes('fallback'))).toBe(true)
  })

  it('a tap updates the card for everyone it went to through update_template_card, with the tap’s response code, once', async () => {
    await rig.say('zhaolei', `完成 ${fixture.items.overdue} 两个项目均已申报`)
    await worker().runOnce()
    const { taskId } = verifyCardOf(fixture.items.overdue)
    clock.now = bj('2015-08-31T10:00:00')
    const code = fake.click(taskId, 'zhoumin')
    await rig.tap('zhoumin', taskId, `close:${fixture.items.overdue}`, { responseCode: code })
    await worker().runOnce()
    expect(fake.cardUpdates).toHaveLength(1)
    const [update] = fake.cardUpdates
    expect(update!.userids).toEqual(['wangjian', 'zhoumin'])
    expect(update!.responseCode).toBe(code)
    expect((update!.body.template_card as { replace_text: string; task_id: string }).replace_text).toBe('已销号')
    expect((update!.body.template_card as { task_id: string }).task_id).toBe(taskId)
    await worker().runOnce()
    expect(fake.cardUpdates).toHaveLength(1)
  })

  it('a response code older than 24 hours, or one WeCom refuses, gives way to the outcome as a message', async () => {
    const second = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })
    await rig.say('zhaolei', `完成 ${fixture.items.overdue} 两个项目均已申报`)
    await rig.say('zhaolei', `完成 ${second.id} 已整改`)
    await worker().runOnce()
    clock.now = bj('2015-08-31T10:00:00')
    const first = verifyCardOf(fixture.items.overdue)
    await rig.tap('wangjian', first.taskId, `close:${fixture.items.overdue}`, { responseCode: fake.click(first.taskId, 'wangjian') })
    // The worker was down for a day: the code is past what we design for.
    clock.now = bj('2015-09-01T10:30:00')
    await worker().runOnce()
    expect(fake.cardUpdates).toEqual([])
    const told = fake.delivered.filter((d) => d.msgtype === 'text' && JSON.stringify(d.body).includes(`待核实销号 #${fixture.items.overdue}：已销号（王健`))
    expect(told.map((d) => d.touser)).toEqual([['wangjian', 'zhoumin']])
    // A code the fake never issued: refused (40130), the outcome goes as a message.
    const other = verifyCardOf(second.id)
    await rig.tap('wangjian', other.taskId, `close:${second.id}`, { responseCode: 'not-issued-by-wecom' })
    await worker().runOnce()
    expect(fake.requests.filter((r) => r.api === 'message/update_template_card').map((r) => r.outcome)).toEqual([40130])
    expect(fake.delivered.some((d) => d.msgtype === 'text' && JSON.stringify(d.body).includes(`待核实销号 #${second.id}：已销号`))).toBe(true)
  })

  it('WECOM_CARDS=off: a card row sends its fallback, the text people got before cards', async () => {
    await runSweep(ds, clock.now)
    await worker({ cards: false }).runOnce()
    expect(fake.cards.size).toBe(0)
    const lina = fake.delivered.filter((d) => d.touser.includes('lina'))
    expect(lina.map((d) => d.msgtype)).toEqual(['markdown'])
    expect(JSON.stringify(lina[0]!.body)).toContain('专项治理提醒')
  })
})
