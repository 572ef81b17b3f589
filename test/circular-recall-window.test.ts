import { beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { CircularSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { sweepCircularReminders } from '../src/domain/circulars/circular-reminders.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { chatAs } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const bj = (text: string) => new Date(`${text}+08:00`)

describe(`circular recall on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let id: number

  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedCircularAudience(ds)
    // Friday 11 September 2015, 15:00: sent to the towns; every copy delivered at once.
    await chatAs(ds, bj('2015-09-11T15:00:00'))('wangjian', '通报 发布 镇 关于报送9月工作台账的通知\n请于9月18日前报送。')
    id = Number((await ds.query('SELECT MAX(id) AS id FROM circular'))[0].id)
    const copies = await ds.getRepository(OutboxMessageSchema).findBy({ subjectKind: 'circular', subjectId: id })
    for (const copy of copies) await ds.getRepository(OutboxMessageSchema).update({ id: copy.id }, { status: 'sent', sentAt: bj('2015-09-11T15:00:05'), wecomMsgid: `msg${copy.id}` })
    return () => db.close()
  })

  it('通报 撤回 after the 24-hour window is refused even when a reminder is waiting in the outbox', async () => {
    // Monday 15:03: the non-acknowledgers' reminders are written (pending).
    expect((await sweepCircularReminders(ds, bj('2015-09-14T15:03:00'), 24)).reminded).toBeGreaterThan(0)
    // 15:04: every copy was sent 72 hours ago: WeCom can recall none of them.
    const reply = await chatAs(ds, bj('2015-09-14T15:04:00'))('wangjian', `通报 撤回 ${id}`)
    expect(reply.text).toContain('企业微信不允许撤回')
    // Instead: marked recalled, so every recipient who still reads it is told 「已撤回，无需确认」.
    expect((await ds.getRepository(CircularSchema).findOneByOrFail({ id })).status).toBe('sent')
  })
})
