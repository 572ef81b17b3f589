import { loadConfig } from '../config/load-config.js'
import { withEnvFile } from '../config/read-env-file.js'
import { createLogger } from '../logger.js'
import { runCli } from './run-cli.js'
import { runCampaignCommand } from './campaign-command.js'
import { runImportCommand } from './import-command.js'
import { runTemplateCommand } from './template-command.js'
import { runExportCommand } from './export-command.js'
import { runMeetingCommand } from './meeting-command.js'
import { runOutboxCommand } from './outbox-command.js'
import { runRemindCommand } from './remind-command.js'

const USAGE = `用法 (usage): npm run cli -- <命令>
  campaign create [--plan <计划名或文件>] --start YYYY-MM-DD   按计划创建专项治理（重复执行不会重复创建）
  campaign list                                                列出已有的专项治理
  outbox status                                                发件箱状态：各状态数量、最早的待发送、失败的消息
  outbox retry <编号>|--dead                                   重新投递一条消息或全部失败的消息
  remind --at "YYYY-MM-DD HH:MM" [--dry-run]                   预览（或执行）某一时刻的提醒扫描（北京时间）
  meeting create --at "YYYY-MM-DD HH:MM" --place 地点 --topics 文件   召集联席会议（议题文件每行一个）
  meeting list | show <编号>                                    列出联席会议及回复情况，或一次会议的详情
  meeting change <编号> [--at …] [--place …] | cancel <编号>    改期、改地点或取消会议（立即通知参会人）
  import <units|people|ledger> <文件.xlsx|.csv> [--dry-run]     从表格导入单位、人员或工作台账（有问题则全部不写入）
  template <units|people|ledger> -o 文件.xlsx                  写出空白导入模板（含下拉选项和填写说明）
  export monthly --month YYYY-MM -o 文件.xlsx [--campaign 编号]   导出月报工作簿（汇总、逾期明细、本月进展、分类统计）
例：npm run cli -- campaign create --start 2015-07-01`

/** `npm run cli -- …`: administrative commands that run against the configured database. */
async function main(argv: string[]): Promise<number> {
  const [group, ...rest] = argv
  const config = loadConfig(withEnvFile(process.env))
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel)
  switch (group) {
    case 'campaign':
      return runCampaignCommand(rest, config, logger, (line) => process.stdout.write(`${line}\n`))
    case 'remind':
      return runRemindCommand(rest, config, logger, (line) => process.stdout.write(`${line}\n`))
    case 'meeting':
      return runMeetingCommand(rest, config, logger, (line) => process.stdout.write(`${line}\n`))
    case 'template':
      return runTemplateCommand(rest, config, (line) => process.stdout.write(`${line}\n`))
    case 'import':
      return runImportCommand(rest, config, logger, (line) => process.stdout.write(`${line}\n`))
    case 'export':
      return runExportCommand(rest, config, logger, (line) => process.stdout.write(`${line}\n`))
    case 'outbox':
      return runOutboxCommand(rest, config, logger, (line) => process.stdout.write(`${line}\n`))
    default:
      process.stdout.write(`${USAGE}\n`)
      return group === undefined || group === 'help' || group === '--help' ? 0 : 2
  }
}

runCli(main)
