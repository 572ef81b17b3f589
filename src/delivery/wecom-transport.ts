import type { OutboxMessage } from '../domain/entities/index.js'
import type { AppMessage, RobotMessage } from '../wecom/messages.js'
import type { WeComClient } from '../wecom/wecom-client.js'
import { EMPTY_RECEIPT, PermanentDeliveryError, type Transport } from './transport.js'

/** Sends outbox rows through the WeCom API: app messages, replies, app group chats, group robots, and recalls of app messages. */
export function createWeComTransport(client: WeComClient, robots: Readonly<Record<string, string>>): Transport {
  return {
    name: 'wecom',
    async send(row: OutboxMessage) {
      const recipients = JSON.parse(row.recipients) as { touser?: string[]; toparty?: string[]; totag?: string[]; chatid?: string; robot?: string }
      const payload = JSON.parse(row.payload) as AppMessage
      switch (row.channel) {
        case 'app':
        case 'reply': {
          const result = await client.sendMessage(recipients, payload, { duplicateCheck: row.channel === 'app' })
          return { msgids: result.msgids, invalidUsers: result.invalidUsers, unlicensedUsers: result.unlicensedUsers }
        }
        case 'appchat':
          await client.sendAppChat(String(recipients.chatid), payload)
          return EMPTY_RECEIPT
        case 'recall':
          await client.recallMessage(String((payload as unknown as { msgid: string }).msgid))
          return EMPTY_RECEIPT
        case 'webhook': {
          const key = robots[String(recipients.robot)]
          if (!key) throw new PermanentDeliveryError(`群机器人「${recipients.robot}」未配置：在 WECOM_ROBOTS 中添加 名称=key`)
          await client.sendRobot(key, payload as RobotMessage)
          return EMPTY_RECEIPT
        }
      }
    },
  }
}
