import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { ImportLimits } from '../spreadsheets/import-limits.js'
import { formatImportResult } from '../spreadsheets/import-report.js'
import { importPeople, importUnits } from '../spreadsheets/import-roster.js'
import { importLedger } from '../spreadsheets/import-ledger.js'
import type { ImportResult } from '../spreadsheets/import-report.js'
import type { DataSource } from 'typeorm'
import { describeArgsError } from './describe-args-error.js'

const USAGE = `用法：npm run cli -- import <units|people|ledger> <文件.xlsx|文件.csv> [--campaign 编号] [--dry-run]
  units   单位：单位名称、单位类型（镇 / 县直单位 / 事业单位）、上级单位
  people  人员：姓名、企业微信账号、单位、职务、角色（第一责任人、分管领导、联络员、责任人、联席会议成员…）、手机
  ledger  工作台账：单位、问题类别、问题描述、整改措施、整治目标、完成时限、责任部门、责任领导、具体责任人、是否公开、[编号]
先检查再写入：有任何问题都不写入，并逐条列出工作表、行、列和原因；--dry-run 只检查。
文件不超过 IMPORT_MAX_MB（默认 50 MB）；CSV 可以是 UTF-8 或 GBK 编码。
例：npm run cli -- import units 单位.xlsx --dry-run`

type Importer = (
  ds: DataSource,
  path: string,
  options: { dryRun?: boolean; campaignId?: number; onProgress?: (done: number, total: number) => void; limits?: Partial<ImportLimits> },
) => Promise<ImportResult>
const KINDS: Record<string, { run: Importer; what: string }> = {
  units: { run: importUnits, what: '单位' },
  people: { run: importPeople, what: '人员' },
  ledger: { run: importLedger, what: '台账条目' },
}

/** `import units|people <file> [--dry-run]`: a roster from a spreadsheet, all or nothing. */
export async function runImportCommand(args: string[], config: Readonly<Config>, logger: Logger, print: (line: string) => void): Promise<number> {
  let parsed: { values: { 'dry-run'?: boolean; campaign?: string }; positionals: string[] }
  try {
    parsed = parseArgs({ args, options: { 'dry-run': { type: 'boolean' }, campaign: { type: 'string' } }, allowPositionals: true })
  } catch (error) {
    throw new UserFacingError('bad_arguments', `参数有误：${describeArgsError(error)}。\n${USAGE}`)
  }
  const [kind, file] = parsed.positionals
  const importer = kind ? KINDS[kind] : undefined
  const campaignId = parsed.values.campaign === undefined ? undefined : Number(parsed.values.campaign)
  if (campaignId !== undefined && !Number.isInteger(campaignId)) throw new UserFacingError('bad_arguments', `--campaign「${parsed.values.campaign}」应为专项治理编号。\n${USAGE}`)
  if (!importer || !file) {
    print(USAGE)
    return kind === undefined ? 0 : 2
  }
  const dataSource = await openDatabase(config.database, logger)
  try {
    const dryRun = parsed.values['dry-run'] ?? false
    // A progress bar on a terminal: a 20,000-row ledger takes a while.
    const bar = process.stderr.isTTY
      ? (done: number, total: number) => {
          if (done % 200 === 0 || done === total) process.stderr.write(`\r${dryRun ? '检查' : '导入'} ${done}/${total} ${'█'.repeat(Math.round((done / total) * 30)).padEnd(30, '░')}${done === total ? '\n' : ''}`)
        }
      : undefined
    // `npm run` runs in the package folder; a relative path means the folder the command was typed in.
    const result = await importer.run(dataSource, resolve(process.env.INIT_CWD ?? process.cwd(), file), { dryRun, campaignId, onProgress: bar, limits: { maxFileBytes: config.importMaxBytes } })
    print(formatImportResult(result, importer.what, dryRun))
    return result.problems.length > 0 ? 1 : 0
  } finally {
    await dataSource.destroy()
  }
}
