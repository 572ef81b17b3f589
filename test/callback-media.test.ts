import { Writable } from 'node:stream'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EvidenceSchema, InboundMessageSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { createLogger } from '../src/logger.js'
import { parseInbound, type WeComInbound } from '../src/wecom/callback/inbound-message.js'
import { XmlRejectedError } from '../src/wecom/callback/parse-xml.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { mediaXml, newMsgId, openPassiveReply, post, SECRETS, sign, type MediaFields } from './helpers/wecom-callback-client.js'

/**
 * Images, voice, video and locations a person sends the app (docs/wecom.md, Callback messages):
 * read into their fields, refused when malformed (400, one log line, nothing stored), and until
 * someone with no open item to attach them to, refused as evidence with nothing kept (the evidence
 * itself: test/evidence.test.ts).
 */

const ONLY_TEXT = '目前只能识别文字命令。请发送「帮助」查看可用命令。'
/** Media from someone who answers for no open item (here: no campaign runs): evidence has nowhere to go (docs/evidence.md). */
const NO_ITEM = '照片、语音、视频和位置用作整改佐证，只能附在您负责、尚未销号的事项上。您目前没有这样的事项，所以没有保存。发送「帮助」查看可用命令。'

/** The plaintext WeCom would post, with the person's sender id in upper case as a test of lower-casing. */
const parse = (media: MediaFields, msgId = newMsgId()) => parseInbound(mediaXml('ZhangWei', media, { msgId }))
const refusal = (media: MediaFields) => {
  try {
    parse(media)
  } catch (error) {
    if (error instanceof XmlRejectedError) return error.message
    throw error
  }
  return 'accepted'
}
const mediaOf = (message: WeComInbound) => (message.kind === 'media' ? message.media : undefined)

describe('parseInbound: media messages', () => {
  it('reads an image: the media id, the picture address, the message id and its de-duplication key', () => {
    const msgId = newMsgId()
    expect(parse({ type: 'image', mediaId: '2-G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0', picUrl: 'https://wework.qpic.cn/wwpic/1234/0' }, msgId)).toEqual({
      kind: 'media',
      from: 'zhangwei',
      createTime: expect.stringMatching(/^\d{10}$/),
      agentId: '1000002',
      msgId,
      dedupeKey: `msg:${msgId}:zhangwei`,
      media: { type: 'image', mediaId: '2-G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0', picUrl: 'https://wework.qpic.cn/wwpic/1234/0' },
    })
  })

  it('reads voice with its format and video with its thumbnail', () => {
    expect(mediaOf(parse({ type: 'voice', mediaId: 'voice.media@1', format: 'amr' }))).toEqual({ type: 'voice', mediaId: 'voice.media@1', format: 'amr' })
    expect(mediaOf(parse({ type: 'video', mediaId: 'video_1', thumbMediaId: 'thumb-1' }))).toEqual({ type: 'video', mediaId: 'video_1', thumbMediaId: 'thumb-1' })
  })

  it('leaves absent optional fields empty', () => {
    expect(mediaOf(parse({ type: 'image', mediaId: 'm1' }))).toEqual({ type: 'image', mediaId: 'm1', picUrl: '' })
    expect(mediaOf(parse({ type: 'voice', mediaId: 'm1' }))).toEqual({ type: 'voice', mediaId: 'm1', format: '' })
    expect(mediaOf(parse({ type: 'video', mediaId: 'm1' }))).toEqual({ type: 'video', mediaId: 'm1', thumbMediaId: '' })
  })

  it('reads a location: latitude, longitude, zoom and the place name', () => {
    expect(mediaOf(parse({ type: 'location', latitude: '23.134521', longitude: '113.358803', scale: '20', label: '广州市天河区珠江新城' }))).toEqual({
      type: 'location',
      latitude: 23.134521,
      longitude: 113.358803,
      latitudeText: '23.134521',
      longitudeText: '113.358803',
      scale: 20,
      label: '广州市天河区珠江新城',
    })
    // The edges of the globe, southern and western signs.
    expect(mediaOf(parse({ type: 'location', latitude: '-90', longitude: '180', scale: '5', label: '' }))).toMatchObject({ latitude: -90, longitude: 180, label: '' })
    expect(mediaOf(parse({ type: 'location', latitude: '90.0', longitude: '-180.000000', scale: '5' }))).toMatchObject({ latitude: 90, longitude: -180, latitudeText: '90.0', longitudeText: '-180.000000' })
  })

  it('leaves out a zoom level it cannot read rather than refusing the place', () => {
    expect(mediaOf(parse({ type: 'location', latitude: 30, longitude: 120 }))).toMatchObject({ scale: null, label: '' })
    expect(mediaOf(parse({ type: 'location', latitude: 30, longitude: 120, scale: 'big' }))).toMatchObject({ scale: null })
  })

  it('cuts a place name at 200 characters without splitting an emoji', () => {
    const long = `${'县'.repeat(199)}🏛️${'乡'.repeat(300)}`
    const label = (mediaOf(parse({ type: 'location', latitude: 30, longitude: 120, label: long })) as { label: string }).label
    expect(Array.from(label)).toHaveLength(200)
    expect(label).toBe(`${'县'.repeat(199)}🏛`)
    expect(label.length).toBe(201)
    const exactly = '镇'.repeat(200)
    expect(mediaOf(parse({ type: 'location', latitude: 30, longitude: 120, label: exactly }))).toMatchObject({ label: exactly })
  })

  it('takes a media id of 256 characters of letters, digits and _-@.', () => {
    const id = `${'aZ09_-@.'.repeat(32)}`
    expect(id).toHaveLength(256)
    expect(mediaOf(parse({ type: 'image', mediaId: id }))).toMatchObject({ mediaId: id })
  })

  it.each<[string, MediaFields]>([
    ['an image without MediaId', { type: 'image', picUrl: 'https://wework.qpic.cn/x' }],
    ['voice with an empty MediaId', { type: 'voice', mediaId: '', format: 'amr' }],
    ['video without MediaId', { type: 'video', thumbMediaId: 't1' }],
  ])('refuses %s', (_name, media) => {
    expect(refusal(media)).toBe('MediaId is required')
  })

  it.each([
    ['257 characters', 'a'.repeat(257)],
    ['a path', '../../etc/passwd'],
    ['a query string', 'm1&access_token=x'],
    ['a space', 'm 1'],
    ['markup', '<script>alert(1)</script>'],
    ['a percent escape', 'm%2e1'],
    ['a line break', 'm1\nX-Injected: 1'],
    ['Chinese characters', '图片一'],
    ['a full-width letter', 'ｍ1'],
  ])('refuses a media id with %s, and never repeats it in the reason', (_name, id) => {
    for (const media of [{ type: 'image', mediaId: id }, { type: 'voice', mediaId: id }, { type: 'video', mediaId: id }] as MediaFields[]) {
      expect(refusal(media)).toBe('MediaId is not a media id')
    }
    expect(refusal({ type: 'video', mediaId: 'm1', thumbMediaId: id })).toBe('ThumbMediaId is not a media id')
  })

  it.each<[string, MediaFields, string]>([
    ['no latitude', { type: 'location', longitude: 120 }, 'Location_X'],
    ['no longitude', { type: 'location', latitude: 30 }, 'Location_Y'],
    ['an empty latitude', { type: 'location', latitude: '', longitude: 120 }, 'Location_X'],
    ['a latitude past the pole', { type: 'location', latitude: '90.0001', longitude: 120 }, 'Location_X'],
    ['a latitude of -91', { type: 'location', latitude: '-91', longitude: 120 }, 'Location_X'],
    ['a longitude past 180', { type: 'location', latitude: 30, longitude: '180.5' }, 'Location_Y'],
    ['a longitude of -181', { type: 'location', latitude: 30, longitude: -181 }, 'Location_Y'],
    ['NaN', { type: 'location', latitude: 'NaN', longitude: 120 }, 'Location_X'],
    ['Infinity', { type: 'location', latitude: 30, longitude: 'Infinity' }, 'Location_Y'],
    ['an exponent', { type: 'location', latitude: '3e1', longitude: 120 }, 'Location_X'],
    ['hexadecimal', { type: 'location', latitude: 30, longitude: '0x10' }, 'Location_Y'],
    ['words', { type: 'location', latitude: '北纬30度', longitude: 120 }, 'Location_X'],
    ['two numbers', { type: 'location', latitude: '30,31', longitude: 120 }, 'Location_X'],
  ])('refuses a location with %s', (_name, media, field) => {
    expect(refusal(media)).toBe(`${field} is not a coordinate`)
  })

  it('reads fields written without CDATA too', () => {
    const xml = mediaXml('zhangwei', { type: 'image', mediaId: 'PLACEHOLDER', picUrl: 'https://wework.qpic.cn/p' }).replace('<![CDATA[PLACEHOLDER]]>', 'm-plain.1')
    expect(mediaOf(parseInbound(xml))).toEqual({ type: 'image', mediaId: 'm-plain.1', picUrl: 'https://wework.qpic.cn/p' })
  })

  it('keeps links, files and unknown types as other messages', () => {
    for (const msgType of ['link', 'file', 'miniprogram']) {
      const msgId = newMsgId()
      const xml = mediaXml('zhangwei', { type: 'image', mediaId: 'm1' }, { msgId }).replace('<![CDATA[image]]>', `<![CDATA[${msgType}]]>`)
      expect(parseInbound(xml)).toMatchObject({ kind: 'other', msgType, msgId, dedupeKey: `msg:${msgId}:zhangwei` })
    }
  })

  it('still requires a MsgId of a media message', () => {
    const xml = mediaXml('zhangwei', { type: 'image', mediaId: 'm1' }).replace(/<MsgId>\d+<\/MsgId>/, '')
    expect(() => parseInbound(xml)).toThrow('MsgId is required for messages')
  })
})

describe(`media messages through the callback on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  const logLines: Record<string, unknown>[] = []

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedRoster(ds, '城关镇', [{ userid: 'zhangwei', name: '张伟', roles: ['unit_head'] }])
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>)
        done()
      },
    })
    rig = await startCallbackRig(ds, { logger: createLogger('info', sink) })
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  const inbound = () => ds.getRepository(InboundMessageSchema)
  const outbox = () => ds.getRepository(OutboxMessageSchema)
  /** The callback's one log line for the request just made. */
  const lastCallbackLine = () => logLines.filter((line) => line.msg === 'wecom callback').at(-1)!

  /** Posts the message as WeCom does; returns the status and what the person reads (the passive reply, or the outbox's answer). */
  async function send(xml: string, msgId: string): Promise<{ status: number; answer: string }> {
    const response = await post(rig.url, sign(xml))
    const body = await response.text()
    if (body !== '') return { status: response.status, answer: openPassiveReply(body).content }
    const row = await inbound().findOneBy({ msgId })
    const reply = row ? await outbox().findOneBy({ dedupeKey: `reply:${row.id}` }) : null
    return { status: response.status, answer: reply ? (JSON.parse(reply.payload) as { text?: { content: string } }).text?.content ?? '' : '' }
  }

  it.each<[string, MediaFields]>([
    ['image', { type: 'image', mediaId: 'img-1.a@b', picUrl: 'https://wework.qpic.cn/wwpic/1/0' }],
    ['voice', { type: 'voice', mediaId: 'voice_1', format: 'amr' }],
    ['video', { type: 'video', mediaId: 'video-1', thumbMediaId: 'thumb-1' }],
    ['location', { type: 'location', latitude: '34.341568', longitude: '108.940174', scale: '15', label: '陕西省西安市碑林区南大街' }],
  ])('answers a message of type %s from someone with no open item: not kept as evidence; the message keeps its type', async (type, media) => {
    const msgId = newMsgId()
    const said = await send(mediaXml('zhangwei', media, { msgId }), msgId)
    expect(said).toEqual({ status: 200, answer: NO_ITEM })
    const row = await inbound().findOneByOrFail({ msgId })
    expect(row).toMatchObject({ dedupeKey: `msg:${msgId}:zhangwei`, fromUser: 'zhangwei', msgType: type, event: null, content: null, status: 'processed' })
    expect(await ds.getRepository(EvidenceSchema).count()).toBe(0)
    expect(lastCallbackLine()).toMatchObject({ status: 200, kind: 'media', msgId, outcome: expect.stringMatching(new RegExp(`^evidence:no_item:${type}(/passive)?$`)) })
  })

  it('handles a retry of the same MsgId once: one stored message, the same answer, logged as a duplicate', async () => {
    const msgId = newMsgId()
    const xml = mediaXml('zhangwei', { type: 'image', mediaId: 'retry-1', picUrl: 'https://wework.qpic.cn/wwpic/2/0' }, { msgId })
    const first = await send(xml, msgId)
    const repliesBefore = await outbox().count()
    const again = await send(xml, msgId)
    expect(first).toEqual({ status: 200, answer: NO_ITEM })
    expect(again).toEqual({ status: 200, answer: NO_ITEM })
    expect(await inbound().countBy({ msgId })).toBe(1)
    expect(await outbox().count()).toBe(repliesBefore)
    expect(lastCallbackLine()).toMatchObject({ status: 200, outcome: 'duplicate', msgId })
  })

  it.each<[string, MediaFields, string]>([
    ['an image without MediaId', { type: 'image', picUrl: 'https://wework.qpic.cn/wwpic/3/0' }, 'MediaId is required'],
    ['voice whose MediaId is a path', { type: 'voice', mediaId: '../../cgi-bin/gettoken', format: 'amr' }, 'MediaId is not a media id'],
    ['video whose MediaId carries a query', { type: 'video', mediaId: 'v1&media_id=other', thumbMediaId: 't1' }, 'MediaId is not a media id'],
    ['an image with a 300-character MediaId', { type: 'image', mediaId: 'x'.repeat(300) }, 'MediaId is not a media id'],
    ['a location north of the pole', { type: 'location', latitude: '123.5', longitude: '108.9', scale: '15', label: '北极以北' }, 'Location_X is not a coordinate'],
    ['a location whose longitude is not a number', { type: 'location', latitude: '34.3', longitude: 'Infinity', scale: '15', label: '某地' }, 'Location_Y is not a coordinate'],
  ])('refuses %s with 400 and a log line, storing and answering nothing', async (_name, media, reason) => {
    const msgId = newMsgId()
    const [inboundBefore, outboxBefore] = [await inbound().count(), await outbox().count()]
    const response = await post(rig.url, sign(mediaXml('zhangwei', media, { msgId })))
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('')
    expect(await inbound().count()).toBe(inboundBefore)
    expect(await outbox().count()).toBe(outboxBefore)
    const line = lastCallbackLine()
    expect(line).toMatchObject({ level: 40, status: 400, outcome: 'rejected:bad_message', reason })
    // The hostile value itself is not written to the log.
    if ('mediaId' in media && media.mediaId) expect(JSON.stringify(line)).not.toContain(media.mediaId)
  })

  it('answers a genuine image after the refused ones, and a link as before', async () => {
    const msgId = newMsgId()
    expect(await send(mediaXml('zhangwei', { type: 'image', mediaId: 'after-1' }, { msgId }), msgId)).toEqual({ status: 200, answer: NO_ITEM })
    const linkId = newMsgId()
    const link =
      `<xml><ToUserName><![CDATA[${SECRETS.corpId}]]></ToUserName><FromUserName><![CDATA[zhangwei]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime>` +
      `<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[整改通知]]></Title><Description><![CDATA[说明]]></Description><Url><![CDATA[https://example.invalid/a]]></Url>` +
      `<PicUrl><![CDATA[https://example.invalid/p.jpg]]></PicUrl><MsgId>${linkId}</MsgId><AgentID>1000002</AgentID></xml>`
    expect(await send(link, linkId)).toEqual({ status: 200, answer: ONLY_TEXT })
    expect(await inbound().findOneByOrFail({ msgId: linkId })).toMatchObject({ msgType: 'link', status: 'ignored' })
    expect(lastCallbackLine()).toMatchObject({ kind: 'other', outcome: expect.stringMatching(/^unsupported:link(\/passive)?$/) })
  })
})
