import { createHash } from 'node:crypto'
import { parseWeComXml, xmlChildren, xmlText, xmlTexts, XmlRejectedError, type XmlFields } from './parse-xml.js'

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
      /** A card's drop-down choices (SelectedItems): question key → option ids. */
      selected: { questionKey: string; optionIds: string[] }[]
    })
  | (Common & { kind: 'other'; msgType: string; msgId: string | null })

/** A card tap's drop-down choices; at most 10 questions of 10 options are read (a card has one). */
function selectedItems(fields: XmlFields): { questionKey: string; optionIds: string[] }[] {
  return xmlChildren(fields, 'SelectedItems')
    .flatMap((items) => xmlChildren(items, 'SelectedItem'))
    .slice(0, 10)
    .map((item) => ({
      questionKey: xmlText(item, 'QuestionKey') ?? '',
      optionIds: xmlChildren(item, 'OptionIds')
        .flatMap((ids) => xmlTexts(ids, 'OptionId'))
        .slice(0, 10),
    }))
}

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
    const responseCode = xmlText(fields, 'ResponseCode') ?? ''
    // A tap has no MsgId and WeCom retries it: the same tap is the same sender, card, button and
    // response code, whatever its CreateTime (docs/cards.md, Taps).
    const identity = event === 'template_card_event' ? ['card', from, taskId, eventKey, responseCode] : ['event', from, createTime, event, eventKey, taskId]
    return {
      ...common,
      kind: 'event',
      event,
      eventKey,
      taskId,
      cardType: xmlText(fields, 'CardType') ?? '',
      responseCode,
      selected: selectedItems(fields),
      dedupeKey: eventDedupeKey(identity.join(':')),
    }
  }
  if (msgId === null) throw new XmlRejectedError('MsgId is required for messages')
  if (msgType === 'text') return { ...common, kind: 'text', msgId, content: xmlText(fields, 'Content') ?? '', dedupeKey: `msg:${msgId}:${from}` }
  return { ...common, kind: 'other', msgType, msgId, dedupeKey: `msg:${msgId}:${from}` }
}
