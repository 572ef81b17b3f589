import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WeComApiError, WeComHttpError } from '../src/wecom/errors.js'
import { MEDIA_RANGE_BYTES } from '../src/wecom/media-download.js'
import { createWeComClient, MediaTooLargeError, type WeComClient } from '../src/wecom/wecom-client.js'
import { FAKE_MEDIA_RANGE_LIMIT, startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'

const SECRET = 'fake-secret'
const MB = 1024 * 1024
const DAY = 24 * 3_600_000

/** `size` bytes of a pattern 251 bytes long (a prime: a range put back in the wrong place shows). */
function patterned(size: number, seed = 7): Buffer {
  const pattern = Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 31 + seed) & 0xff))
  return Buffer.alloc(size, pattern)
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

/** A small JPEG as a phone would send it: the JPEG markers around some bytes. */
const PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), patterned(48 * 1024, 3), Buffer.from([0xff, 0xd9])])

describe('downloading media people sent (media/get) against the fake WeCom server', () => {
  let fake: FakeWeCom
  let clock: number
  let client: WeComClient

  beforeEach(async () => {
    clock = Date.parse('2015-08-31T01:05:00Z')
    fake = await startFakeWeCom({ secret: SECRET, now: () => clock })
    client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: SECRET, now: () => clock, timeoutMs: 10_000 })
  })
  afterEach(async () => {
    await fake.close()
  })

  const servedBytes = () => fake.mediaRequests.reduce((sum, r) => sum + r.bytes, 0)

  it('downloads a photo whole, with its content type and its Chinese file name, in one request', async () => {
    const mediaId = fake.addMedia({ contentType: 'image/jpeg', filename: '现场照片 2015-08-31.jpg', data: PHOTO })
    const media = await client.downloadMedia(mediaId, { maxBytes: 10 * MB })
    expect(media.contentType).toBe('image/jpeg')
    expect(media.filename).toBe('现场照片 2015-08-31.jpg')
    expect(media.bytes.equals(PHOTO)).toBe(true)
    expect(fake.mediaRequests).toHaveLength(1)
    expect(fake.mediaRequests[0]!.outcome).toBe(206)
    expect(fake.tokenRequests()).toBe(1)
  })

  it('refuses a 25 MB file over a 20 MB limit after at most one range, with the size WeCom declared', async () => {
    const data = patterned(25 * MB)
    const mediaId = fake.addMedia({ contentType: 'video/mp4', filename: 'clip.mp4', data })
    const error = await client.downloadMedia(mediaId, { maxBytes: 20 * MB }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MediaTooLargeError)
    expect((error as MediaTooLargeError).size).toBe(data.length)
    expect((error as MediaTooLargeError).maxBytes).toBe(20 * MB)
    expect(fake.mediaRequests).toHaveLength(1)
    expect(servedBytes()).toBeLessThan(21 * MB)
  })

  it('asks for no more than the limit and one byte when the limit is small', async () => {
    const mediaId = fake.addMedia({ contentType: 'image/png', filename: 'scan.png', data: patterned(3 * MB) })
    const error = await client.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MediaTooLargeError)
    expect((error as MediaTooLargeError).size).toBe(3 * MB)
    expect(fake.mediaRequests.map((r) => r.range)).toEqual([`bytes=0-${MB}`])
    expect(servedBytes()).toBeLessThanOrEqual(MB + 1)
  })

  it('fetches a 21 MB file under a 30 MB limit in two ranges, byte for byte', async () => {
    const data = patterned(21 * MB, 11)
    const mediaId = fake.addMedia({ contentType: 'video/mp4', filename: 'inspection.mp4', data })
    const media = await client.downloadMedia(mediaId, { maxBytes: 30 * MB })
    expect(media.bytes.length).toBe(data.length)
    expect(sha256(media.bytes)).toBe(sha256(data))
    expect(media.filename).toBe('inspection.mp4')
    expect(fake.mediaRequests.map((r) => r.range)).toEqual([`bytes=0-${MEDIA_RANGE_BYTES - 1}`, `bytes=${MEDIA_RANGE_BYTES}-${data.length - 1}`])
    expect(fake.mediaRequests.map((r) => r.outcome)).toEqual([206, 206])
    expect(MEDIA_RANGE_BYTES).toBeLessThanOrEqual(FAKE_MEDIA_RANGE_LIMIT)
  })

  it('accepts a whole file answered with 200 by a server that does not do ranges', async () => {
    const mediaId = fake.addMedia({ contentType: 'audio/amr', filename: 'voice.amr', data: PHOTO, ignoresRange: true })
    const media = await client.downloadMedia(mediaId, { maxBytes: MB })
    expect(media.bytes.equals(PHOTO)).toBe(true)
    expect(media.contentType).toBe('audio/amr')
    expect(fake.mediaRequests.map((r) => r.outcome)).toEqual([200])
  })

  it('refuses a 200 answer whose Content-Length is over the limit', async () => {
    const mediaId = fake.addMedia({ contentType: 'video/mp4', filename: 'big.mp4', data: patterned(2 * MB), ignoresRange: true })
    const error = await client.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MediaTooLargeError)
    expect((error as MediaTooLargeError).size).toBe(2 * MB)
  })

  it('reports WeCom\'s 830002 when a large file is asked for without ranges', async () => {
    const mediaId = fake.addMedia({ contentType: 'video/mp4', filename: 'long.mp4', data: patterned(FAKE_MEDIA_RANGE_LIMIT + 1), ignoresRange: true })
    const error = await client.downloadMedia(mediaId, { maxBytes: 30 * MB }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WeComApiError)
    expect((error as WeComApiError).errcode).toBe(830002)
    expect(servedBytes()).toBe(0)
  })

  /** A client whose fetch passes every answer through `rewrite` (as a proxy between us and WeCom might), counting the body bytes it reads. */
  function clientBehind(rewrite: (headers: Headers) => void): { client: WeComClient; bytesRead: () => number } {
    let read = 0
    const proxied: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      const headers = new Headers(response.headers)
      rewrite(headers)
      const counter = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          read += chunk.byteLength
          controller.enqueue(chunk)
        },
      })
      return new Response(response.body ? response.body.pipeThrough(counter) : null, { status: response.status, headers })
    }
    const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: SECRET, now: () => clock, fetch: proxied })
    return { client, bytesRead: () => read }
  }

  it('stops reading a body without a length as soon as it grows past the limit', async () => {
    const mediaId = fake.addMedia({ contentType: 'video/mp4', filename: 'big.mp4', data: patterned(10 * MB), ignoresRange: true })
    const { client: behind, bytesRead } = clientBehind((headers) => headers.delete('content-length'))
    const error = await behind.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MediaTooLargeError)
    expect((error as MediaTooLargeError).size).toBeGreaterThan(MB)
    expect(bytesRead()).toBeLessThan(3 * MB)
  })

  it('reads range after range when WeCom does not say the total, until one comes back short', async () => {
    const data = patterned(21 * MB, 13)
    const mediaId = fake.addMedia({ contentType: 'video/mp4', filename: 'v.mp4', data })
    const { client: behind } = clientBehind((headers) => {
      const range = headers.get('content-range')
      if (range) headers.set('content-range', range.replace(/\/\d+$/, '/*'))
    })
    const media = await behind.downloadMedia(mediaId, { maxBytes: 30 * MB })
    expect(sha256(media.bytes)).toBe(sha256(data))
    expect(fake.mediaRequests.map((r) => r.range)).toEqual([`bytes=0-${MEDIA_RANGE_BYTES - 1}`, `bytes=${MEDIA_RANGE_BYTES}-${2 * MEDIA_RANGE_BYTES - 1}`])
  })

  it('downloads an empty file', async () => {
    const mediaId = fake.addMedia({ contentType: 'application/octet-stream', filename: 'empty.bin', data: Buffer.alloc(0) })
    const media = await client.downloadMedia(mediaId, { maxBytes: MB })
    expect(media.bytes.length).toBe(0)
    expect(media.filename).toBe('empty.bin')
  })

  it('answers WeComApiError 40007 once a media id is 3 days old, and for an id WeCom never issued', async () => {
    const mediaId = fake.addMedia({ contentType: 'image/jpeg', filename: 'a.jpg', data: PHOTO })
    clock += 3 * DAY - 60_000
    expect((await client.downloadMedia(mediaId, { maxBytes: MB })).bytes.equals(PHOTO)).toBe(true)
    clock += 60_000
    const expired = await client.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect(expired).toBeInstanceOf(WeComApiError)
    expect((expired as WeComApiError).errcode).toBe(40007)
    expect((expired as WeComApiError).retryable).toBe(false)
    const unknown = await client.downloadMedia('no-such-media', { maxBytes: MB }).catch((e: unknown) => e)
    expect((unknown as WeComApiError).errcode).toBe(40007)
    expect(fake.mediaRequests.map((r) => r.outcome)).toEqual([206, 40007, 40007])
  })

  it('never takes a JSON error answered with HTTP 200 for the file', async () => {
    const mediaId = fake.addMedia({ contentType: 'image/jpeg', filename: 'a.jpg', data: PHOTO })
    fake.inject({ kind: 'errcode', errcode: 45009, errmsg: 'api freq out of limit' }, 1, 'media/get')
    const error = await client.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WeComApiError)
    expect((error as WeComApiError).errcode).toBe(45009)
    expect((error as WeComApiError).retryable).toBe(true)
    // The same id then downloads: the error was WeCom's answer, not the photo.
    expect((await client.downloadMedia(mediaId, { maxBytes: MB })).bytes.equals(PHOTO)).toBe(true)
  })

  it('refreshes a token that expires between two ranges once, and still gets every byte', async () => {
    const data = patterned(21 * MB, 5)
    const mediaId = fake.addMedia({ contentType: 'video/mp4', filename: 'v.mp4', data })
    // The first media/get takes the harmless fault, the second finds its token expired.
    fake.inject({ kind: 'latency', ms: 0 }, 1, 'media/get')
    fake.inject({ kind: 'expire-token' }, 1, 'media/get')
    const media = await client.downloadMedia(mediaId, { maxBytes: 30 * MB })
    expect(sha256(media.bytes)).toBe(sha256(data))
    expect(fake.tokenRequests()).toBe(2)
    expect(fake.mediaRequests.map((r) => r.outcome)).toEqual([206, 42001, 206])
    expect(fake.mediaRequests[1]!.range).toBe(fake.mediaRequests[2]!.range)
  })

  it('gives up with WeComApiError after a second token error in a row', async () => {
    const mediaId = fake.addMedia({ contentType: 'image/jpeg', filename: 'a.jpg', data: PHOTO })
    fake.inject({ kind: 'errcode', errcode: 40014 }, 2, 'media/get')
    const error = await client.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect((error as WeComApiError).errcode).toBe(40014)
    expect(fake.tokenRequests()).toBe(2)
    expect(fake.mediaRequests).toHaveLength(2)
  })

  it('surfaces an injected 500, a dropped connection and a body cut short as retryable WeComHttpError', async () => {
    const mediaId = fake.addMedia({ contentType: 'image/jpeg', filename: 'a.jpg', data: PHOTO })
    fake.inject({ kind: 'http', status: 500 }, 1, 'media/get')
    const status = await client.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect(status).toBeInstanceOf(WeComHttpError)
    expect(status).toMatchObject({ api: 'media/get', kind: 'status', status: 500, retryable: true })

    fake.inject({ kind: 'drop' }, 1, 'media/get')
    const dropped = await client.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect(dropped).toBeInstanceOf(WeComHttpError)
    expect(dropped).toMatchObject({ kind: 'network', retryable: true })

    fake.inject({ kind: 'deliver-then-drop' }, 1, 'media/get')
    const cut = await client.downloadMedia(mediaId, { maxBytes: MB }).catch((e: unknown) => e)
    expect(cut).toBeInstanceOf(WeComHttpError)
    expect(cut).toMatchObject({ kind: 'network', retryable: true })

    for (const error of [status, dropped, cut]) expect(String((error as Error).message)).not.toMatch(/fake-token|access_token=/)
    expect((await client.downloadMedia(mediaId, { maxBytes: MB })).bytes.equals(PHOTO)).toBe(true)
    expect(fake.mediaRequests.map((r) => r.outcome)).toEqual([500, 'dropped', 'dropped', 206])
  })

  it('counts failed downloads in the metrics like every other call', async () => {
    const failures: string[] = []
    const counted = createWeComClient({
      baseUrl: fake.url,
      corpId: 'wwfakecorp0000001',
      agentId: 1000002,
      secret: SECRET,
      now: () => clock,
      metrics: { wecomError: (api, errcode) => failures.push(`${api} ${errcode}`) },
    })
    const mediaId = fake.addMedia({ contentType: 'image/jpeg', filename: 'a.jpg', data: PHOTO })
    await counted.downloadMedia(mediaId, { maxBytes: MB })
    fake.inject({ kind: 'http', status: 502 }, 1, 'media/get')
    await counted.downloadMedia(mediaId, { maxBytes: MB }).catch(() => undefined)
    await counted.downloadMedia('gone', { maxBytes: MB }).catch(() => undefined)
    await counted.downloadMedia(mediaId, { maxBytes: 10 }).catch(() => undefined)
    expect(failures).toEqual(['media/get http_502', 'media/get 40007'])
  })
})
