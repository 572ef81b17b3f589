import { parseArgs } from 'node:util'
import { In } from 'typeorm'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { PersonSchema } from '../domain/entities/index.js'
import { UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import { runSweep } from '../reminders/run-sweep.js'
import { beijingInstant } from '../time/calendar-date.js'

const USAGE = '用法：npm run cli -- remind --at "YYYY-MM-DD HH:MM" [--dry-run]（北京时间）\n例：npm run cli -- remind --at "2015-08-28 09:00" --dry-run'

/** `remind --at … [--dry-run]`: the sweep at a given moment — printed, and enqueued unless a dry run. */
export async function runRemindCommand(args: string[], config: Readonly<Config>, logger: Logger, print: (line: string) => void): Promise<number> {
  let values: { at?: string; 'dry-run'?: boolean }
  try {
    values = parseArgs({ args, options: { at: { type: 'string' }, 'dry-run': { type: 'boolean' } } }).values
  } catch (error) {
    throw new UserFacingError('bad_arguments', `参数有误：${(error as Error).message}\n${USAGE}`)
  }
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2}))?$/.exec(values.at ?? '')
  const at = match ? beijingInstant(match[1]!, Number(match[2] ?? 9), Number(match[3] ?? 5)) : null
  if (!at || Number.isNaN(at.getTime())) throw new UserFacingError('bad_arguments', `--at「${values.at ?? ''}」不是有效的时间。\n${USAGE}`)
  const dataSource = await openDatabase(config.database, logger)
  try {
    const result = await runSweep(dataSource, at, { dryRun: values['dry-run'] })
    const users = [...new Set(result.messages.flatMap((m) => m.to))]
    const names = new Map((await dataSource.getRepository(PersonSchema).find({ where: { userid: In(users) }, select: { userid: true, name: true } })).map((p) => [p.userid, p.name]))
    for (const message of result.messages) {
      print(`→ ${message.to.map((u) => `${names.get(u) ?? u}(${u})`).join('、')}`)
      print(message.content)
      print('')
    }
    const verdict = values['dry-run'] ? '试运行，未写入发件箱' : `已写入发件箱 ${result.written} 条（已发过的不再重复）`
    print(result.messages.length === 0 ? `${result.plan.today} 没有需要发送的提醒（休息日、无进行中的专项治理，或都已发过）。` : `共 ${result.messages.length} 条消息；${verdict}。`)
    return 0
  } finally {
    await dataSource.destroy()
  }
}
