import { beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { CircularReceiptSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { sweepCircularReminders } from '../src/domain/circulars/circular-reminders.js'
import { addWorkingHours } from '../src/time/working-hours.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { chatAs } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** An instant in Beijing time. */
const bj = (text: string) => new Date(`${text}+08:00`)

describe('working hours', () => {
  it('count working days only, midnight to midnight, across weekends and holidays', () => {
    expect(addWorkingHours(bj('2015-09-11T15:00:00'), 24)).toEqual(bj('2015-09-14T15:00:00'))
    expect(addWorkingHours(bj('2015-09-12T10:00:00'), 24)).toEqual(bj('2015-09-15T00:00:00'))
    expect(addWorkingHours(bj('2015-09-14T15:00:00'), 2)).toEqual(bj('2015-09-14T17:00:00'))
    // National Day week 2015: 1–7 October off, Saturday 10 October a make-up working day.
    expect(addWorkingHours(bj('2015-09-30T12:00:00'), 24)).toEqual(bj('2015-10-08T12:00:00'))
  })
})

describe(`the circular reminder on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let id: number
  const reminders = async () =>
    (await ds.getRepository(OutboxMessageSchema).createQueryBuilder('o').where('o.dedupe_key LIKE :k', { k: 'circular-remind:%' }).orderBy('o.id').getMany()).map((r) => ({
      to: JSON.parse(r.recipients).touser[0] as string,
      key: r.dedupeKey,
      content: (JSON.parse(r.payload) as { markdown?: { content: string }; text?: { content: string } }).markdown?.content ?? JSON.parse(r.payload).text.content,
    }))

  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedCircularAudience(ds)
    // Friday 11 September 2015, 15:00: the circular goes to the towns.
    const friday = chatAs(ds, bj('2015-09-11T15:00:00'))
    await friday('wangjian', '通报 发布 镇 关于报送9月工作台账的通知\n请于9月18日前报送。')
    id = (await ds.query('SELECT MAX(id) AS id FROM circular'))[0].id
    // 后港镇's liaison and head acknowledge at once; 城关镇's do not.
    await friday('hejun', `收到 ${id}`)
    await friday('sunli', `收到 ${id}`)
    return () => db.close()
  })

  it('fires once, 24 working hours later (Monday 15:00, the weekend not counted), never on the weekend', async () => {
    for (const at of ['2015-09-11T23:53:00', '2015-09-12T15:03:00', '2015-09-13T18:03:00', '2015-09-14T14:53:00']) {
      expect((await sweepCircularReminders(ds, bj(at), 24)).reminded, at).toBe(0)
    }
    expect(await reminders()).toEqual([])
    expect((await sweepCircularReminders(ds, bj('2015-09-14T15:03:00'), 24)).reminded).toBe(2)
    const sent = await reminders()
    expect(sent.map((r) => [r.to, r.key])).toEqual([
      ['zhangwei', expect.stringMatching(new RegExp(`^circular-remind:${id}:p:\\d+$`))],
      ['chenjing', expect.stringMatching(new RegExp(`^circular-remind:${id}:p:\\d+$`))],
    ])
    for (const at of ['2015-09-14T15:13:00', '2015-09-15T09:03:00']) expect((await sweepCircularReminders(ds, bj(at), 24)).reminded).toBe(0)
    expect(await reminders()).toHaveLength(2)
    expect(await ds.getRepository(CircularReceiptSchema).createQueryBuilder('r').where('r.reminded_at IS NOT NULL').getCount()).toBe(2)
  })

  it('tells the unit head when the liaison has not acknowledged either; the liaison’s own reminder does not', async () => {
    await sweepCircularReminders(ds, bj('2015-09-14T15:03:00'), 24)
    const [head, liaison] = await reminders()
    expect(head!.content).toBe(
      [`**请确认收到通报 #${id}**`, '《关于报送9月工作台账的通知》已于 9月11日 发出，您尚未确认。', '本单位联络员 陈静 也尚未确认，请督促落实。', `阅后请回复「收到 ${id}」`].join('\n'),
    )
    expect(liaison!.content).not.toContain('联络员')
  })

  it('says nothing about the liaison who acknowledged, and reminds nobody who acknowledged in time', async () => {
    await chatAs(ds, bj('2015-09-14T11:00:00'))('chenjing', `收到 ${id}`)
    await sweepCircularReminders(ds, bj('2015-09-14T15:03:00'), 24)
    const sent = await reminders()
    expect(sent.map((r) => r.to)).toEqual(['zhangwei'])
    expect(sent[0]!.content).not.toContain('联络员')
  })

  it('follows CIRCULAR_REMIND_AFTER, and never reminds about a recalled circular', async () => {
    expect((await sweepCircularReminders(ds, bj('2015-09-14T15:03:00'), 48)).reminded).toBe(0)
    await chatAs(ds, bj('2015-09-14T16:00:00'))('wangjian', `通报 撤回 ${id}`)
    expect((await sweepCircularReminders(ds, bj('2015-09-15T15:03:00'), 48)).reminded).toBe(0)
  })
})
