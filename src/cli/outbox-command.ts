import type { Command } from 'commander'
import { openDatabase } from '../db/open-database.js'
import { outboxStatus, retryOutbox } from '../delivery/outbox-admin.js'
import { outboxBacklog, quietHoursEnd, quietHoursResume, quietHoursText } from '../outbox/outbox-backlog.js'
import { formatBeijingDateTime } from '../time/calendar-date.js'
import { exitCode, type CliContext } from './program.js'

/** `outbox status` and `outbox retry <id>|--dead`. */
export function addOutboxCommand(program: Command, cli: CliContext): void {
  const outbox = program.command('outbox').description('发件箱：状态、重新投递')
  outbox
    .command('status')
    .description('各状态数量、最早的待发送、失败的消息及原因')
    .action(
      exitCode(async () => {
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          const now = new Date()
          const { quietHours } = cli.config()
          const report = await outboxStatus(dataSource)
          const { counts } = report
          cli.print(`发件箱：待发送 ${counts.pending}，发送中 ${counts.sending}，已发送 ${counts.sent}，失败 ${counts.dead}，已取消 ${counts.cancelled}`)
          // While it is quiet the worker holds non-urgent messages back on purpose (docs/delivery.md): say until when, so that they do not look stuck.
          const resume = quietHoursResume(now, quietHours)
          const { heldForQuietHours } = await outboxBacklog(dataSource, now, quietHours)
          if (resume !== null && heldForQuietHours > 0) {
            cli.print(`静默时段（${quietHoursText(quietHours)}）：${heldForQuietHours} 条消息等静默时段结束，${resume} 后发送；回复等紧急消息照常发送。`)
          }
          const oldest = report.oldestPending
          if (oldest) {
            const waitedMinutes = Math.max(0, Math.round((now.getTime() - oldest.createdAt.getTime()) / 60_000))
            const end = quietHoursEnd(now, quietHours)
            const when = end && !oldest.urgent && oldest.nextAttemptAt <= end ? `静默时段，${resume} 后发送` : `计划于 ${formatBeijingDateTime(oldest.nextAttemptAt)} 发送`
            cli.print(`最早的待发送：#${oldest.id}，已等待 ${waitedMinutes} 分钟，${when}（已尝试 ${oldest.attempts} 次）`)
          }
          if (report.dead.length > 0) {
            cli.print('失败的消息（最近 20 条）：')
            for (const row of report.dead) cli.print(`  #${row.id} ${row.dedupeKey}  尝试 ${row.attempts} 次  ${row.lastError ?? ''}`)
            cli.print('处理原因后重试：npm run cli -- outbox retry --dead')
          }
          return 0
        } finally {
          await dataSource.destroy()
        }
      }),
    )
  outbox
    .command('retry')
    .description('重新投递一条消息，或全部失败的消息（投递进程立即重试）')
    .argument('[编号]', '消息编号（见 outbox status）')
    .option('--dead', '全部失败的消息')
    .addHelpText('after', '\n例：npm run cli -- outbox retry --dead\n    npm run cli -- outbox retry 42')
    .action(
      exitCode(async (id: string | undefined, options: { dead?: boolean }, command: Command) => {
        if (options.dead && id !== undefined) command.error('retry 只能给消息编号或 --dead 之一。')
        if (!options.dead && !/^\d+$/.test(id ?? '')) command.error(`retry 需要消息编号或 --dead，收到「${id ?? ''}」。`)
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          const count = await retryOutbox(dataSource, options.dead ? { allDead: true } : { id: Number(id) }, new Date())
          cli.print(count > 0 ? `已重新排队 ${count} 条消息，投递进程将立即重试。` : '没有可重试的消息（编号不存在，或已发送）。')
          return count > 0 || options.dead ? 0 : 1
        } finally {
          await dataSource.destroy()
        }
      }),
    )
}
