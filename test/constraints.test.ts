import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QueryFailedError, type DataSource } from 'typeorm'
import {
  CampaignSchema,
  InboundMessageSchema,
  MonthlyReportSchema,
  OutboxMessageSchema,
  PersonSchema,
  UnitSchema,
} from '../src/db/entities/index.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const outbox = (dedupeKey: string) => ({
  dedupeKey,
  channel: 'app' as const,
  recipients: '{"touser":["zhangwei"]}',
  msgType: 'text',
  payload: '{"content":"提醒"}',
  nextAttemptAt: new Date(),
})

/**
 * Asserts that the insert failed on the named unique constraint, and not on something else
 * (a reused primary key would fail too, for the wrong reason).
 */
async function expectUniqueViolation(attempt: Promise<unknown>, constraint: string, sqliteColumns: string) {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(QueryFailedError)
  const message = (error as Error).message
  if (dialect === 'mysql') expect(message).toContain(`for key '${constraint}'`)
  else expect(message).toContain(`UNIQUE constraint failed: ${sqliteColumns}`)
}

describe(`unique constraints on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let unitId: number
  let campaignId: number

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    unitId = (await ds.getRepository(UnitSchema).save({ name: '后港镇', kind: 'town', parentId: null })).id
    campaignId = (
      await ds.getRepository(CampaignSchema).save({
        name: '专项治理',
        planName: 'weiguan-buwei',
        planVersion: '2015.1',
        startDate: '2015-07-01',
        endDate: '2015-12-31',
        convenerUnitId: null,
      })
    ).id
  })
  afterAll(async () => {
    await db?.close()
  })

  it('rejects a second outbox message with the same dedupe key', async () => {
    await ds.getRepository(OutboxMessageSchema).insert(outbox('due:12:2015-08-28:3d'))
    await expectUniqueViolation(
      ds.getRepository(OutboxMessageSchema).insert(outbox('due:12:2015-08-28:3d')),
      'uq_outbox_message_dedupe_key',
      'outbox_message.dedupe_key',
    )
    await ds.getRepository(OutboxMessageSchema).insert(outbox('due:12:2015-08-28:1d'))
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(2)
  })

  it('rejects a second monthly report of a unit for the same month', async () => {
    const report = (month: string, content: string) => ({ campaignId, unitId, month, content, submittedById: null, submittedAt: new Date() })
    await ds.getRepository(MonthlyReportSchema).insert(report('2015-08', '八月月报'))
    await expectUniqueViolation(
      ds.getRepository(MonthlyReportSchema).insert(report('2015-08', '重复')),
      'uq_monthly_report_unit_month',
      'monthly_report.campaign_id, monthly_report.unit_id, monthly_report.month',
    )
    await ds.getRepository(MonthlyReportSchema).insert(report('2015-09', '九月月报'))
    expect(await ds.getRepository(MonthlyReportSchema).countBy({ unitId })).toBe(2)
  })

  it('rejects a second person with the same WeCom userid', async () => {
    const person = (name: string) => ({ userid: 'wufang', name, unitId, title: null, mobile: null })
    await ds.getRepository(PersonSchema).insert(person('吴芳'))
    await expectUniqueViolation(ds.getRepository(PersonSchema).insert(person('另一个吴芳')), 'uq_person_userid', 'person.userid')
    expect(await ds.getRepository(PersonSchema).countBy({ userid: 'wufang' })).toBe(1)
  })

  it('treats WeCom userids case-insensitively on both databases', async () => {
    const person = (userid: string) => ({ userid, name: '郑涛', unitId, title: null, mobile: null })
    await ds.getRepository(PersonSchema).insert(person('ZhengTao'))
    expect((await ds.getRepository(PersonSchema).findOneByOrFail({ name: '郑涛' })).userid).toBe('zhengtao')
    expect(await ds.getRepository(PersonSchema).findOneBy({ userid: 'ZHENGTAO' })).not.toBeNull()
    await expectUniqueViolation(ds.getRepository(PersonSchema).insert(person('zhengtao')), 'uq_person_userid', 'person.userid')
  })

  it('rejects a second inbound message with the same key', async () => {
    const message = () => ({ dedupeKey: 'msg:4363689963896700987', msgId: '4363689963896700987', fromUser: 'wufang', msgType: 'text', receivedAt: new Date() })
    await ds.getRepository(InboundMessageSchema).insert(message())
    await expectUniqueViolation(
      ds.getRepository(InboundMessageSchema).insert(message()),
      'uq_inbound_message_dedupe_key',
      'inbound_message.dedupe_key',
    )
  })

  it('rejects a reference to a unit that does not exist', async () => {
    await expect(
      ds.getRepository(PersonSchema).insert({ userid: 'ghost', name: '无单位', unitId: 999_999, title: null, mobile: null }),
    ).rejects.toBeInstanceOf(QueryFailedError)
  })

  it('keeps nothing of a failed transaction', async () => {
    await expect(
      ds.transaction(async (manager) => {
        await manager.insert(OutboxMessageSchema, outbox('tx:first'))
        await manager.insert(OutboxMessageSchema, outbox('due:12:2015-08-28:3d'))
      }),
    ).rejects.toBeInstanceOf(QueryFailedError)
    expect(await ds.getRepository(OutboxMessageSchema).countBy({ dedupeKey: 'tx:first' })).toBe(0)
  })
})
