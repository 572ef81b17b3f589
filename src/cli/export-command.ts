import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { DataSource } from 'typeorm'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { currentOrLatestCampaign } from '../domain/campaign/current-campaign.js'
import { CampaignSchema, type Campaign } from '../domain/entities/index.js'
import { UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import { monthlyFigures } from '../reports/monthly-figures.js'
import { summaryLine } from '../reports/monthly-summary.js'
import { checkMonthInCampaign, isMonth } from '../reports/month-span.js'
import { renderMonthlyWorkbook } from '../reports/monthly-workbook.js'
import { beijingDate } from '../time/calendar-date.js'

const USAGE = `用法：npm run cli -- export monthly --month YYYY-MM -o 文件.xlsx [--campaign 编号]
不写 --campaign 时导出正在进行的专项治理（没有则为最近一次）。
例：npm run cli -- export monthly --month 2015-08 -o 2015年8月月报.xlsx`

/** `export monthly`: the monthly report workbook written to a file. */
export async function runExportCommand(args: string[], config: Readonly<Config>, logger: Logger, print: (line: string) => void, now = () => new Date()): Promise<number> {
  const [kind, ...rest] = args
  if (kind !== 'monthly') throw new UserFacingError('bad_arguments', `${kind ? `未知的导出类型「${kind}」。` : '缺少导出类型。'}\n${USAGE}`)
  let values: { month?: string; output?: string; campaign?: string }
  try {
    values = parseArgs({ args: rest, options: { month: { type: 'string' }, output: { type: 'string', short: 'o' }, campaign: { type: 'string' } } }).values
  } catch (error) {
    throw new UserFacingError('bad_arguments', `参数有误：${(error as Error).message}\n${USAGE}`)
  }
  if (!values.month || !isMonth(values.month)) throw new UserFacingError('bad_arguments', `--month「${values.month ?? ''}」不是有效的月份，应写成 YYYY-MM。\n${USAGE}`)
  if (!values.output) throw new UserFacingError('bad_arguments', `缺少 -o（要写入的 .xlsx 文件）。\n${USAGE}`)
  if (!/\.xlsx$/i.test(values.output)) throw new UserFacingError('bad_arguments', `-o「${values.output}」应以 .xlsx 结尾。\n${USAGE}`)
  if (values.campaign !== undefined && !/^[1-9]\d*$/.test(values.campaign)) throw new UserFacingError('bad_arguments', `--campaign「${values.campaign}」应是专项治理编号（见 campaign list）。\n${USAGE}`)
  const at = now()
  const dataSource = await openDatabase(config.database, logger)
  try {
    const campaign = await chooseCampaign(dataSource, values.campaign === undefined ? null : Number(values.campaign), at)
    const month = values.month
    checkMonthInCampaign(month, campaign)
    const figures = await monthlyFigures(dataSource, campaign, month, at)
    // `npm run` runs in the package folder; a relative -o means the folder the command was typed in (INIT_CWD).
    const path = resolve(process.env.INIT_CWD ?? process.cwd(), values.output)
    try {
      await renderMonthlyWorkbook(figures, at).xlsx.writeFile(path)
    } catch (error) {
      throw new UserFacingError('write_failed', `写不了文件 ${path}：${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    print(path)
    print(summaryLine(figures))
    return 0
  } finally {
    await dataSource.destroy()
  }
}

async function chooseCampaign(ds: DataSource, id: number | null, now: Date): Promise<Campaign> {
  const repository = ds.getRepository(CampaignSchema)
  if (id !== null) {
    const campaign = await repository.findOneBy({ id })
    if (!campaign) throw new UserFacingError('no_campaign', `没有编号为 #${id} 的专项治理。查看已有的：npm run cli -- campaign list`)
    return campaign
  }
  const campaign = await currentOrLatestCampaign(ds, beijingDate(now))
  if (!campaign) throw new UserFacingError('no_campaign', '还没有专项治理。先创建：npm run cli -- campaign create --start YYYY-MM-DD')
  return campaign
}
