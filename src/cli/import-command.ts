import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { DataSource } from 'typeorm'
import { openDatabase } from '../db/open-database.js'
import type { ImportLimits } from '../domain/spreadsheets/import-limits.js'
import { formatImportResult, type ImportResult } from '../domain/spreadsheets/import-report.js'
import { importPeople, importUnits } from '../domain/spreadsheets/import-roster.js'
import { importLedger } from '../domain/spreadsheets/import-ledger.js'
import { importInspections } from '../domain/spreadsheets/import-inspections.js'
import { exitCode, type CliContext } from './program.js'

type Importer = (
  ds: DataSource,
  path: string,
  options: { dryRun?: boolean; campaignId?: number; onProgress?: (done: number, total: number) => void; limits?: Partial<ImportLimits> },
) => Promise<ImportResult>

const KINDS: ReadonlyArray<{ kind: string; run: Importer; what: string; example: string; columns: string }> = [
  { kind: 'units', run: importUnits, what: '单位', example: '单位.xlsx', columns: '单位名称、单位类型（镇 / 县直单位 / 事业单位）、上级单位' },
  { kind: 'people', run: importPeople, what: '人员', example: '人员.csv', columns: '姓名、企业微信账号、单位、职务、角色（第一责任人、分管领导、联络员、责任人、联席会议成员…）、手机' },
  {
    kind: 'ledger',
    run: importLedger,
    what: '台账条目',
    example: '台账.xlsx --campaign 1',
    columns: '单位、问题类别、问题描述、整改措施、整治目标、完成时限、责任部门、责任领导、具体责任人、是否公开、[编号]',
  },
  {
    kind: 'inspections',
    run: importInspections,
    what: '督查记录',
    example: '督查记录.xlsx --campaign 1',
    columns: '被检查单位、检查日期、检查方式、发现问题、问题类别、是否整改、[整改时限]、[责任领导]、[具体责任人]、[是否典型]、检查人',
  },
]

/** `import units|people|ledger|inspections <file> [--dry-run] [--campaign id]`: a roster, a ledger or findings from a spreadsheet, all or nothing. */
export function addImportCommand(program: Command, cli: CliContext): void {
  const group = program
    .command('import')
    .description('从表格导入单位、人员、工作台账或督查记录（有问题则全部不写入）')
    .addHelpText(
      'after',
      `
先检查再写入：有任何问题都不写入，并逐条列出工作表、行、列和原因；--dry-run 只检查。
文件不超过 IMPORT_MAX_MB（默认 50 MB）；CSV 可以是 UTF-8 或 GBK 编码。
例：npm run cli -- import units 单位.xlsx --dry-run`,
    )
  for (const { kind, run, what, example, columns } of KINDS) {
    const command = group
      .command(kind)
      .description(`导入${what}：${columns}`)
      .argument('<文件>', '.xlsx 或 .csv 文件')
      .option('--dry-run', '只检查，不写入')
    if (kind === 'ledger' || kind === 'inspections') command.option('--campaign <编号>', '导入到哪个专项治理（默认为当前的专项治理）')
    command.addHelpText('after', `\n例：npm run cli -- import ${kind} ${example} --dry-run`).action(
      exitCode(async (file: string, options: { dryRun?: boolean; campaign?: string }, command: Command) => {
        const campaignId = options.campaign === undefined ? undefined : Number(options.campaign)
        if (campaignId !== undefined && !Number.isInteger(campaignId)) command.error(`--campaign「${options.campaign}」应为专项治理编号。`)
        const dryRun = options.dryRun ?? false
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          // A progress bar on a terminal: a 20,000-row ledger takes a while.
          const bar = process.stderr.isTTY
            ? (done: number, total: number) => {
                if (done % 200 === 0 || done === total) process.stderr.write(`\r${dryRun ? '检查' : '导入'} ${done}/${total} ${'█'.repeat(Math.round((done / total) * 30)).padEnd(30, '░')}${done === total ? '\n' : ''}`)
              }
            : undefined
          // `npm run` runs in the package folder; a relative path means the folder the command was typed in.
          const path = resolve(process.env.INIT_CWD ?? process.cwd(), file)
          const result = await run(dataSource, path, { dryRun, campaignId, onProgress: bar, limits: { maxFileBytes: cli.config().importMaxBytes } })
          cli.print(formatImportResult(result, what, dryRun))
          return result.problems.length > 0 ? 1 : 0
        } finally {
          await dataSource.destroy()
        }
      }),
    )
  }
}
