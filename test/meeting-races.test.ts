import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Like, type DataSource } from 'typeorm'
import { MeetingSchema, OutboxMessageSchema, PersonSchema, type Meeting } from '../src/domain/entities/index.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { seedMeetingMembers, seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-20T10:00:00+08:00')
const ROUNDS = 20

/**
 * 会议 参会人 and 会议 纪要 check and read the meeting on its locked row: a 改期 committed at
 * the same moment is seen (the added are told the time that stands; minutes wait for a moved meeting).
 */
describe(`meeting changes at the same moment, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let fixture: Awaited<ReturnType<typeof seedCircularAudience>>
  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedCircularAudience(ds)
    await seedMeetingMembers(ds)
    await seedRoster(ds, '县委组织部', [{ userid: 'wangjian2', name: '王二', roles: ['org_admin'] }])
    rig = await startCallbackRig(ds, NOW)
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })
  const wangjian = () => ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'wangjian' })
  const newMeeting = async (startsAt: Date): Promise<Meeting> =>
    ds.getRepository(MeetingSchema).save({ campaignId: fixture.campaign.id, title: '专项治理工作联席会议', startsAt, place: '第一会议室', convenerId: (await wangjian()).id, status: 'scheduled', minutes: null, statusSnapshot: null, createdAt: NOW } as Meeting)

  it('会议 参会人 +孙丽 and 会议 改期 at once: the new participant is told the time that stands', async () => {
    const sunli = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'sunli' })
    let stale = 0
    for (let round = 0; round < ROUNDS; round += 1) {
      const m = await newMeeting(new Date('2015-09-10T15:00:00+08:00'))
      const said = await rig.sayAtOnce([
        ['wangjian', `会议 改期 ${m.id} 9月25日 10:00`],
        ['wangjian2', `会议 参会人 ${m.id} +孙丽`],
      ])
      expect(said[0]!.answer).toMatch(/^会议 #\d+ 改至/)
      expect(said[1]!.answer).toMatch(/新增 孙丽/)
      const [notice] = await ds.getRepository(OutboxMessageSchema).find({ where: { dedupeKey: `meeting:${m.id}:notice:${sunli.id}` } })
      // 孙丽 was added after the change was committed or before it; if before, she is not among the change's recipients.
      const change = await ds.getRepository(OutboxMessageSchema).find({ where: { dedupeKey: Like(`meeting:${m.id}:changed:%`) } })
      const toldOfChange = change.some((c) => c.recipients.includes('sunli'))
      if (!notice!.payload.includes('9月25日') && !toldOfChange) stale += 1
    }
    expect(stale).toBe(0)
  }, 120_000)

  it('会议 纪要 and 会议 改期 (to a later day) at once: never both accepted', async () => {
    let both = 0
    for (let round = 0; round < ROUNDS; round += 1) {
      // Its time has passed (it was held this morning), minutes not yet recorded.
      const m = await newMeeting(new Date('2015-08-20T08:00:00+08:00'))
      const said = await rig.sayAtOnce([
        ['wangjian', `会议 改期 ${m.id} 9月25日 10:00`],
        ['wangjian2', `会议 纪要 ${m.id}\n第${round}项：各镇月底前完成自查`],
      ])
      const after = await ds.getRepository(MeetingSchema).findOneByOrFail({ id: m.id })
      if (/^会议 #\d+ 改至/.test(said[0]!.answer) && /^已记录会议/.test(said[1]!.answer)) {
        both += 1
      }
    }
    expect(both).toBe(0)
  }, 120_000)
})
