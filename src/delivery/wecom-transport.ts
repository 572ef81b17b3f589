import type { DataSource } from 'typeorm'
import type { OutboxMessage } from '../db/entities/index.js'
import { isStoredFile, type AppMessage, type RobotMessage } from '../wecom/messages.js'
import type { WeComClient } from '../wecom/wecom-client.js'
import { mediaIdFor } from '../outbox/stored-files.js'
import { EMPTY_RECEIPT, PermanentDeliveryError, type Transport } from './transport.js'

export interface WeComTransportOptions {
  /** Where stored files (file messages) are read from; needed only to send files. */
  dataSource?: DataSource
  now?: () => Date
}

/**
 * Sends outbox rows through the WeCom API: app messages, replies, app group chats, group robots,
 * and recalls of app messages. A stored file is uploaded (media/upload) and sent as a file message.
 */
export function createWeComTransport(client: WeComClient, robots: Readonly<Record<string, string>>, options: WeComTransportOptions = {}): Transport {
  const now = options.now ?? (() => new Date())

  /** The message as WeCom takes it: a stored file becomes a file message with its media id. */
  async function resolve(message: AppMessage): Promise<AppMessage> {
    if (!isStoredFile(message)) return message
    if (!options.dataSource) throw new PermanentDeliveryError('file messages need the database: the transport was created without one')
    const mediaId = await mediaIdFor(options.dataSource, message.file.stored_file_id, (filename, content) => client.uploadMedia('file', filename, content), now())
    return { msgtype: 'file', file: { media_id: mediaId } }
  }

  return {
    name: 'wecom',
    async send(row: OutboxMessage) {
      const recipients = JSON.parse(row.recipients) as { touser?: string[]; toparty?: string[]; totag?: string[]; chatid?: string; robot?: string }
      const payload = row.channel === 'recall' || row.channel === 'webhook' ? (JSON.parse(row.payload) as AppMessage) : await resolve(JSON.parse(row.payload) as AppMessage)
      switch (row.channel) {
        case 'app':
        case 'reply': {
          // With WeCom's duplicate check (the client's default): a resend after a lost answer or a
          // crash is byte-identical and not delivered twice (docs/delivery.md).
          const result = await client.sendMessage(recipients, payload)
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
