import { addCampaignCommand } from './campaign-command.js'
import { addExportCommand } from './export-command.js'
import { addImportCommand } from './import-command.js'
import { addMeetingCommand } from './meeting-command.js'
import { addMenuCommand } from './menu-command.js'
import { addOutboxCommand } from './outbox-command.js'
import { addRemindCommand } from './remind-command.js'
import { addRosterCommand } from './roster-command.js'
import { addTemplateCommand } from './template-command.js'
import { chineseProgram, cliContext } from './program.js'
import { runCli } from './run-cli.js'

/** `npm run cli -- …`: administrative commands that run against the configured database. */
const program = chineseProgram('npm run cli --', '专项治理督办机器人的管理命令，在配置的数据库（DATABASE_URL）上运行。')
  .helpCommand('help [命令]', '显示某个命令的帮助')
  .addHelpText('after', '\n每个命令都有帮助：npm run cli -- meeting create --help\n例：npm run cli -- campaign create --start 2015-07-01')
const cli = cliContext()
for (const add of [addCampaignCommand, addOutboxCommand, addRemindCommand, addMeetingCommand, addImportCommand, addTemplateCommand, addExportCommand, addRosterCommand, addMenuCommand]) add(program, cli)

runCli(program)
