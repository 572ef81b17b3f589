import type { DataSource } from 'typeorm'
import { WeComApiError } from '../wecom/errors.js'
import { fitToLimits, isStoredFile, isStoredImage, type AppMessage, type RobotMessage } from '../wecom/messages.js'
import { CARD_UPDATE_HOURS, isCardUpdate, type CardUpdatePayload } from '../outbox/card-update.js'
import { CardStateSchema, type OutboxMessage } from '../db/entities/index.js'
import type { WeComClient } from '../wecom/wecom-client.js'
import { imageUploadType, mediaIdFor, type UploadType } from '../outbox/stored-files.js'
import { EMPTY_RECEIPT, PermanentDeliveryError, type DeliveryReceipt, type Transport } from './transport.js'

export interface WeComTransportOptions {
  /** Where stored files (file messages) are read from; needed only to send files. */
  dataSource?: DataSource
  now?: () => Date
  /** Button cards (default on); off: every card row sends its fallback (docs/cards.md, Fallback). */
  cards?: boolean
}

/** WeCom's answer when a card's task id was used before: by this row's earlier attempt, since no other row has it (docs/cards.md). */
const TASK_ID_USED = 42014

/**
 * Sends outbox rows through the WeCom API: app messages, replies, app group chats, group robots,
 * and recalls of app messages. A stored file is uploaded (media/upload) and sent as a file message.
 */
export function createWeComTransport(client: WeComClient, robots: Readonly<Record<string, string>>, options: WeComTransportOptions = {}): Transport {
  const now = options.now ?? (() => new Date())
  const cards = options.cards ?? true

  type Recipients = { touser?: string[]; toparty?: string[]; totag?: string[] }

  /** Each part of a message (a long fallback may need two), with WeCom's duplicate check. */
  async function sendParts(recipients: Recipients, message: AppMessage): Promise<DeliveryReceipt> {
    const receipt: DeliveryReceipt = { msgids: [], invalidUsers: [], unlicensedUsers: [] }
    for (const part of fitToLimits(message)) {
      const result = await client.sendMessage(recipients, part)
      receipt.msgids.push(...result.msgids)
      receipt.invalidUsers.push(...result.invalidUsers)
      receipt.unlicensedUsers.push(...result.unlicensedUsers)
    }
    return receipt
  }

  /**
   * A message to members. A card goes without its fallback (ours), or as its fallback when cards
   * are off; a card WeCom says it had already (42014, the task id used) was delivered by an
   * earlier attempt of this row whose answer was lost.
   */
  async function sendToMembers(recipients: Recipients, payload: AppMessage): Promise<DeliveryReceipt> {
    if (payload.msgtype !== 'template_card') {
      const result = await client.sendMessage(recipients, payload)
      return { msgids: result.msgids, invalidUsers: result.invalidUsers, unlicensedUsers: result.unlicensedUsers }
    }
    const { fallback, ...card } = payload
    if (!cards && fallback) return sendParts(recipients, fallback)
    try {
      const result = await client.sendMessage(recipients, card)
      return { msgids: result.msgids, invalidUsers: result.invalidUsers, unlicensedUsers: result.unlicensedUsers }
    } catch (error) {
      if (error instanceof WeComApiError && error.errcode === TASK_ID_USED) return EMPTY_RECEIPT
      throw error
    }
  }

  /** Whether the card has a newer version than this update shows (card_state, docs/cards.md). */
  async function superseded(payload: CardUpdatePayload): Promise<boolean> {
    const taskId = payload.template_card.task_id
    if (!options.dataSource || !taskId) return false
    const state = await options.dataSource.getRepository(CardStateSchema).findOne({ where: { taskId }, select: { version: true } })
    return state !== null && payload.version < state.version
  }

  /**
   * A card's update after a tap: the whole new card with the tap's response code, for everyone
   * the card went to. A code older than CARD_UPDATE_HOURS, or one WeCom refuses (used, expired),
   * gives way to the outcome as a message (docs/cards.md, Updating a card).
   */
  async function updateCard(row: OutboxMessage, recipients: Recipients): Promise<DeliveryReceipt> {
    const payload: unknown = JSON.parse(row.payload)
    if (!isCardUpdate(payload)) throw new PermanentDeliveryError(`outbox row ${row.id}: not a card update`)
    const asMessage = () => sendParts(recipients, payload.fallback)
    // A later update shows everything this one does and more: this one, retried late, would turn the card back.
    if (await superseded(payload)) return EMPTY_RECEIPT
    if (!cards || now().getTime() - row.createdAt.getTime() > CARD_UPDATE_HOURS * 3_600_000) return asMessage()
    try {
      await client.updateTemplateCard({ userids: recipients.touser ?? [], responseCode: payload.response_code, card: payload.template_card })
      return EMPTY_RECEIPT
    } catch (error) {
      if (error instanceof WeComApiError && !error.retryable) return asMessage()
      throw error
    }
  }

  /** The message as WeCom takes it: a stored file becomes a file message with its media id. */
  async function resolve(message: AppMessage): Promise<AppMessage> {
    if (!isStoredFile(message) && !isStoredImage(message)) return message
    if (!options.dataSource) throw new PermanentDeliveryError('file messages need the database: the transport was created without one')
    const upload = (type: UploadType, filename: string, content: Buffer) => client.uploadMedia(type, filename, content)
    if (isStoredFile(message)) return { msgtype: 'file', file: { media_id: await mediaIdFor(options.dataSource, message.file.stored_file_id, 'file', upload, now()) } }
    // A photo over WeCom's image limit goes as a file (docs/evidence.md, Showing).
    const id = message.image.stored_file_id
    const type = await imageUploadType(options.dataSource, id)
    const mediaId = await mediaIdFor(options.dataSource, id, type, upload, now())
    return type === 'image' ? { msgtype: 'image', image: { media_id: mediaId } } : { msgtype: 'file', file: { media_id: mediaId } }
  }

  return {
    name: 'wecom',
    async send(row: OutboxMessage) {
      const recipients = JSON.parse(row.recipients) as { touser?: string[]; toparty?: string[]; totag?: string[]; chatid?: string; robot?: string }
      const payload = row.channel === 'recall' || row.channel === 'webhook' || row.channel === 'card_update' ? (JSON.parse(row.payload) as AppMessage) : await resolve(JSON.parse(row.payload) as AppMessage)
      switch (row.channel) {
        case 'app':
        case 'reply':
          // With WeCom's duplicate check (the client's default): a resend after a lost answer or a
          // crash is byte-identical and not delivered twice (docs/delivery.md).
          return sendToMembers(recipients, payload)
        case 'card_update':
          return updateCard(row, recipients)
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
