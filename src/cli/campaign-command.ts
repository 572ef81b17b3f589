import { parseArgs } from 'node:util'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { UserFacingError } from '../errors.js'
import { createCampaign } from '../domain/campaign/create-campaign.js'
import { CampaignSchema, PhaseSchema, PhaseTaskSchema } from '../domain/entities/index.js'
import { loadPlan } from '../domain/plan/load-plan.js'
import type { Logger } from '../logger.js'
import { formatChineseDate, isCalendarDate } from '../time/calendar-date.js'

const CREATE_USAGE = '用法：npm run cli -- campaign create [--plan <计划名或文件>] --start YYYY-MM-DD\n例：npm run cli -- campaign create --start 2015-07-01'

/** `campaign create` and `campaign list`. Returns the process exit code. */
export async function runCampaignCommand(
  args: string[],
  config: Readonly<Config>,
  logger: Logger,
  print: (line: string) => void,
): Promise<number> {
  const [action, ...rest] = args
  if (action !== 'create' && action !== 'list') {
    print(`未知的 campaign 子命令「${action ?? ''}」。\n${CREATE_USAGE}\n      npm run cli -- campaign list`)
    return 2
  }
  let options: { plan?: string; start?: string }
  try {
    options = parseArgs({ args: rest, options: { plan: { type: 'string' }, start: { type: 'string' } } }).values
  } catch (error) {
    throw new UserFacingError('bad_arguments', `参数有误：${(error as Error).message}\n${CREATE_USAGE}`)
  }
  if (action === 'create') {
    if (!options.start || !isCalendarDate(options.start)) {
      throw new UserFacingError('bad_arguments', `缺少或无效的开始日期 --start「${options.start ?? ''}」。\n${CREATE_USAGE}`)
    }
  }
  const plan = action === 'create' ? loadPlan(options.plan ?? config.plan) : undefined
  const dataSource = await openDatabase(config.database, logger)
  try {
    if (action === 'list') {
      const campaigns = await dataSource.getRepository(CampaignSchema).find({ order: { id: 'ASC' } })
      if (campaigns.length === 0) print('暂无专项治理。创建：npm run cli -- campaign create --start YYYY-MM-DD')
      for (const c of campaigns) print(`#${c.id} ${c.name}  ${c.startDate} 至 ${c.endDate}  计划 ${c.planName}@${c.planVersion}  ${c.status}`)
      return 0
    }
    const { campaign, created } = await dataSource.transaction((manager) => createCampaign(manager, plan!, options.start!))
    const phases = await dataSource.getRepository(PhaseSchema).find({ where: { campaignId: campaign.id }, order: { seq: 'ASC' } })
    const tasks = await dataSource.getRepository(PhaseTaskSchema).countBy({ campaignId: campaign.id })
    print(created ? `已创建专项治理 #${campaign.id}：${campaign.name}` : `专项治理已存在，未重复创建：#${campaign.id} ${campaign.name}`)
    for (const phase of phases) {
      print(`  ${phase.seq}. ${phase.name}  ${formatChineseDate(phase.startDate)}—${formatChineseDate(phase.endDate, phase.startDate)}`)
    }
    print(`  阶段任务 ${tasks} 项；月报每月底前报${plan!.monthlyReport.recipient}`)
    return 0
  } finally {
    await dataSource.destroy()
  }
}
