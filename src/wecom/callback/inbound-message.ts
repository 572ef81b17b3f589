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
  | (Common & { kind: 'media'; msgId: string; media: WeComMedia })
  | (Common & { kind: 'other'; msgType: string; msgId: string | null })

/**
 * What a person sent besides text (docs/wecom.md, Callback messages): a media id to fetch the
 * bytes with (valid 3 days), or a place. Absent optional fields are '' (Scale: null).
 */
export type WeComMedia =
  | { type: 'image'; mediaId: string; picUrl: string }
  | { type: 'voice'; mediaId: string; format: string }
  | { type: 'video'; mediaId: string; thumbMediaId: string }
  /** The coordinates as numbers, and as WeCom wrote them (decimal text: trailing zeros and every digit kept). */
  | { type: 'location'; latitude: number; longitude: number; latitudeText: string; longitudeText: string; scale: number | null; label: string }

/** The longest media id taken; WeCom's are far shorter. */
const MEDIA_ID_MAX = 256
/** A location's label is cut to this many characters (code points). */
export const LABEL_MAX = 200
const MEDIA_ID = /^[A-Za-z0-9_\-@.]+$/
/** A plain decimal (WeCom writes coordinates so): no exponent, hex, Infinity or empty text. */
const DECIMAL = /^[+-]?\d{1,3}(?:\.\d{1,20})?$/

/** A media id as WeCom issues them: 1–256 letters, digits, `_-@.`; anything else is refused, never passed to media/get. */
function mediaIdOf(fields: XmlFields, name: 'MediaId' | 'ThumbMediaId', required: boolean): string {
  const value = xmlText(fields, name) ?? ''
  if (value === '') {
    if (required) throw new XmlRejectedError(`${name} is required`)
    return ''
  }
  if (value.length > MEDIA_ID_MAX || !MEDIA_ID.test(value)) throw new XmlRejectedError(`${name} is not a media id`)
  return value
}

/** A coordinate in degrees, within ±limit. */
function coordinateOf(fields: XmlFields, name: 'Location_X' | 'Location_Y', limit: number): { value: number; text: string } {
  const text = xmlText(fields, name) ?? ''
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN
  if (!Number.isFinite(value) || value < -limit || value > limit) throw new XmlRejectedError(`${name} is not a coordinate`)
  return { value, text }
}

/** The first `max` code points of `text` (a surrogate pair is never split); the text itself when shorter. */
function cutCodePoints(text: string, max: number): string {
  if (text.length <= max) return text
  let end = 0
  for (let count = 0; count < max && end < text.length; count++) end += text.codePointAt(end)! > 0xffff ? 2 : 1
  return text.slice(0, end)
}

/** The media of an image, voice, video or location message; undefined for any other type. */
function mediaOf(fields: XmlFields, msgType: string): WeComMedia | undefined {
  switch (msgType) {
    case 'image':
      return { type: 'image', mediaId: mediaIdOf(fields, 'MediaId', true), picUrl: xmlText(fields, 'PicUrl') ?? '' }
    case 'voice':
      return { type: 'voice', mediaId: mediaIdOf(fields, 'MediaId', true), format: xmlText(fields, 'Format') ?? '' }
    case 'video':
      return { type: 'video', mediaId: mediaIdOf(fields, 'MediaId', true), thumbMediaId: mediaIdOf(fields, 'ThumbMediaId', false) }
    case 'location': {
      // The zoom level says nothing we rely on: one we cannot read is left out, not refused.
      const scale = xmlText(fields, 'Scale') ?? ''
      const [latitude, longitude] = [coordinateOf(fields, 'Location_X', 90), coordinateOf(fields, 'Location_Y', 180)]
      return {
        type: 'location',
        latitude: latitude.value,
        longitude: longitude.value,
        latitudeText: latitude.text,
        longitudeText: longitude.text,
        scale: /^\d{1,3}$/.test(scale) ? Number(scale) : null,
        label: cutCodePoints(xmlText(fields, 'Label') ?? '', LABEL_MAX),
      }
    }
    default:
      return undefined
  }
}

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
  const dedupeKey = `msg:${msgId}:${from}`
  if (msgType === 'text') return { ...common, kind: 'text', msgId, content: xmlText(fields, 'Content') ?? '', dedupeKey }
  const media = mediaOf(fields, msgType)
  if (media !== undefined) return { ...common, kind: 'media', msgId, media, dedupeKey }
  // Links, files and anything WeCom adds later.
  return { ...common, kind: 'other', msgType, msgId, dedupeKey }
}
