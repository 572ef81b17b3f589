import { createWriteStream, rmSync } from 'node:fs'
import { once } from 'node:events'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { openDatabase } from '../db/open-database.js'
import { UserFacingError } from '../errors.js'
import { monthlyFigures } from '../domain/reports/monthly-figures.js'
import { summaryLine } from '../domain/reports/monthly-summary.js'
import { checkMonthInCampaign, isMonth } from '../domain/reports/month-span.js'
import { writeMonthlyWorkbook } from '../domain/reports/monthly-workbook.js'
import { addAssessmentExport } from './assessment-command.js'
import { chooseCampaign } from './choose-campaign.js'
import { exitCode, type CliContext } from './program.js'

/** `export monthly`: the monthly report workbook written to a file; `export assessment`: the annual assessment's. */
export function addExportCommand(program: Command, cli: CliContext): void {
  const group = program.command('export').description('导出报表')
  group
    .command('monthly')
    .description('月报工作簿：汇总、逾期明细、本月进展、分类统计')
    .option('--month <YYYY-MM>', '月份（必填）；已过去的月份按该月最后一刻的状态')
    .option('-o, --output <文件.xlsx>', '要写出的文件（必填）')
    .option('--campaign <编号>', '专项治理编号（默认为正在进行的专项治理，没有则为最近一次）')
    .addHelpText('after', '\n例：npm run cli -- export monthly --month 2015-08 -o 2015年8月月报.xlsx')
    .action(
      exitCode(async (options: { month?: string; output?: string; campaign?: string }, command: Command) => {
        if (!options.month || !isMonth(options.month)) command.error(`--month「${options.month ?? ''}」不是有效的月份，应写成 YYYY-MM。`)
        if (!options.output) command.error('缺少 -o（要写入的 .xlsx 文件）。')
        if (!/\.xlsx$/i.test(options.output)) command.error(`-o「${options.output}」应以 .xlsx 结尾。`)
        if (options.campaign !== undefined && !/^[1-9]\d*$/.test(options.campaign)) command.error(`--campaign「${options.campaign}」应是专项治理编号（见 campaign list）。`)
        const at = new Date()
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          const campaign = await chooseCampaign(dataSource, options.campaign === undefined ? null : Number(options.campaign), at)
          checkMonthInCampaign(options.month, campaign)
          const figures = await monthlyFigures(dataSource, campaign, options.month, at)
          // `npm run` runs in the package folder; a relative -o means the folder the command was typed in (INIT_CWD).
          const path = resolve(process.env.INIT_CWD ?? process.cwd(), options.output)
          // Streamed straight to the file, row by row (docs/figures.md, The monthly workbook); a file left half written is removed.
          const file = createWriteStream(path)
          try {
            await once(file, 'open')
            await writeMonthlyWorkbook(figures, at, { stream: file })
          } catch (error) {
            file.destroy()
            rmSync(path, { force: true })
            throw new UserFacingError('write_failed', `写不了文件 ${path}：${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
          }
          cli.print(path)
          cli.print(summaryLine(figures))
          return 0
        } finally {
          await dataSource.destroy()
        }
      }),
    )
  addAssessmentExport(group, cli)
}
