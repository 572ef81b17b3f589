/**
 * What node:util's parseArgs refused, in Chinese (its own messages are English): the option or
 * argument it names and what was wrong with it.
 */
export function describeArgsError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string }
  const named = /'([^']*)'/.exec(message ?? '')?.[1]?.replace(/ <value>$/, '') ?? ''
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `不认识的选项 ${named}`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /missing/.test(message ?? '') ? `选项 ${named} 后面缺少值` : `选项 ${named} 不带值`
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `多余的参数 ${named}`
    default:
      return '无法识别'
  }
}
