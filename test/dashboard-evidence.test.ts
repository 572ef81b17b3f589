import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EvidenceSchema, PersonSchema, type Evidence } from '../src/db/entities/index.js'
import { storeFile } from '../src/outbox/stored-files.js'
import { browser, consoleDashboard, devSignIn, type Browser } from './helpers/dashboard.js'
import { addLedgerItem, seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')
const at = (text: string) => new Date(`${text}+08:00`)

/** A photo's bytes: JPEG's markers around a pattern. */
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3000, Buffer.from([1, 2, 3, 250, 0, 7])), Buffer.from([0xff, 0xd9])])
const AMR = Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(2048, 0x3c)])
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(1500 * 1024, 0x11)])
/** What a browser would run if it were served as a page. */
const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>')

/**
 * 整改佐证 on the item page and the evidence file route (docs/dashboard.md, 事项): thumbnails,
 * downloads and places; a file only to whom the item is shown, of that item, once stored; an
 * image type from the whitelist shown, anything else a download.
 */
describe(`the item page's evidence on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let dash: Awaited<ReturnType<typeof consoleDashboard>>
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let itemId: number
  let otherItemId: number
  let emptyItemId: number
  const ids = {} as Record<'photo' | 'fetching' | 'voice' | 'video' | 'place' | 'html' | 'tooLarge' | 'otherPhoto', number>
  let admin: Browser

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    // 城关镇's #overdue (李娜 leader, 赵磊 responsible) and 后港镇's #other.
    itemId = fixture.items.overdue
    otherItemId = fixture.items.other
    emptyItemId = (await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })).id
    const person = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id
    const files = await ds.transaction(async (m) => ({
      jpeg: await storeFile(m, { filename: 'IMG_0001.jpg', content: JPEG }),
      amr: await storeFile(m, { filename: 'voice.amr', content: AMR }),
      mp4: await storeFile(m, { filename: 'clip.mp4', content: MP4 }),
      html: await storeFile(m, { filename: 'page.html', content: HTML }),
    }))
    let sent = 0
    const add = async (values: Partial<Evidence> & Pick<Evidence, 'kind' | 'status' | 'receivedAt'>, item = itemId, userid = 'zhaolei') => {
      sent += 1
      const saved = await ds.getRepository(EvidenceSchema).save({
        ledgerItemId: item,
        personId: await person(userid),
        dedupeKey: `msg:dash-evidence-${sent}:${userid}`,
        mediaId: values.kind === 'location' ? null : `media-${sent}`,
        format: null,
        latitude: null,
        longitude: null,
        scale: null,
        label: null,
        storedFileId: null,
        contentType: null,
        byteSize: null,
        attempts: 1,
        nextAttemptAt: null,
        lastError: null,
        ackKey: null,
        attachedAt: values.receivedAt,
        ...values,
      } as Evidence)
      return saved.id
    }
    ids.photo = await add({ kind: 'image', status: 'stored', storedFileId: files.jpeg, contentType: 'image/jpeg', byteSize: JPEG.length, receivedAt: at('2015-08-30T10:32:00') })
    ids.fetching = await add({ kind: 'image', status: 'pending', nextAttemptAt: NOW, receivedAt: at('2015-08-31T08:58:00') })
    ids.voice = await add({ kind: 'voice', status: 'stored', format: 'amr', storedFileId: files.amr, contentType: 'audio/amr', byteSize: AMR.length, receivedAt: at('2015-08-30T10:33:00') })
    ids.video = await add({ kind: 'video', status: 'stored', storedFileId: files.mp4, contentType: 'video/mp4', byteSize: MP4.length, receivedAt: at('2015-08-29T16:05:00') }, itemId, 'lina')
    ids.place = await add({ kind: 'location', status: 'stored', latitude: '30.123456', longitude: '114.654321', scale: 15, label: '城关镇便民服务大厅<b>二楼</b>', receivedAt: at('2015-08-30T10:40:00') })
    // A file whose declared type is a page: never served as one.
    ids.html = await add({ kind: 'image', status: 'stored', storedFileId: files.html, contentType: 'text/html; charset=utf-8', byteSize: HTML.length, receivedAt: at('2015-08-28T09:00:00') })
    ids.tooLarge = await add({ kind: 'video', status: 'too_large', receivedAt: at('2015-08-28T09:30:00') })
    // 后港镇's item has the same photo (stored once).
    ids.otherPhoto = await add({ kind: 'image', status: 'stored', storedFileId: files.jpeg, contentType: 'image/jpeg', byteSize: JPEG.length, receivedAt: at('2015-08-30T11:00:00') }, otherItemId, 'wufang')
    dash = await consoleDashboard(ds, () => NOW)
    admin = await devSignIn(dash.base, 'wangjian')
  })
  afterAll(async () => {
    await dash?.close()
    await db?.close()
  })

  const file = (eid: number, item = itemId) => `/dash/items/${item}/evidence/${eid}`
  const section = (page: string) => /<section class="card" id="evidence">([\s\S]*?)<\/section>/.exec(page)?.[1] ?? ''

  it('shows the line, photos as thumbnails opening the full image, downloads, places, and 保存中', async () => {
    const page = await admin.go(`/dash/items/${itemId}`)
    expect(page.status).toBe(200)
    const evidence = section(page.body)
    expect(evidence).toContain('<h2>整改佐证</h2>')
    // The line every surface uses: the photo being fetched counts, the video too large does not.
    expect(evidence).toContain('<p>佐证：照片 3、语音 1、视频 1、位置 1，最近 8月31日</p>')
    // The stored photo: a lazy thumbnail inside a link to the full image in a new tab.
    expect(evidence).toContain(`<a href="${file(ids.photo)}" target="_blank" rel="noopener"><img class="thumb" src="${file(ids.photo)}" loading="lazy" alt="照片（赵磊，2015/08/30 10:32）"/></a>`)
    expect(evidence).toContain('<span class="thumb waiting">保存中</span>')
    expect(evidence).not.toContain(file(ids.fetching))
    // A "photo" whose type is not an image we show: a download, never an <img>.
    expect(evidence).toContain(`<a class="thumb" href="${file(ids.html)}">下载照片 80 B</a>`)
    expect(evidence).not.toContain(`src="${file(ids.html)}"`)
    // Voice notes and videos: their names, sizes, times and who sent them; AMR is for downloading.
    expect(evidence).toContain(`<a href="${file(ids.voice)}">佐证-语音-20150830-1033.amr</a><span class="count"> 2 KB · 2015/08/30 10:33 · 赵磊</span>`)
    expect(evidence).toContain(`<a href="${file(ids.video)}">佐证-视频-20150829-1605.mp4</a><span class="count"> 1.5 MB · 2015/08/29 16:05 · 李娜</span>`)
    expect(evidence).toContain('浏览器不能直接播放，请下载后收听')
    // A place as text, escaped.
    expect(evidence).toContain('<li>城关镇便民服务大厅&lt;b>二楼&lt;/b>（30.123456, 114.654321）2015/08/30 10:40</li>')
    expect(evidence).not.toContain('<b>')
    // What does not count is not shown; nor another item's.
    expect(evidence).not.toContain(file(ids.tooLarge))
    expect(evidence).not.toContain(`/evidence/${ids.otherPhoto}`)
    // Newest first: the photo being fetched (31 Aug) before the kept one (30 Aug).
    expect(evidence.indexOf('保存中')).toBeLessThan(evidence.indexOf(file(ids.photo)))
  })

  it('says 暂无佐证 for an item without evidence', async () => {
    const page = await admin.go(`/dash/items/${emptyItemId}`)
    expect(page.status).toBe(200)
    expect(section(page.body)).toContain('<p>暂无佐证</p>')
    expect(section(page.body)).not.toContain('佐证：')
  })

  it('serves a photo’s exact bytes, shown inline, to the responsible person, the leader and a verifier', async () => {
    for (const userid of ['zhaolei', 'lina', 'liuyang', 'wangjian', 'zhangwei']) {
      const b = userid === 'wangjian' ? admin : await devSignIn(dash.base, userid)
      const got = await b.go(file(ids.photo))
      expect(got.status, userid).toBe(200)
      expect(got.bytes.equals(JPEG)).toBe(true)
      expect(got.headers.get('content-type')).toBe('image/jpeg')
      expect(got.headers.get('content-disposition')).toBe(`inline; filename="evidence-${ids.photo}.jpg"; filename*=UTF-8''${encodeURIComponent('佐证-照片-20150830-1032.jpg')}`)
      expect(got.headers.get('x-content-type-options')).toBe('nosniff')
      expect(got.headers.get('cache-control')).toBe('private, max-age=3600')
      expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox")
    }
  })

  it('serves voice notes and videos as downloads with a safe name and the Chinese one (RFC 5987)', async () => {
    const voice = await admin.go(file(ids.voice))
    expect(voice.status).toBe(200)
    expect(voice.bytes.equals(AMR)).toBe(true)
    expect(voice.headers.get('content-type')).toBe('application/octet-stream')
    const disposition = voice.headers.get('content-disposition')!
    expect(disposition).toBe(`attachment; filename="evidence-${ids.voice}.amr"; filename*=UTF-8''%E4%BD%90%E8%AF%81-%E8%AF%AD%E9%9F%B3-20150830-1033.amr`)
    expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(disposition)![1]!)).toBe('佐证-语音-20150830-1033.amr')
    expect(voice.headers.get('x-content-type-options')).toBe('nosniff')
    const video = await admin.go(file(ids.video))
    expect(video.status).toBe(200)
    expect(video.bytes.equals(MP4)).toBe(true)
    expect(video.headers.get('content-type')).toBe('application/octet-stream')
    expect(video.headers.get('content-disposition')).toMatch(/^attachment; filename="evidence-\d+\.mp4"; filename\*=UTF-8''/)
    expect(video.headers.get('cache-control')).toBe('private, max-age=3600')
  })

  it('serves a file declared as HTML as an octet-stream attachment, never as a page', async () => {
    const got = await admin.go(file(ids.html))
    expect(got.status).toBe(200)
    expect(got.bytes.equals(HTML)).toBe(true)
    expect(got.headers.get('content-type')).toBe('application/octet-stream')
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; /)
    expect(got.headers.get('x-content-type-options')).toBe('nosniff')
    expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox")
  })

  it('is not found for another unit’s person, another item’s evidence, a row not stored, or no such file', async () => {
    const notFound = (got: { status: number; body: string; headers: Headers }) => {
      expect(got.status).toBe(404)
      expect(got.body).toContain('页面不存在')
      expect(got.headers.get('content-type')).toBe('text/html; charset=utf-8')
    }
    // 后港镇's head sees neither 城关镇's item page nor its files.
    const sunli = await devSignIn(dash.base, 'sunli')
    expect((await sunli.go(`/dash/items/${itemId}`)).status).toBe(403)
    notFound(await sunli.go(file(ids.photo)))
    // 后港镇's own item's photo (the same stored file) is theirs; under 城关镇's item it is not.
    expect((await sunli.go(file(ids.otherPhoto, otherItemId))).bytes.equals(JPEG)).toBe(true)
    notFound(await sunli.go(file(ids.otherPhoto, itemId)))
    // Evidence of another item, under this item's address.
    notFound(await admin.go(file(ids.otherPhoto, itemId)))
    notFound(await admin.go(file(ids.photo, otherItemId)))
    // Still being fetched, refused as too large, a place (nothing to download).
    notFound(await admin.go(file(ids.fetching)))
    notFound(await admin.go(file(ids.tooLarge)))
    notFound(await admin.go(file(ids.place)))
    // No such evidence, item or number.
    notFound(await admin.go(file(999_999)))
    notFound(await admin.go(file(ids.photo, 999_999)))
    notFound(await admin.go(`/dash/items/${itemId}/evidence/abc`))
    notFound(await admin.go(`/dash/items/${itemId}/evidence/99999999999999`))
    // Signed out: to the login page, and back to the file afterwards.
    const stranger = await browser(dash.base).go(file(ids.photo))
    expect(stranger.status).toBe(302)
    expect(stranger.location).toBe(`/dash/login?next=${encodeURIComponent(file(ids.photo))}`)
  })
})
