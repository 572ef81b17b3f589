import { createHash } from 'node:crypto'
import { parseWeComXml, xmlText, XmlRejectedError } from './parse-xml.js'

/** Keys fit the 191-character column; a longer one is hashed whole, never cut (cutting could make two events one). */
function eventDedupeKey(key: string): string {
  return key.length <= 191 ? key : `event#${createHash('sha256').update(key).digest('hex')}`
}

interface Common {
  /** The member's UserID (FromUserName), lower-cased as WeCom does. */
  from: string
  /** Unix seconds, as WeCom sent it. */
  createTime: string
  agentId: string
  /** The unique key that makes processing exactly-once (InboundMessage.dedupeKey). */
  dedupeKey: string
}

/** A decrypted callback message, discriminated by kind (docs/wecom.md, Callback messages). */
export type WeComInbound =
  | (Common & { kind: 'text'; msgId: string; content: string })
  | (Common & {
      kind: 'event'
      event: string
      eventKey: string
      taskId: string
      cardType: string
      responseCode: string
    })
  | (Common & { kind: 'other'; msgType: string; msgId: string | null })

/**
 * Turns the decrypted XML into a typed message. Messages are keyed by MsgId (a 64-bit number,
 * kept as a string); events by sender, time, event, key and task id, since sender and time alone
 * collide for distinct events (docs/wecom.md, Callback messages).
 */
export function parseInbound(xml: string): WeComInbound {
  const fields = parseWeComXml(xml)
  const from = (xmlText(fields, 'FromUserName') ?? '').toLowerCase()
  const createTime = xmlText(fields, 'CreateTime') ?? ''
  const msgType = xmlText(fields, 'MsgType') ?? ''
  const agentId = xmlText(fields, 'AgentID') ?? ''
  if (!from || !/^\d{1,12}$/.test(createTime) || !msgType) {
    throw new XmlRejectedError('FromUserName, CreateTime and MsgType are required')
  }
  const msgId = xmlText(fields, 'MsgId') || null
  if (msgId !== null && !/^\d{1,20}$/.test(msgId)) throw new XmlRejectedError('MsgId is not a number')
  const common = { from, createTime, agentId }
  if (msgType === 'event') {
    const event = xmlText(fields, 'Event') ?? ''
    const eventKey = xmlText(fields, 'EventKey') ?? ''
    const taskId = xmlText(fields, 'TaskId') ?? ''
    return {
      ...common,
      kind: 'event',
      event,
      eventKey,
      taskId,
      cardType: xmlText(fields, 'CardType') ?? '',
      responseCode: xmlText(fields, 'ResponseCode') ?? '',
      dedupeKey: eventDedupeKey(['event', from, createTime, event, eventKey, taskId].join(':')),
    }
  }
  if (msgId === null) throw new XmlRejectedError('MsgId is required for messages')
  if (msgType === 'text') return { ...common, kind: 'text', msgId, content: xmlText(fields, 'Content') ?? '', dedupeKey: `msg:${msgId}:${from}` }
  return { ...common, kind: 'other', msgType, msgId, dedupeKey: `msg:${msgId}:${from}` }
}
