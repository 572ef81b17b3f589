import type { DataSource } from 'typeorm'
import type { OutboxMessage } from '../db/entities/index.js'
import { orgAdmins } from '../domain/roster/org-admins.js'
import type { Logger } from '../logger.js'
import { markdown } from '../wecom/messages.js'
import { enqueue } from '../outbox/enqueue.js'
import { OUTCOME_UNKNOWN } from './unknown-outcome.js'

/** Keys of the bot's own operational alerts (subject kind 'alert'). */
export const ALERT_KEY_PREFIX = 'alert:'

/**
 * One alert to the administrators for the rows that died in a batch (never for the alerts
 * themselves), each group with what to do: rows that failed for good, and group messages held
 * back because their outcome is unknown (docs/delivery.md).
 */
export async function alertDeadRows(dataSource: DataSource, dead: readonly OutboxMessage[], now: Date, logger: Logger): Promise<void> {
  // The alerts' own failures are logged, never alerted about again.
  const reportable = dead.filter((row) => row.subjectKind !== 'alert')
  if (reportable.length === 0) return
  await dataSource.transaction(async (manager) => {
    const admins = (await orgAdmins(manager)).map((admin) => admin.userid)
    if (admins.length === 0) {
      logger.error({ outboxIds: reportable.map((r) => r.id) }, 'dead messages and no org_admin to alert')
      return
    }
    const doubtful = reportable.filter((row) => row.lastError?.startsWith(OUTCOME_UNKNOWN))
    const failed = reportable.filter((row) => !doubtful.includes(row))
    const parts = []
    if (failed.length > 0) {
      const lines = list(failed, (row) => `：${(row.lastError ?? '').slice(0, 80)}`)
      parts.push(`**${failed.length} 条消息多次发送失败，已停止重试**\n${lines}\n查看：npm run cli -- outbox status；处理后重试：npm run cli -- outbox retry --dead`)
    }
    if (doubtful.length > 0) {
      parts.push(`**${doubtful.length} 条群消息发送结果未知，为免重复未再发送**\n${list(doubtful, () => '')}\n请在群里确认；没有收到的，逐条重发：npm run cli -- outbox retry <编号>`)
    }
    await enqueue(
      manager,
      { dedupeKey: `${ALERT_KEY_PREFIX}dead:${reportable.map((r) => r.id).join(',')}`.slice(0, 160), subject: { kind: 'alert', id: null }, to: { users: admins }, message: markdown(parts.join('\n\n')) },
      now,
    )
  })
}

/** At most ten rows, "- #12 张伟、李娜：…", and how many more. */
function list(rows: readonly OutboxMessage[], detail: (row: OutboxMessage) => string): string {
  const lines = rows.slice(0, 10).map((row) => `- #${row.id} ${summarizeRecipients(row)}${detail(row)}`)
  if (rows.length > 10) lines.push(`- 另有 ${rows.length - 10} 条`)
  return lines.join('\n')
}

function summarizeRecipients(row: OutboxMessage): string {
  const r = JSON.parse(row.recipients) as { touser?: string[]; chatid?: string; robot?: string; msgid?: string }
  if (r.msgid) return `撤回消息 ${r.msgid}`
  if (r.chatid) return `群聊 ${r.chatid}`
  if (r.robot) return `群机器人 ${r.robot}`
  const users = r.touser ?? []
  return users.length > 3 ? `${users.slice(0, 3).join('、')} 等 ${users.length} 人` : users.join('、')
}
