import { parseArgs } from 'node:util'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import { formatImportResult } from '../spreadsheets/import-report.js'
import { importPeople, importUnits } from '../spreadsheets/import-roster.js'

const USAGE = `用法：npm run cli -- import <units|people> <文件.xlsx|文件.csv> [--dry-run]
  units   单位：单位名称、单位类型（镇 / 县直单位 / 事业单位）、上级单位
  people  人员：姓名、企业微信账号、单位、职务、角色（第一责任人、分管领导、联络员、责任人、联席会议成员…）、手机
先检查再写入：有任何问题都不写入，并逐条列出工作表、行、列和原因；--dry-run 只检查。
例：npm run cli -- import units 单位.xlsx --dry-run`

const KINDS = { units: { run: importUnits, what: '单位' }, people: { run: importPeople, what: '人员' } } as const

/** `import units|people <file> [--dry-run]`: a roster from a spreadsheet, all or nothing. */
export async function runImportCommand(args: string[], config: Readonly<Config>, logger: Logger, print: (line: string) => void): Promise<number> {
  let parsed: { values: { 'dry-run'?: boolean }; positionals: string[] }
  try {
    parsed = parseArgs({ args, options: { 'dry-run': { type: 'boolean' } }, allowPositionals: true })
  } catch (error) {
    throw new UserFacingError('bad_arguments', `参数有误：${(error as Error).message}\n${USAGE}`)
  }
  const [kind, file] = parsed.positionals
  const importer = kind && kind in KINDS ? KINDS[kind as keyof typeof KINDS] : undefined
  if (!importer || !file) {
    print(USAGE)
    return kind === undefined ? 0 : 2
  }
  const dataSource = await openDatabase(config.database, logger)
  try {
    const dryRun = parsed.values['dry-run'] ?? false
    const result = await importer.run(dataSource, file, { dryRun })
    print(formatImportResult(result, importer.what, dryRun))
    return result.problems.length > 0 ? 1 : 0
  } finally {
    await dataSource.destroy()
  }
}
