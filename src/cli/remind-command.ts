import type { Command } from 'commander'
import { In } from 'typeorm'
import { openDatabase } from '../db/open-database.js'
import { PersonSchema } from '../db/entities/index.js'
import { runSweep } from '../domain/reminders/run-sweep.js'
import { beijingInstant } from '../time/calendar-date.js'
import { exitCode, type CliContext } from './program.js'

/** `remind --at … [--dry-run]`: the sweep at a given moment — printed, and enqueued unless a dry run. */
export function addRemindCommand(program: Command, cli: CliContext): void {
  program
    .command('remind')
    .description('预览（或执行）某一时刻的提醒扫描（北京时间）')
    .option('--at <时间>', '北京时间 "YYYY-MM-DD HH:MM"（必填；只写日期则为当天 09:05）')
    .option('--dry-run', '只预览，不写入发件箱')
    .addHelpText('after', '\n例：npm run cli -- remind --at "2015-08-28 09:00" --dry-run')
    .action(
      exitCode(async (options: { at?: string; dryRun?: boolean }, command: Command) => {
        const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2}))?$/.exec(options.at ?? '')
        const at = match ? beijingInstant(match[1]!, Number(match[2] ?? 9), Number(match[3] ?? 5)) : null
        if (!at || Number.isNaN(at.getTime())) command.error(`--at「${options.at ?? ''}」不是有效的时间。`)
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          const result = await runSweep(dataSource, at, { dryRun: options.dryRun })
          const users = [...new Set(result.messages.flatMap((m) => m.to))]
          const names = new Map((await dataSource.getRepository(PersonSchema).find({ where: { userid: In(users) }, select: { userid: true, name: true } })).map((p) => [p.userid, p.name]))
          for (const message of result.messages) {
            cli.print(`→ ${message.to.map((u) => `${names.get(u) ?? u}(${u})`).join('、')}`)
            cli.print(message.content)
            cli.print('')
          }
          const verdict = options.dryRun ? '试运行，未写入发件箱' : `已写入发件箱 ${result.written} 条（已发过的不再重复）`
          cli.print(result.messages.length === 0 ? `${result.plan.today} 没有需要发送的提醒（休息日、无进行中的专项治理，或都已发过）。` : `共 ${result.messages.length} 条消息；${verdict}。`)
          return 0
        } finally {
          await dataSource.destroy()
        }
      }),
    )
}
