import { resolve } from 'node:path'
import type { Command } from 'commander'
import { loadPlan } from '../domain/plan/load-plan.js'
import type { ProblemCategory } from '../db/entities/index.js'
import { UserFacingError } from '../errors.js'
import { templateWorkbook, type TemplateKind } from '../domain/spreadsheets/templates.js'
import { exitCode, type CliContext } from './program.js'

const KINDS: ReadonlyArray<{ kind: TemplateKind; what: string }> = [
  { kind: 'units', what: '单位' },
  { kind: 'people', what: '人员' },
  { kind: 'ledger', what: '工作台账' },
]

/** `template units|people|ledger -o file.xlsx`: an empty template the import reads back. */
export function addTemplateCommand(program: Command, cli: CliContext): void {
  const group = program
    .command('template')
    .description('写出空白导入模板（含下拉选项和填写说明）')
    .addHelpText('after', '\n模板有表头、一行示例、问题类别和角色的下拉选项，以及「填写说明」工作表。\n例：npm run cli -- template ledger -o 台账模板.xlsx')
  for (const { kind, what } of KINDS) {
    group
      .command(kind)
      .description(`${what}导入模板`)
      .option('-o, --output <文件.xlsx>', '要写出的文件（必填）')
      .addHelpText('after', `\n例：npm run cli -- template ${kind} -o ${what}模板.xlsx`)
      .action(
        exitCode(async (options: { output?: string }, command: Command) => {
          if (!options.output) command.error('缺少 -o 文件名。')
          if (!options.output.toLowerCase().endsWith('.xlsx')) command.error('模板文件名应以 .xlsx 结尾。')
          // The categories come from the configured plan: no database needed.
          const categories = loadPlan(cli.config().plan).categories.map((c, i) => ({ id: i + 1, campaignId: 0, number: c.number, name: c.name, description: '' }) as unknown as ProblemCategory)
          // `npm run` runs in the package folder; a relative -o means the folder the command was typed in (INIT_CWD).
          const path = resolve(process.env.INIT_CWD ?? process.cwd(), options.output)
          try {
            await templateWorkbook(kind, categories).xlsx.writeFile(path)
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code
            const why = code === 'ENOENT' ? '文件夹不存在' : code === 'EACCES' || code === 'EPERM' ? '没有写入权限' : code === 'EISDIR' ? '这是一个文件夹' : `错误代码 ${code ?? '未知'}`
            throw new UserFacingError('bad_output', `写不了 ${path}：${why}`)
          }
          cli.print(`已写出模板 ${path}`)
          return 0
        }),
      )
  }
}
