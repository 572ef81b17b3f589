import type { DataSource } from 'typeorm'
import { addCampaignUnit } from '../../src/domain/campaign/create-campaign.js'
import { InspectionSchema, PersonSchema, UnitSchema } from '../../src/db/entities/index.js'
import { seedLedger } from './ledger-fixture.js'
import { seedRoster } from './roster.js'

/**
 * seedLedger's campaign with an audience for every selector: two towns (城关镇: head 张伟, liaison
 * 陈静; 后港镇: head 孙丽, liaison 何军 on the WeChat plugin), a county department taking part
 * (县人社局: head 钱华, liaison 周敏), a county department not taking part (县信访局: head 杨帆),
 * a joint-meeting member unit (县纪委: 冯涛, meeting_member), and one inspection of 城关镇.
 */
export async function seedCircularAudience(ds: DataSource) {
  const fixture = await seedLedger(ds)
  await ds.getRepository(UnitSchema).update({ id: fixture.chengguan }, { kind: 'town' })
  await ds.getRepository(UnitSchema).update({ id: fixture.hougang }, { kind: 'town' })
  await seedRoster(ds, '后港镇', [{ userid: 'hejun', name: '何军', roles: ['liaison'], viaWechat: true }])
  const renshe = await seedRoster(ds, '县人社局', [
    { userid: 'qianhua', name: '钱华', roles: ['unit_head'] },
    { userid: 'zhoumin', name: '周敏', roles: ['liaison'] },
  ])
  await seedRoster(ds, '县信访局', [{ userid: 'yangfan', name: '杨帆', roles: ['unit_head'] }])
  const jiwei = await seedRoster(ds, '县纪委', [{ userid: 'fengtao', name: '冯涛', roles: ['meeting_member'] }])
  await ds.getRepository(UnitSchema).update({ id: jiwei }, { kind: 'joint_member' })
  await ds.transaction(async (m) => {
    await addCampaignUnit(m, fixture.campaign.id, renshe, 'participant')
    await addCampaignUnit(m, fixture.campaign.id, jiwei, 'joint_member')
  })
  const inspector = await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'liuyang' })
  const inspection = await ds.getRepository(InspectionSchema).save({
    campaignId: fixture.campaign.id,
    unitId: fixture.chengguan,
    inspectorId: inspector.id,
    method: 'unannounced',
    inspectedOn: '2015-08-20',
    findings: '便民服务大厅工作日上午无人值守',
    ledgerItemId: null,
    isTypicalCase: false,
  })
  return { ...fixture, renshe, jiwei, inspection: inspection.id }
}
