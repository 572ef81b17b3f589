import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { enqueue, enqueueMany } from '../src/outbox/enqueue.js'
import { circularStatus } from '../src/domain/circulars/circular-status.js'
import { CircularSchema, OutboxMessageSchema, PersonSchema, type OutboxMessage } from '../src/db/entities/index.js'
import { markdown, text } from '../src/wecom/messages.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { chatAs } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const bj = (at: string) => new Date(`${at}+08:00`)
/** Friday 11 September 2015, 15:00 in Beijing. */
const NOW = bj('2015-09-11T15:00:00')

/** Outbox rows carry what they are about (docs/delivery.md, Subjects). */
describe(`outbox subjects on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let chat: ReturnType<typeof chatAs>
  const outbox = () => ds.getRepository(OutboxMessageSchema)
  const personId = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
  const subjectOf = (r: OutboxMessage) => [r.subjectKind, r.subjectId, r.personId]

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedCircularAudience(ds)
    chat = chatAs(ds, NOW, { robotNames: ['lianxi', 'zhenjie'] })
  })
  afterAll(async () => {
    await db?.close()
  })

  it('stores the subject on every row of a message; the person when it goes to one member, looked up when not given', async () => {
    const [zhangwei, hejun] = [await personId('zhangwei'), await personId('hejun')]
    await ds.transaction(async (m) => {
      await enqueue(m, { dedupeKey: 'subject:one', subject: { kind: 'item', id: 7 }, to: { users: ['ZhangWei'] }, message: markdown('一人') }, NOW)
      await enqueue(m, { dedupeKey: 'subject:named', subject: { kind: 'item', id: 7, person: hejun }, to: { users: ['hejun'] }, message: markdown('已知其人') }, NOW)
      // 何军 reads in WeChat: his plain-text copy is a row of its own, of the same message.
      await enqueue(m, { dedupeKey: 'subject:two', subject: { kind: 'item', id: 8 }, to: { users: ['zhangwei', 'hejun'] }, message: markdown('两人') }, NOW)
      await enqueue(m, { dedupeKey: 'subject:robot', subject: { kind: 'alert', id: null }, to: { robot: 'lianxi' }, message: markdown('群') }, NOW)
      await enqueue(m, { dedupeKey: 'subject:nobody', subject: { kind: 'reply', id: 3 }, to: { users: ['nobody'] }, message: text('不在花名册') }, NOW)
      await enqueue(m, { dedupeKey: 'subject:recall', subject: { kind: 'circular_recall', id: 5, person: zhangwei }, recall: 'msg-1' }, NOW)
      await enqueueMany(
        m,
        [
          { dedupeKey: 'subject:many:1', subject: { kind: 'digest', id: null }, to: { users: ['zhangwei'] }, message: markdown('摘要') },
          { dedupeKey: 'subject:many:2', subject: { kind: 'digest', id: null }, to: { users: ['chenjing', 'sunli'] }, message: markdown('汇总') },
          { dedupeKey: 'subject:many:3', subject: { kind: 'circular', id: 9, person: hejun }, to: { users: ['hejun'] }, message: markdown('通报') },
        ],
        NOW,
      )
    })
    const rows = await outbox().find({ where: {}, order: { id: 'ASC' } })
    const byKey = new Map(rows.filter((r) => r.dedupeKey.startsWith('subject:')).map((r) => [r.dedupeKey, subjectOf(r)]))
    expect(Object.fromEntries(byKey)).toEqual({
      'subject:one': ['item', 7, zhangwei],
      'subject:named': ['item', 7, hejun],
      'subject:two': ['item', 8, null],
      'subject:two#2': ['item', 8, null],
      'subject:robot': ['alert', null, null],
      'subject:nobody': ['reply', 3, null],
      'subject:recall': ['circular_recall', 5, zhangwei],
      'subject:many:1': ['digest', null, zhangwei],
      'subject:many:2': ['digest', null, null],
      'subject:many:3': ['circular', 9, hejun],
    })
    const recall = rows.find((r) => r.dedupeKey === 'subject:recall')!
    expect([recall.channel, recall.msgType, recall.recipients, recall.payload, recall.urgent]).toEqual(['recall', 'recall', '{"msgid":"msg-1"}', '{"msgid":"msg-1"}', false])
    // A person named for a message that does not go to one member is a mistake of the caller.
    await expect(
      ds.transaction((m) => enqueue(m, { dedupeKey: 'subject:wrong', subject: { kind: 'item', id: 1, person: zhangwei }, to: { users: ['zhangwei', 'hejun'] }, message: text('错') }, NOW)),
    ).rejects.toThrow('subject person')
  })

  it('recalls and reports circular 1 without touching circular 12 (whose keys begin the same), and the other way round', async () => {
    const publish = async (audience: string, title: string) => {
      await chat('wangjian', `通报 发布 ${audience} ${title}\n请于9月18日前报送。`)
      return ds.getRepository(CircularSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
    }
    const first = await publish('镇', '关于报送9月工作台账的通知')
    expect(first.id).toBe(1)
    for (let i = 2; i <= 11; i += 1) await chat('wangjian', `通报 预览 镇 草稿${i}\n正文`)
    const twelfth = await publish('镇', '关于开展作风大排查的通知')
    expect(twelfth.id).toBe(12)
    const robots = await publish('群 lianxi,zhenjie', '关于值班安排的通知')

    const rowsOf = (id: number) => outbox().find({ where: { subjectKind: 'circular', subjectId: id }, order: { id: 'ASC' } })
    // Circular 1's copies went out an hour ago; circular 12's wait in the outbox.
    for (const copy of await rowsOf(1)) await outbox().update({ id: copy.id }, { status: 'sent', sentAt: bj('2015-09-11T14:00:00'), wecomMsgid: `msg${copy.id}` })
    const copies1 = await rowsOf(1)
    const before12 = await rowsOf(12)
    expect(copies1).toHaveLength(4)
    expect(before12).toHaveLength(4)
    expect(before12.every((r) => r.status === 'pending')).toBe(true)
    // Each copy names its recipient.
    expect(copies1.map((r) => r.personId).sort()).toEqual((await Promise.all(['zhangwei', 'chenjing', 'sunli', 'hejun'].map(personId))).sort())

    const status1 = await circularStatus(ds, 1)
    expect(status1.receipts.filter((r) => r.sent)).toHaveLength(4)
    expect(status1.robots).toEqual([])
    const status12 = await circularStatus(ds, 12)
    expect(status12.receipts.filter((r) => r.sent)).toHaveLength(0)
    expect((await circularStatus(ds, robots.id)).robots).toEqual([
      { name: 'lianxi', status: 'pending' },
      { name: 'zhenjie', status: 'pending' },
    ])

    const reply1 = await chat('wangjian', '通报 撤回 1')
    expect(reply1.text).toContain('已发出的 4 份正在从企业微信撤回')
    expect(reply1.text).not.toContain('未发出')
    // 何军's copy went to the WeChat plugin: he alone is told.
    expect(reply1.text).toContain('微信插件中的副本（何军）')
    const recalls = await outbox().find({ where: { subjectKind: 'circular_recall', subjectId: 1 }, order: { id: 'ASC' } })
    expect(recalls.filter((r) => r.channel === 'recall').map((r) => [r.subjectId, r.personId, r.payload])).toEqual(copies1.map((c) => [1, c.personId, JSON.stringify({ msgid: `msg${c.id}` })]))
    expect(recalls.filter((r) => r.channel !== 'recall').map((r) => [r.dedupeKey, r.subjectId, r.personId])).toEqual([[`circular-recalled:1:${await personId('hejun')}`, 1, await personId('hejun')]])
    // Circular 12 is as it was.
    expect(await rowsOf(12)).toEqual(before12)
    expect((await ds.getRepository(CircularSchema).findOneByOrFail({ id: 12 })).status).toBe('sent')

    const reply12 = await chat('wangjian', '通报 撤回 12')
    expect(reply12.text).toContain('未发出的 4 份已取消')
    expect(reply12.text).not.toContain('撤回说明')
    expect((await rowsOf(12)).map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled'])
    // Nothing more for circular 1: its copies still sent, no recall of circular 12.
    expect(await rowsOf(1)).toEqual(copies1)
    expect(await outbox().countBy({ subjectKind: 'circular_recall', subjectId: 12 })).toBe(0)
  })
})
