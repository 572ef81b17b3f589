import { RefusalError, UserFacingError } from '../errors.js'

/** Each field's canonical key and the names people write for it. */
export type FieldNames<K extends string> = Readonly<Record<K, readonly string[]>>

export interface FieldReading<K extends string> {
  names: FieldNames<K>
  /** The first line holds the command's verb ("问责 登记"), not a field. Default false. */
  skipFirstLine?: boolean
  /** Several fields may share a line: "单位：城关镇 日期：9月15日". Default false. */
  severalPerLine?: boolean
  /** The field that lines which are no field continue (a report's 内容 over several lines). Default none. */
  continued?: K
}

/** "字段：内容": a name of up to 8 characters, either colon (full or half width), the text. */
const FIELD_LINE = /^\s*([^:：]{1,8})\s*[:：]\s*([\s\S]*?)\s*$/

/**
 * Reads the "字段：内容" lines of a form (登记, 问责 登记, 督查 登记, 举报 登记) into fields by their
 * canonical keys. A line whose name is unknown, or whose text is empty, sets nothing; a later line wins.
 */
export function readFields<K extends string>(text: string, reading: FieldReading<K>): Partial<Record<K, string>> {
  const keys = Object.keys(reading.names) as K[]
  const keyOf = (name: string) => keys.find((key) => reading.names[key].includes(name.trim()))
  const fields: Partial<Record<K, string>> = {}
  let last: K | undefined
  for (const line of splitLines(text, reading)) {
    const match = FIELD_LINE.exec(line)
    const key = match ? keyOf(match[1]!) : undefined
    if (key) {
      last = key
      if (match![2]) fields[key] = match![2]
    } else if (last !== undefined && last === reading.continued && line.trim()) fields[last] = `${fields[last] ?? ''}\n${line.trim()}`.trim()
  }
  return fields
}

function splitLines<K extends string>(text: string, reading: FieldReading<K>): string[] {
  let breaks = /\r?\n/
  if (reading.severalPerLine) {
    const names = Object.values<readonly string[]>(reading.names).flat()
    breaks = new RegExp(`\\r?\\n|\\s+(?=(?:${names.join('|')})\\s*[:：])`)
  }
  const lines = text.split(breaks)
  return reading.skipFirstLine ? lines.slice(1) : lines
}

/** The names of the required fields not given, in the order `required` lists them. */
export function missingFields<K extends string>(fields: Partial<Record<K, string>>, required: Partial<Record<K, string>>): string[] {
  return (Object.entries(required) as [K, string][]).filter(([key]) => !fields[key]).map(([, name]) => name)
}

/** "未登记：缺少 问题、措施。请按下面的格式每项一行发送：" and the example; `hint` goes before the colon. */
export function missingFieldsError(missing: readonly string[], example: string, hint = ''): UserFacingError {
  return new UserFacingError('missing_fields', `未登记：缺少 ${missing.join('、')}。请按下面的格式每项一行发送${hint}：\n${example}`)
}

/**
 * Every problem of a form, one a line after "未登记，请修改后重发：". When a field could not be
 * read the answer is a UserFacingError (with `example` after it, when given); fields read but
 * refused as things stand are a RefusalError, without the usage (docs/chat-input.md, Usage only
 * when the arguments were wrong).
 */
export function fieldProblemsError(problems: readonly string[], unreadable: boolean, example?: string): UserFacingError {
  const list = `未登记，请修改后重发：\n${problems.map((p) => `- ${p}`).join('\n')}`
  if (!unreadable) return new RefusalError('bad_fields', list)
  return new UserFacingError('bad_fields', example === undefined ? list : `${list}\n格式：\n${example}`)
}
