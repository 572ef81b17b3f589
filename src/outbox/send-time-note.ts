import { BEIJING_TIME_ZONE } from '../time/calendar-date.js'
import { BYTE_LIMITS, truncateUtf8, utf8Length } from '../wecom/utf8-limits.js'
import type { AppMessage } from '../wecom/messages.js'

/** Bytes enqueue() keeps free in every app message and reply for the note (the longest is 56). */
export const SEND_NOTE_BYTES = 64

const clock = new Intl.DateTimeFormat('zh-CN', { timeZone: BEIJING_TIME_ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })

/**
 * The message with a short note of when it went out, at its end — "（10:32 发送）", grey in
 * markdown — so that it differs from an identical message sent to the same people within
 * WeCom's duplicate-check interval, which WeCom would otherwise not deliver (docs/delivery.md).
 * `variant` 0 notes the minute, 1 the second, 2 and on add a counter ("（10:32:05 发送 · 2）").
 * null when the message has no text to carry a note (files, template cards).
 */
export function withSendTimeNote(message: AppMessage, at: Date, variant: number): AppMessage | null {
  const time = clock.format(at)
  const note = variant === 0 ? `（${time.slice(0, 5)} 发送）` : variant === 1 ? `（${time} 发送）` : `（${time} 发送 · ${variant}）`
  switch (message.msgtype) {
    case 'text':
      return { msgtype: 'text', text: { content: `${message.text.content}\n${note}` } }
    case 'markdown':
      return { msgtype: 'markdown', markdown: { content: `${message.markdown.content}\n<font color="comment">${note}</font>` } }
    case 'textcard': {
      const room = BYTE_LIMITS.textcardDescription - utf8Length(note) - 1
      return { msgtype: 'textcard', textcard: { ...message.textcard, description: `${truncateUtf8(message.textcard.description, room)}\n${note}` } }
    }
    default:
      return null
  }
}
