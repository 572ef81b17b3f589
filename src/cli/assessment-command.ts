import { resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { openDatabase } from '../db/open-database.js'
import { assessmentSummary, renderAssessmentWorkbook } from '../domain/reports/assessment-workbook.js'
import { UserFacingError } from '../errors.js'
import { assessmentFigures } from '../read-model/assessment.js'
import { beijingDate } from '../time/calendar-date.js'
import { chooseCampaign } from './choose-campaign.js'
import { exitCode, type CliContext } from './program.js'

/** `export assessment`: the annual assessment's workbook (单位, 领导) as of today, written to a file. */
export function addAssessmentExport(group: Command, cli: CliContext): void {
  group
    .command('assessment')
    .description('年度考核工作簿：各单位、各责任领导的台账、督查和问责情况')
    .option('--campaign <编号>', '专项治理编号（默认为正在进行的专项治理，没有则为最近一次）')
    .option('-o, --out <文件.xlsx>', '要写出的文件（默认为当前目录下的「考核汇总-编号-日期.xlsx」）')
    // The monthly export's spelling, taken too.
    .addOption(new Option('--output <文件.xlsx>').hideHelp())
    .addHelpText('after', '\n例：npm run cli -- export assessment --campaign 1 --out 2015年度考核.xlsx')
    .action(
      exitCode(async (options: { campaign?: string; out?: string; output?: string }, command: Command) => {
        const out = options.out ?? options.output
        if (options.campaign !== undefined && !/^[1-9]\d*$/.test(options.campaign)) command.error(`--campaign「${options.campaign}」应是专项治理编号（见 campaign list）。`)
        if (out !== undefined && !/\.xlsx$/i.test(out)) command.error(`--out「${out}」应以 .xlsx 结尾。`)
        const at = new Date()
        const today = beijingDate(at)
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          const campaign = await chooseCampaign(dataSource, options.campaign === undefined ? null : Number(options.campaign), at)
          const figures = await assessmentFigures(dataSource, campaign, today)
          // `npm run` runs in the package folder; a relative path means the folder the command was typed in (INIT_CWD).
          const path = resolve(process.env.INIT_CWD ?? process.cwd(), out ?? `考核汇总-${campaign.id}-${today}.xlsx`)
          try {
            await renderAssessmentWorkbook(figures, at).xlsx.writeFile(path)
          } catch (error) {
            throw new UserFacingError('write_failed', `写不了文件 ${path}：${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
          }
          cli.print(path)
          cli.print(assessmentSummary(figures))
          return 0
        } finally {
          await dataSource.destroy()
        }
      }),
    )
}
