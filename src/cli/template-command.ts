import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import type { Config } from '../config/load-config.js'
import { loadPlan } from '../domain/plan/load-plan.js'
import type { ProblemCategory } from '../domain/entities/index.js'
import { UserFacingError } from '../errors.js'
import { describeArgsError } from './describe-args-error.js'
import { templateWorkbook, type TemplateKind } from '../spreadsheets/templates.js'

const USAGE = `用法：npm run cli -- template <units|people|ledger> -o 文件.xlsx
写出空白模板：表头、一行示例、问题类别和角色的下拉选项，以及「填写说明」工作表。
例：npm run cli -- template ledger -o 台账模板.xlsx`

/** `template units|people|ledger -o file.xlsx`: an empty template the import reads back. */
export async function runTemplateCommand(args: string[], config: Readonly<Config>, print: (line: string) => void): Promise<number> {
  let parsed: { values: { output?: string }; positionals: string[] }
  try {
    parsed = parseArgs({ args, options: { output: { type: 'string', short: 'o' } }, allowPositionals: true })
  } catch (error) {
    throw new UserFacingError('bad_arguments', `参数有误：${describeArgsError(error)}。\n${USAGE}`)
  }
  const [kind] = parsed.positionals
  if (kind !== 'units' && kind !== 'people' && kind !== 'ledger') {
    print(USAGE)
    return kind === undefined ? 0 : 2
  }
  if (!parsed.values.output) throw new UserFacingError('bad_arguments', `缺少 -o 文件名。\n${USAGE}`)
  if (!parsed.values.output.toLowerCase().endsWith('.xlsx')) throw new UserFacingError('bad_arguments', `模板文件名应以 .xlsx 结尾。\n${USAGE}`)
  // The categories come from the configured plan: no database needed.
  const categories = loadPlan(config.plan).categories.map((c, i) => ({ id: i + 1, campaignId: 0, number: c.number, name: c.name, description: '' }) as unknown as ProblemCategory)
  // `npm run` runs in the package folder; a relative -o means the folder the command was typed in (INIT_CWD).
  const path = resolve(process.env.INIT_CWD ?? process.cwd(), parsed.values.output)
  try {
    await templateWorkbook(kind as TemplateKind, categories).xlsx.writeFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? '文件夹不存在' : code === 'EACCES' || code === 'EPERM' ? '没有写入权限' : code === 'EISDIR' ? '这是一个文件夹' : `错误代码 ${code ?? '未知'}`
    throw new UserFacingError('bad_output', `写不了 ${path}：${why}`)
  }
  print(`已写出模板 ${path}`)
  return 0
}
