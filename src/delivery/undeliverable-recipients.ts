import { IsNull, type DataSource } from 'typeorm'
import { PersonSchema } from '../db/entities/index.js'
import { orgAdmins } from '../domain/roster/org-admins.js'
import { inertText } from '../wecom/inert-text.js'
import { markdown } from '../wecom/messages.js'
import { ALERT_KEY_PREFIX } from './dead-row-alert.js'
import { enqueue } from '../outbox/enqueue.js'
import type { DeliveryReceipt } from './transport.js'

/** The row's last_error for members WeCom would not deliver to, or null when it delivered to all. */
export function describeUndelivered(receipt: DeliveryReceipt): string | null {
  const parts = []
  if (receipt.invalidUsers.length > 0) parts.push(`未送达（invaliduser）：${receipt.invalidUsers.join('、')}`)
  if (receipt.unlicensedUsers.length > 0) parts.push(`未送达（unlicenseduser）：${receipt.unlicensedUsers.join('、')}`)
  return parts.length > 0 ? parts.join('；') : null
}

/** Marks members WeCom refused and tells the administrators, once per member. */
export async function recordUndeliverable(dataSource: DataSource, receipt: DeliveryReceipt, at: Date): Promise<void> {
  const kinds = [
    ...receipt.invalidUsers.map((userid) => ({ userid, kind: 'invaliduser' })),
    ...receipt.unlicensedUsers.map((userid) => ({ userid, kind: 'unlicenseduser' })),
  ]
  await dataSource.transaction(async (manager) => {
    const fresh: { userid: string; kind: string; name: string }[] = []
    for (const { userid, kind } of kinds) {
      const person = await manager.findOneBy(PersonSchema, { userid, undeliverable: IsNull() })
      if (!person) continue
      await manager.update(PersonSchema, { id: person.id }, { undeliverable: kind, undeliverableSince: at })
      fresh.push({ userid, kind, name: inertText(person.name) })
    }
    const admins = (await orgAdmins(manager)).map((admin) => admin.userid)
    if (fresh.length === 0 || admins.length === 0) return
    const lines = fresh.map((p) =>
      p.kind === 'invaliduser'
        ? `- ${p.name}（${p.userid}）：不在应用可见范围或已不在企业（invaliduser）`
        : `- ${p.name}（${p.userid}）：没有接口许可（unlicenseduser）`,
    )
    await enqueue(
      manager,
      {
        dedupeKey: `${ALERT_KEY_PREFIX}undeliverable:${fresh.map((p) => `${p.userid}/${p.kind}`).join(',')}`.slice(0, 160),
        subject: { kind: 'alert', id: null },
        to: { users: admins },
        message: markdown(
          `**企业微信消息未送达**\n以下人员收不到机器人消息：\n${lines.join('\n')}\n请在管理后台调整应用可见范围或许可，或更新花名册。`,
        ),
      },
      at,
    )
  })
}
