import type { DataSource } from 'typeorm'
import { commands } from '../../commands/index.js'
import { createCommandRegistry } from '../../src/bot/command-registry.js'
import { createDispatcher } from '../../src/bot/dispatcher.js'
import { addCampaignUnit, createCampaign } from '../../src/domain/campaign/create-campaign.js'
import { LedgerItemSchema, PersonSchema, ProblemCategorySchema, type LedgerItem } from '../../src/db/entities/index.js'
import { DEFAULT_PLAN, loadPlan } from '../../src/domain/plan/load-plan.js'
import { createLogger } from '../../src/logger.js'
import { seedRoster } from './roster.js'
import type { CalendarDate } from '../../src/time/calendar-date.js'

/**
 * A campaign of the default plan starting `start`, 组织部 (王健, org_admin; 刘洋, inspector) and two
 * participating towns: 城关镇 (张伟 head, 李娜 leader, 陈静 liaison, 赵磊 staff) and 后港镇
 * (孙丽 head, 吴芳 staff). No ledger items.
 */
export async function seedCampaignPeople(ds: DataSource, start: CalendarDate) {
  const { campaign } = await ds.transaction((m) => createCampaign(m, loadPlan(DEFAULT_PLAN), start))
  await seedRoster(ds, '县委组织部', [
    { userid: 'wangjian', name: '王健', roles: ['org_admin'] },
    { userid: 'liuyang', name: '刘洋', roles: ['inspector'] },
  ])
  const chengguan = await seedRoster(ds, '城关镇', [
    { userid: 'zhangwei', name: '张伟', roles: ['unit_head'] },
    { userid: 'lina', name: '李娜', roles: ['leader'] },
    { userid: 'chenjing', name: '陈静', roles: ['liaison'] },
    { userid: 'zhaolei', name: '赵磊', roles: ['staff'] },
  ])
  const hougang = await seedRoster(ds, '后港镇', [
    { userid: 'sunli', name: '孙丽', roles: ['unit_head'] },
    { userid: 'wufang', name: '吴芳', roles: ['staff'] },
  ])
  // Both towns keep ledgers: they owe the phase deliverables and the monthly reports.
  await ds.transaction(async (m) => {
    await addCampaignUnit(m, campaign.id, chengguan, 'participant')
    await addCampaignUnit(m, campaign.id, hougang, 'participant')
  })
  return { campaign, chengguan, hougang }
}

/** A campaign started 2015-07-01, two towns and the organization department, and three items. */
export async function seedLedger(ds: DataSource) {
  const { campaign, chengguan, hougang } = await seedCampaignPeople(ds, '2015-07-01')
  const person = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
  const category = async (number: number) => (await ds.getRepository(ProblemCategorySchema).findOneByOrFail({ campaignId: campaign.id, number })).id
  const item = (values: Partial<LedgerItem>) =>
    ds.getRepository(LedgerItemSchema).save({
      campaignId: campaign.id,
      measures: '成立专班，倒排时间',
      target: '按期完成',
      responsibleDepartment: null,
      status: 'in_progress',
      progress: 40,
      ...values,
      originalDueDate: values.dueDate!,
    } as LedgerItem)
  const overdue = await item({ unitId: chengguan, categoryId: await category(1), problem: '招商引资项目跑办不积极，两个竞争性项目未按时申报', dueDate: '2015-08-25', responsibleLeaderId: await person('lina'), responsiblePersonId: await person('zhaolei') })
  const soon = await item({ unitId: chengguan, categoryId: await category(6), problem: '便民服务大厅办事群众反映多头跑', dueDate: '2015-09-02', responsibleLeaderId: await person('lina'), responsiblePersonId: await person('chenjing'), progress: 70 })
  const other = await item({ unitId: hougang, categoryId: await category(2), problem: '农村人居环境整治推进缓慢', dueDate: '2015-09-30', responsibleLeaderId: await person('sunli'), responsiblePersonId: await person('wufang'), status: 'open', progress: 0 })
  return { campaign, chengguan, hougang, items: { overdue: overdue.id, soon: soon.id, other: other.id } }
}

/** One more in-progress item of category (三), due 2015-09-10, in a unit, with its responsible leader and person (userids). */
export async function addLedgerItem(ds: DataSource, campaignId: number, unitId: number, people: { leader: string; person: string }, values: Partial<LedgerItem> = {}): Promise<LedgerItem> {
  const person = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
  const category = await ds.getRepository(ProblemCategorySchema).findOneByOrFail({ campaignId, number: 3 })
  return ds.getRepository(LedgerItemSchema).save({
    campaignId,
    unitId,
    categoryId: category.id,
    problem: '干部作风问题',
    measures: '成立专班',
    target: '按期完成',
    responsibleDepartment: null,
    responsibleLeaderId: await person(people.leader),
    responsiblePersonId: await person(people.person),
    status: 'in_progress',
    progress: 40,
    dueDate: '2015-09-10',
    originalDueDate: '2015-09-10',
    ...values,
  } as LedgerItem)
}

/** Runs chat text as a person through the real dispatcher and commands, at a fixed Beijing time. */
export function chatAs(ds: DataSource, now: Date | (() => Date), options: { robotNames?: readonly string[] } = {}) {
  const clock = typeof now === 'function' ? now : () => now
  const dispatcher = createDispatcher({ dataSource: ds, registry: createCommandRegistry(commands), now: clock, senderCacheMs: 0, robotNames: options.robotNames })
  const log = createLogger('silent')
  return async (from: string, content: string) => {
    const result = await dispatcher.dispatch({ kind: 'text', from, content, msgId: '1', createTime: '1', agentId: '1', dedupeKey: 'k' }, log)
    const reply = result.reply
    const text = reply === null ? '' : reply.msgtype === 'text' ? reply.text.content : reply.msgtype === 'markdown' ? reply.markdown.content : JSON.stringify(reply)
    return { ...result, text }
  }
}
