import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { outboxStatus, retryOutbox } from '../delivery/outbox-admin.js'
import { UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import { formatBeijingDateTime } from '../time/calendar-date.js'

const USAGE = '用法：npm run cli -- outbox status\n      npm run cli -- outbox retry <编号>|--dead\n例：npm run cli -- outbox retry --dead'

/** `outbox status` and `outbox retry <id|--dead>`. Returns the exit code. */
export async function runOutboxCommand(
  args: string[],
  config: Readonly<Config>,
  logger: Logger,
  print: (line: string) => void,
  now: () => Date = () => new Date(),
): Promise<number> {
  const [action, target] = args
  if (action !== 'status' && action !== 'retry') {
    print(`未知的 outbox 子命令「${action ?? ''}」。\n${USAGE}`)
    return 2
  }
  if (action === 'retry' && target !== '--dead' && !/^\d+$/.test(target ?? '')) {
    throw new UserFacingError('bad_arguments', `retry 需要消息编号或 --dead，收到「${target ?? ''}」。\n${USAGE}`)
  }
  const dataSource = await openDatabase(config.database, logger)
  try {
    if (action === 'retry') {
      const count = await retryOutbox(dataSource, target === '--dead' ? { allDead: true } : { id: Number(target) }, now())
      print(count > 0 ? `已重新排队 ${count} 条消息，投递进程将立即重试。` : '没有可重试的消息（编号不存在，或已发送）。')
      return count > 0 || target === '--dead' ? 0 : 1
    }
    const report = await outboxStatus(dataSource)
    const { counts } = report
    print(`发件箱：待发送 ${counts.pending}，发送中 ${counts.sending}，已发送 ${counts.sent}，失败 ${counts.dead}，已取消 ${counts.cancelled}`)
    if (report.oldestPending) {
      const waitedMinutes = Math.max(0, Math.round((now().getTime() - report.oldestPending.createdAt.getTime()) / 60_000))
      print(
        `最早的待发送：#${report.oldestPending.id}，已等待 ${waitedMinutes} 分钟，计划于 ${formatBeijingDateTime(report.oldestPending.nextAttemptAt)} 发送（已尝试 ${report.oldestPending.attempts} 次）`,
      )
    }
    if (report.dead.length > 0) {
      print('失败的消息（最近 20 条）：')
      for (const row of report.dead) print(`  #${row.id} ${row.dedupeKey}  尝试 ${row.attempts} 次  ${row.lastError ?? ''}`)
      print('处理原因后重试：npm run cli -- outbox retry --dead')
    }
    return 0
  } finally {
    await dataSource.destroy()
  }
}
