import type { TemplateCard } from './template-card.js'
import { BYTE_LIMITS, splitUtf8, truncateUtf8 } from './utf8-limits.js'

export type { TemplateCard } from './template-card.js'

/** The message bodies this bot sends through message/send and appchat/send (docs/wecom.md, Sending app messages). */
export type AppMessage =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'textcard'; textcard: { title: string; description: string; url: string; btntxt?: string } }
  | CardMessage
  | { msgtype: 'file'; file: { media_id: string } }
  | StoredFileMessage
  | { msgtype: 'image'; image: { media_id: string } }
  | StoredImageMessage

/**
 * A file kept in the database (stored_file) as the outbox stores it: the delivery worker
 * uploads it (media/upload) and sends a `file` message with the media id.
 */
export interface StoredFileMessage {
  msgtype: 'file'
  file: { stored_file_id: number; filename: string }
}

/**
 * A photo kept in the database (evidence sent back, docs/evidence.md): the delivery worker uploads
 * it as an image (media/upload type image, up to 10 MB) and sends an `image` message; a larger one
 * goes as a file.
 */
export interface StoredImageMessage {
  msgtype: 'image'
  image: { stored_file_id: number; filename: string }
}

/**
 * A template card. `fallback` is what the same message is without cards (docs/cards.md,
 * Fallback): what members using WeChat get, and everyone when cards are turned off. It is ours,
 * never sent to WeCom with the card.
 */
export interface CardMessage {
  msgtype: 'template_card'
  template_card: TemplateCard
  fallback?: { msgtype: 'text'; text: { content: string } } | { msgtype: 'markdown'; markdown: { content: string } }
}

export const isStoredFile = (message: AppMessage): message is StoredFileMessage => message.msgtype === 'file' && 'stored_file_id' in message.file
export const isStoredImage = (message: AppMessage): message is StoredImageMessage => message.msgtype === 'image' && 'stored_file_id' in message.image

/** Group robot bodies (webhook/send, docs/wecom.md, Group robots). */
export type RobotMessage =
  | { msgtype: 'text'; text: { content: string; mentioned_list?: string[] } }
  | { msgtype: 'markdown'; markdown: { content: string } }

export const text = (content: string): AppMessage => ({ msgtype: 'text', text: { content } })
export const markdown = (content: string): AppMessage => ({ msgtype: 'markdown', markdown: { content } })
export const storedFile = (id: number, filename: string): StoredFileMessage => ({ msgtype: 'file', file: { stored_file_id: id, filename } })
export const storedImage = (id: number, filename: string): StoredImageMessage => ({ msgtype: 'image', image: { stored_file_id: id, filename } })

/**
 * The plain-text rendering of a message, for members who use WeCom through WeChat (微信插件),
 * where markdown and template cards do not render (docs/wecom.md, Pitfalls others ran into).
 */
export function toPlainText(message: AppMessage): AppMessage {
  switch (message.msgtype) {
    case 'text':
    case 'file':
    case 'image':
      return message
    case 'markdown':
      return text(markdownToText(message.markdown.content))
    case 'textcard': {
      const { title, description, url } = message.textcard
      return text(`${title}\n${markdownToText(description)}\n${url}`)
    }
    case 'template_card': {
      if (message.fallback) return toPlainText(message.fallback)
      const card = message.template_card
      const lines = [card.main_title.title, card.main_title.desc, card.sub_title_text]
      for (const row of card.horizontal_content_list ?? []) lines.push(`${row.keyname}：${row.value}`)
      if (card.card_action) lines.push(card.card_action.url)
      return text(lines.filter((l): l is string => Boolean(l)).join('\n'))
    }
  }
}

/** Strips the markdown subset WeCom renders (docs/wecom.md, Markdown) down to readable text. */
export function markdownToText(content: string): string {
  return content
    .replace(/<font[^>]*>([\s\S]*?)<\/font>/g, '$1')
    .replace(/\[([^\]]*)\]\(([^)]*)\)/g, '$1 $2')
    .replace(/\*\*([^*]*)\*\*/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/^>\s?/gm, '')
}

/**
 * Makes a message fit WeCom's byte limits: text and markdown are split into numbered parts
 * (each a message of its own), card fields are truncated with a visible note. The robot's
 * markdown allows 4,096 bytes. `reserveBytes` (default 0) are left free in the text and the
 * card's description, for a note the delivery worker may add (docs/delivery.md).
 */
export function fitToLimits(message: AppMessage, channel: 'app' | 'robot' = 'app', reserveBytes = 0): AppMessage[] {
  switch (message.msgtype) {
    case 'text':
      return splitUtf8(message.text.content, BYTE_LIMITS.text - reserveBytes).map(text)
    case 'markdown':
      return splitUtf8(message.markdown.content, (channel === 'robot' ? BYTE_LIMITS.robotMarkdown : BYTE_LIMITS.markdown) - reserveBytes).map(markdown)
    case 'textcard':
      return [
        {
          msgtype: 'textcard',
          textcard: {
            ...message.textcard,
            title: truncateUtf8(message.textcard.title, BYTE_LIMITS.textcardTitle, '…'),
            description: truncateUtf8(message.textcard.description, BYTE_LIMITS.textcardDescription - reserveBytes),
          },
        },
      ]
    default:
      return [message]
  }
}
