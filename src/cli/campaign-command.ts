import type { Command } from 'commander'
import { openDatabase } from '../db/open-database.js'
import { createCampaign } from '../domain/campaign/create-campaign.js'
import { CampaignSchema, PhaseSchema, PhaseTaskSchema } from '../db/entities/index.js'
import { loadPlan } from '../domain/plan/load-plan.js'
import { formatChineseDate, isCalendarDate } from '../time/calendar-date.js'
import { exitCode, type CliContext } from './program.js'

/** `campaign create` and `campaign list`. */
export function addCampaignCommand(program: Command, cli: CliContext): void {
  const campaign = program.command('campaign').description('专项治理：按计划创建、列出')
  campaign
    .command('create')
    .description('按计划创建专项治理，所有日期按开始日期平移（重复执行不会重复创建）')
    .option('--plan <计划名或文件>', '计划：内置计划名（src/domain/plan/builtin/）或 JSON 文件，默认为配置的 PLAN')
    .option('--start <YYYY-MM-DD>', '开始日期（必填）')
    .addHelpText('after', '\n例：npm run cli -- campaign create --start 2015-07-01\n    npm run cli -- campaign create --plan ./my-plan.json --start 2026-12-01')
    .action(
      exitCode(async (options: { plan?: string; start?: string }, command: Command) => {
        if (!options.start || !isCalendarDate(options.start)) command.error(`缺少或无效的开始日期 --start「${options.start ?? ''}」。`)
        const plan = loadPlan(options.plan ?? cli.config().plan)
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          const { campaign, created } = await dataSource.transaction((manager) => createCampaign(manager, plan, options.start!))
          const phases = await dataSource.getRepository(PhaseSchema).find({ where: { campaignId: campaign.id }, order: { seq: 'ASC' } })
          const tasks = await dataSource.getRepository(PhaseTaskSchema).countBy({ campaignId: campaign.id })
          cli.print(created ? `已创建专项治理 #${campaign.id}：${campaign.name}` : `专项治理已存在，未重复创建：#${campaign.id} ${campaign.name}`)
          for (const phase of phases) {
            cli.print(`  ${phase.seq}. ${phase.name}  ${formatChineseDate(phase.startDate)}—${formatChineseDate(phase.endDate, phase.startDate)}`)
          }
          cli.print(`  阶段任务 ${tasks} 项；月报每月底前报${plan.monthlyReport.recipient}`)
          return 0
        } finally {
          await dataSource.destroy()
        }
      }),
    )
  campaign
    .command('list')
    .description('列出已有的专项治理')
    .action(
      exitCode(async () => {
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          const campaigns = await dataSource.getRepository(CampaignSchema).find({ order: { id: 'ASC' } })
          if (campaigns.length === 0) cli.print('暂无专项治理。创建：npm run cli -- campaign create --start YYYY-MM-DD')
          for (const c of campaigns) cli.print(`#${c.id} ${c.name}  ${c.startDate} 至 ${c.endDate}  计划 ${c.planName}@${c.planVersion}  ${c.status}`)
          return 0
        } finally {
          await dataSource.destroy()
        }
      }),
    )
}
