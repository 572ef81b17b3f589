import { createHash } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { EvidenceSchema, LedgerItemSchema, OutboxMessageSchema, PersonQuestionSchema, StoredFileChunkSchema, StoredFileSchema, type Evidence } from '../src/db/entities/index.js'
import { downloadDueEvidence, MEDIA_LIFETIME_MS } from '../src/domain/evidence/download-evidence.js'
import { fetchRefusal, wecomFetcher } from '../src/domain/evidence/media-fetchers.js'
import { createLogger } from '../src/logger.js'
import { readStoredFile, storeFile } from '../src/outbox/stored-files.js'
import { pruneEvidence } from '../src/domain/evidence/evidence-retention.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { fakeWeComWorker, storedCards } from './helpers/cards.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { readerText } from './helpers/outbox-text.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * Evidence of rectification (docs/evidence.md) through the real callback, the real commands and
 * the fake WeCom server's media/get: attached after each trigger, asked about when no item is
 * named, refused for someone who reports on nothing, downloaded with retries, stored once per
 * content, refused over the limit, lost after 3 days and told, sent back to a verifier, required
 * before 完成 and 销号 when 组织部 says so.
 */

const MB = 1024 * 1024
const SECRET = 'fake-secret'

/** A photo's bytes: the JPEG markers around a pattern (`seed` makes different photos). */
function photo(size = 64 * 1024, seed = 1): Buffer {
  const body = Buffer.alloc(size, Buffer.from(Array.from({ length: 253 }, (_, i) => (i * 17 + seed) & 0xff)))
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), body, Buffer.from([0xff, 0xd9])])
}

describe(`evidence through the callback on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let items: Awaited<ReturnType<typeof seedLedger>>['items']
  const clock = { now: new Date('2015-08-31T02:00:00Z') }

  beforeAll(async () => {
    fake = await startFakeWeCom({ secret: SECRET, now: () => clock.now.getTime() })
  })
  afterAll(async () => {
    await fake?.close()
  })
  beforeEach(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    ;({ items } = await seedLedger(ds))
    clock.now = new Date('2015-08-31T02:00:00Z')
    rig = await startCallbackRig(ds, { clock: () => clock.now })
  })
  afterEach(async () => {
    fake.clearFaults()
    await rig?.close()
    await db?.close()
  })

  const client = () => createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: SECRET, now: () => clock.now.getTime(), timeoutMs: 10_000 })
  const download = (maxBytes = 20 * MB) => downloadDueEvidence(ds, { fetch: wecomFetcher(client()), refusal: fetchRefusal, maxBytes, logger: createLogger('silent') }, clock.now)
  const later = (ms: number) => {
    clock.now = new Date(clock.now.getTime() + ms)
  }
  const evidence = () => ds.getRepository(EvidenceSchema).find({ order: { id: 'ASC' } })
  /** What the person has been told about evidence (acknowledgements, questions, losses), oldest first. */
  const toldTo = async (userid: string) => {
    const rows = await ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'evidence' }, order: { id: 'ASC' } })
    return rows.filter((row) => (JSON.parse(row.recipients) as { touser: string[] }).touser.includes(userid) && row.msgType === 'text').map((row) => readerText(row.payload))
  }
  const image = (data: Buffer, filename = '现场.jpg') => ({ type: 'image' as const, mediaId: fake.addMedia({ contentType: 'image/jpeg', filename, data, issuedAt: clock.now.getTime() }) })

  it.each([
    ['进度', (id: number) => `进度 ${id} 60% 已完成主体整改`],
    ['完成', (id: number) => `完成 ${id} 已建立首问负责制并公示`],
    ['佐证', (id: number) => `佐证 ${id}`],
  ])('attaches the photos sent within 30 minutes after 「%s」 to the item, acknowledged once for the burst', async (_word, typed) => {
    const said = await rig.say('chenjing', typed(items.soon))
    expect(said.answer).not.toContain('没有')
    later(60_000)
    // Three photos at the same moment, as a phone sends a selection.
    const sent = await Promise.all([image(photo(10_000, 1)), image(photo(10_000, 2)), image(photo(10_000, 3))].map((fields) => rig.media('chenjing', fields)))
    expect(sent.map((s) => [s.status, s.answer])).toEqual([[200, ''], [200, ''], [200, '']])
    // The acknowledgement goes (the delivery worker takes it); what comes later is answered anew.
    await ds.getRepository(OutboxMessageSchema).update({ subjectKind: 'evidence' }, { status: 'sent' })
    later(60_000)
    await rig.media('chenjing', { type: 'location', latitude: '30.123456', longitude: '114.654321', scale: '15', label: '城关镇便民服务大厅' })
    const rows = await evidence()
    expect(rows.map((r) => [r.ledgerItemId, r.kind, r.status])).toEqual([
      [items.soon, 'image', 'pending'],
      [items.soon, 'image', 'pending'],
      [items.soon, 'image', 'pending'],
      [items.soon, 'location', 'stored'],
    ])
    expect(rows[3]).toMatchObject({ latitude: '30.123456', longitude: '114.654321', scale: 15, label: '城关镇便民服务大厅', mediaId: null })
    // One answer for the three photos (rewritten while it waited), one for the location a minute later.
    expect(await toldTo('chenjing')).toEqual([`已收到照片 3 张，附在 #${items.soon}（便民服务大厅办事群众反映多头跑）作为整改佐证。`, `已收到位置 1 个，附在 #${items.soon}（便民服务大厅办事群众反映多头跑）作为整改佐证。`])
    // Past the window (30 minutes after the last media), a photo is asked about instead.
    later(31 * 60_000)
    await rig.media('chenjing', image(photo(10_000, 4)))
    expect((await evidence()).at(-1)!.ledgerItemId).toBeNull()
  })

  it.each(['progress', 'done'])('attaches after a tap on the digest card’s %s button, before the answer is typed', async (key) => {
    await runSweep(ds, clock.now)
    const { taskId } = await storedCards(() => ds).cardTo('lina')
    const asked = await rig.tap('lina', taskId, key, { select: String(items.soon) })
    expect(asked.answer).toContain(`请回复 #${items.soon} 的`)
    await rig.media('lina', image(photo()))
    expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([items.soon])
  })

  it('asks which item media with no item named are for; the number attaches everything waiting', async () => {
    // 赵磊 answers for #overdue only; 李娜 (leader) for both of 城关镇's items.
    await rig.media('lina', image(photo(5000, 1)))
    await rig.media('lina', { type: 'voice', mediaId: fake.addMedia({ contentType: 'audio/amr', filename: 'v.amr', data: photo(3000, 9) }), format: 'amr' })
    const [question] = await toldTo('lina')
    expect(question).toBe(
      [
        '收到照片 1 张、语音 1 条。是哪项的整改佐证？请回复编号：',
        `#${items.overdue} 招商引资项目跑办不积极，两个竞争性项目…`,
        `#${items.soon} 便民服务大厅办事群众反映多头跑`,
        '（发送「取消」则不保存）',
      ].join('\n'),
    )
    expect(await ds.getRepository(PersonQuestionSchema).findOneBy({})).toMatchObject({ kind: 'evidence_item' })
    // A number that is not hers: the question stays open for a corrected answer.
    const wrong = await rig.say('lina', String(items.other))
    expect(wrong.answer).toContain('请回复您负责的事项编号')
    const answered = await rig.say('lina', `${items.soon}号`)
    expect(answered.answer).toContain(`已将照片 1 张、语音 1 条附在 #${items.soon} 作为整改佐证。`)
    expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([items.soon, items.soon])
    expect(await ds.getRepository(PersonQuestionSchema).count()).toBe(0)
    // The window is open now: the next photo goes straight to the item.
    await rig.media('lina', image(photo(5000, 2)))
    expect((await evidence()).at(-1)!.ledgerItemId).toBe(items.soon)
  })

  it('drops the waiting media when the question is cancelled', async () => {
    await rig.media('zhaolei', image(photo()))
    const cancelled = await rig.say('zhaolei', '取消')
    expect(cancelled.answer).toBe('已取消，刚发送的照片等未保存。')
    expect(await evidence()).toEqual([])
  })

  it('refuses media from someone who reports on no open item: nothing stored', async () => {
    const before = await ds.getRepository(OutboxMessageSchema).count()
    const said = await rig.media('wangjian', image(photo()))
    expect(said.answer).toContain('您目前没有这样的事项，所以没有保存')
    expect(await evidence()).toEqual([])
    expect(await ds.getRepository(OutboxMessageSchema).count()).toBe(before)
    // 佐证 on someone else's item opens nothing either.
    const other = await rig.say('zhaolei', `佐证 ${items.other}`)
    expect(other.answer).toContain('只有该事项的具体责任人')
    await rig.media('zhaolei', image(photo()))
    expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([null])
  })

  it('downloads each photo soon after it arrives, retrying a failure and a JSON error, and stores the same photo once', async () => {
    await rig.say('chenjing', `佐证 ${items.soon}`)
    const same = photo(200_000, 5)
    await rig.media('chenjing', image(same, 'a.jpg'))
    await rig.media('chenjing', image(same, 'b.jpg'))
    // The first try: the connection drops, then WeCom answers JSON with HTTP 200 (a system error).
    fake.inject({ kind: 'drop' }, 1, 'media/get')
    fake.inject({ kind: 'errcode', errcode: -1, errmsg: 'system busy' }, 1, 'media/get')
    expect(await download()).toEqual({ stored: 0, retried: 2, refused: 0 })
    expect((await evidence()).map((e) => [e.status, e.attempts, e.lastError !== null])).toEqual([
      ['pending', 1, true],
      ['pending', 1, true],
    ])
    // Not due again before the retry time.
    expect(await download()).toEqual({ stored: 0, retried: 0, refused: 0 })
    later(31_000)
    expect(await download()).toEqual({ stored: 2, retried: 0, refused: 0 })
    const rows = await evidence()
    expect(rows.map((e) => [e.status, e.contentType, e.byteSize, e.lastError])).toEqual([
      ['stored', 'image/jpeg', same.length, null],
      ['stored', 'image/jpeg', same.length, null],
    ])
    // The same bytes twice: one stored file.
    expect(rows[0]!.storedFileId).toBe(rows[1]!.storedFileId)
    expect(await ds.getRepository(StoredFileSchema).count()).toBe(1)
    const file = await readStoredFile(ds, rows[0]!.storedFileId!)
    expect(file.sha256).toBe(createHash('sha256').update(same).digest('hex'))
    expect(file.content.equals(same)).toBe(true)
  })

  it('refuses a 25 MB video over the 20 MB limit, stores nothing and tells the sender the limit', async () => {
    await rig.say('chenjing', `佐证 ${items.soon}`)
    await rig.media('chenjing', { type: 'video', mediaId: fake.addMedia({ contentType: 'video/mp4', filename: 'site.mp4', data: Buffer.alloc(25 * MB, 7) }), thumbMediaId: '' })
    expect(await download()).toEqual({ stored: 0, retried: 0, refused: 1 })
    expect((await evidence()).map((e) => e.status)).toEqual(['too_large'])
    expect(await ds.getRepository(StoredFileChunkSchema).count()).toBe(0)
    expect((await toldTo('chenjing')).at(-1)).toBe(`您10:00发送的视频超过 20 MB 的上限，没有保存（#${items.soon} 的佐证）。请压缩后重新发送。`)
    // Not counted as evidence.
    expect((await rig.say('chenjing', `详情 ${items.soon}`)).answer).toContain('佐证：无')
  })

  it('gives up after 3 days of failed downloads and tells the sender, once', async () => {
    await rig.say('chenjing', `佐证 ${items.soon}`)
    await rig.media('chenjing', image(photo()))
    fake.inject({ kind: 'http', status: 502 }, 100, 'media/get')
    for (let round = 0; round < 40 && (await evidence())[0]!.status === 'pending'; round += 1) {
      await download()
      later(3 * 3600_000)
    }
    const [row] = await evidence()
    expect(row!.status).toBe('expired')
    expect(clock.now.getTime() - row!.receivedAt.getTime()).toBeGreaterThanOrEqual(MEDIA_LIFETIME_MS)
    const lost = (await toldTo('chenjing')).filter((t) => t.includes('没能保存'))
    expect(lost).toEqual([`您8月31日 10:00发送的照片没能保存（#${items.soon} 的佐证）：企业微信只保留 3 天，已无法下载。请重新发送。`])
    fake.clearFaults()
  })

  it('takes WeCom’s 40007 for an id it no longer keeps as final at once', async () => {
    await rig.say('chenjing', `佐证 ${items.soon}`)
    const old = fake.addMedia({ contentType: 'image/jpeg', filename: 'x.jpg', data: photo(), issuedAt: clock.now.getTime() - 4 * 24 * 3600_000 })
    await rig.media('chenjing', { type: 'image', mediaId: old })
    expect(await download()).toEqual({ stored: 0, retried: 0, refused: 1 })
    expect((await evidence())[0]!.status).toBe('expired')
  })

  it('shows the evidence in 详情 and on the verify card, and sends the photos back to a verifier as images', { timeout: 60_000 }, async () => {
    await rig.say('chenjing', `佐证 ${items.soon}`)
    await rig.media('chenjing', image(photo(30_000, 1)))
    await rig.media('chenjing', image(photo(11 * MB, 2), 'big.jpg'))
    await rig.media('chenjing', { type: 'location', latitude: '30.1', longitude: '114.2', scale: '15', label: '便民服务大厅' })
    await download()
    expect((await rig.say('chenjing', `详情 ${items.soon}`)).answer).toContain('佐证：照片 2、位置 1，最近 8月31日')
    await rig.say('chenjing', `完成 ${items.soon} 已实行一窗通办`)
    const verify = await ds.getRepository(OutboxMessageSchema).findOneOrFail({ where: { subjectKind: 'item', subjectId: items.soon, msgType: 'template_card' } })
    expect(verify.payload).toContain('"keyname":"佐证","value":"照片 2、位置 1，最近 8月31日"')
    const shown = await rig.say('wangjian', `佐证 ${items.soon}`)
    expect(shown.answer).toContain(`#${items.soon} 佐证：照片 2、位置 1，最近 8月31日`)
    expect(shown.answer).toContain('位置：便民服务大厅（30.1, 114.2）')
    expect(shown.answer).toContain('随后发送照片 2 张。')
    // Delivered through the fake: the small photo as an image, the 11 MB one (over the image limit) as a file.
    const worker = fakeWeComWorker(ds, fake, clock)
    const before = fake.delivered.length
    worker.start()
    for (let i = 0; i < 100 && fake.delivered.filter((d) => d.touser.includes('wangjian') && (d.msgtype === 'image' || d.msgtype === 'file')).length < 2; i += 1) await new Promise((r) => setTimeout(r, 50))
    await worker.stop()
    const media = fake.delivered.slice(before).filter((d) => d.touser.includes('wangjian') && (d.msgtype === 'image' || d.msgtype === 'file'))
    expect(media.map((d) => d.msgtype).sort()).toEqual(['file', 'image'])
    const uploadOf = (d: (typeof media)[number]) => fake.uploads.find((u) => u.mediaId === (d.body[d.msgtype] as { media_id: string }).media_id)!
    expect(media.map((d) => [d.msgtype, uploadOf(d).type, uploadOf(d).size]).sort()).toEqual([
      ['file', 'file', 11 * MB + 6],
      ['image', 'image', 30_006],
    ])
    // Asked again within the upload's lifetime: the same media ids, no new upload.
    const uploads = fake.uploads.length
    await rig.say('wangjian', `佐证 ${items.soon}`)
    const again = fakeWeComWorker(ds, fake, clock)
    again.start()
    for (let i = 0; i < 100 && fake.delivered.filter((d) => d.touser.includes('wangjian') && (d.msgtype === 'image' || d.msgtype === 'file')).length < 4; i += 1) await new Promise((r) => setTimeout(r, 50))
    await again.stop()
    expect(fake.uploads.length).toBe(uploads)
  })

  it('requires evidence before 完成 and 销号 when 组织部 turns the rule on', async () => {
    expect((await rig.say('chenjing', '佐证 要求 开启')).answer).toContain('只有组织部')
    expect((await rig.say('wangjian', '佐证 要求 开启')).answer).toContain('已开启')
    const refused = await rig.say('chenjing', `完成 ${items.soon} 已实行一窗通办`)
    expect(refused.answer).toBe(`#${items.soon} 须先提交整改佐证才能报告完成：请在 30 分钟内发送整改照片、语音、视频或位置，再发送「完成 ${items.soon} 整改说明」。`)
    expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: items.soon })).status).toBe('in_progress')
    // The refusal opened the window: the photo goes to the item.
    await rig.media('chenjing', image(photo()))
    expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([items.soon])
    expect((await rig.say('chenjing', `完成 ${items.soon} 已实行一窗通办`)).answer).toContain('整改完成')
    // 销号 of an item rectified before the rule: refused without evidence.
    await ds.getRepository(LedgerItemSchema).update({ id: items.overdue }, { status: 'rectified', progress: 100, rectifiedAt: clock.now })
    const close = await rig.say('wangjian', `销号 ${items.overdue}`)
    expect(close.answer).toBe(`#${items.overdue} 还没有整改佐证，按组织部的要求不能销号。可发送「退回 ${items.overdue} 请补充整改照片」。`)
    expect((await rig.say('wangjian', `销号 ${items.soon} 经核实到位`)).answer).toContain('已销号')
    expect((await rig.say('wangjian', '佐证 要求 关闭')).answer).toContain('已关闭')
    expect((await rig.say('wangjian', `销号 ${items.overdue}`)).answer).toContain('已销号')
  })

  it('keeps nothing for an item closed meanwhile: its window no longer attaches', async () => {
    await rig.say('zhaolei', `完成 ${items.overdue} 已落实专人跑办`)
    expect((await rig.say('wangjian', `销号 ${items.overdue}`)).answer).toContain('已销号')
    const said = await rig.media('zhaolei', image(photo()))
    // 赵磊 has no other open item: refused.
    expect(said.answer).toContain('所以没有保存')
    expect(await evidence()).toEqual([])
  })

  it('two instances downloading at once fetch each media once, and the same photo sent by two people is stored once', async () => {
    await rig.say('chenjing', `佐证 ${items.soon}`)
    await rig.say('zhaolei', `佐证 ${items.overdue}`)
    const same = photo(300_000, 11)
    await rig.media('chenjing', image(same))
    await rig.media('zhaolei', image(same))
    for (let i = 0; i < 4; i += 1) await rig.media('chenjing', image(photo(20_000, 20 + i)))
    const requestsBefore = fake.mediaRequests.length
    // Two instances' rounds at the same moment, then whatever is left.
    const rounds = await Promise.all([download(), download(), download()])
    expect(rounds.reduce((sum, r) => sum + r.stored, 0)).toBe(6)
    expect(await download()).toEqual({ stored: 0, retried: 0, refused: 0 })
    const fetched = fake.mediaRequests.slice(requestsBefore).map((r) => r.mediaId)
    expect(new Set(fetched).size).toBe(6)
    expect(fetched).toHaveLength(6)
    const rows = await evidence()
    expect(rows.every((e) => e.status === 'stored')).toBe(true)
    expect(rows[0]!.storedFileId).toBe(rows[1]!.storedFileId)
    expect(await ds.getRepository(StoredFileSchema).count()).toBe(5)
  })

  it('retention deletes the evidence of items closed longer ago than the setting, and only files nothing else uses', async () => {
    expect((await rig.say('wangjian', '佐证 保留 30')).answer).toBe('已设置：事项销号 30 天后删除其整改佐证（位置记录一并删除）。')
    const shared = photo(40_000, 31)
    await rig.say('chenjing', `佐证 ${items.soon}`)
    await rig.media('chenjing', image(shared))
    await rig.media('chenjing', { type: 'location', latitude: '30.1', longitude: '114.2', scale: '15', label: '便民服务大厅' })
    await rig.say('zhaolei', `佐证 ${items.overdue}`)
    await rig.media('zhaolei', image(shared))
    await rig.media('zhaolei', image(photo(40_000, 32)))
    await download()
    // The monthly workbook's file, and media waiting for an item: 8 days and 2 days old.
    const workbook = await ds.transaction((m) => storeFile(m, { filename: '2015年8月专项治理月报.xlsx', content: photo(10_000, 33) }))
    await rig.media('wufang', image(photo(1000, 34)))
    await download()
    later(6 * 24 * 3600_000)
    await rig.media('wufang', image(photo(1000, 35)))
    await download()
    later(2 * 24 * 3600_000)
    const closed = (itemId: number, daysAgo: number) =>
      ds.getRepository(LedgerItemSchema).update({ id: itemId }, { status: 'closed', progress: 100, closedAt: new Date(clock.now.getTime() - daysAgo * 24 * 3600_000) })
    await closed(items.soon, 31)
    await closed(items.overdue, 29)
    const files = async () => (await ds.getRepository(StoredFileSchema).find({ order: { id: 'ASC' } })).map((f) => f.id)
    const filesBefore = await files()
    expect(await pruneEvidence(ds, clock.now)).toEqual({ evidence: 3, files: 1 })
    // #soon's photo and location gone (its photo's file stays: #overdue uses it); the 8-day-old waiting photo and its file gone.
    const left = await evidence()
    expect(left.map((e) => [e.ledgerItemId, e.kind])).toEqual([
      [items.overdue, 'image'],
      [items.overdue, 'image'],
      [null, 'image'],
    ])
    // Stored in this order: the shared photo, #overdue's other photo, the workbook, the two waiting photos.
    const [shared1, other2, , waiting8, waiting2] = filesBefore
    expect(filesBefore).toHaveLength(5)
    expect(left[2]!.storedFileId).toBe(waiting2)
    expect(await files()).toEqual([shared1, other2, workbook, waiting2])
    expect(waiting8).not.toBe(workbook)
    // A day later #overdue is past 30 days too: its files go, the workbook stays.
    later(2 * 24 * 3600_000)
    expect(await pruneEvidence(ds, clock.now)).toEqual({ evidence: 2, files: 2 })
    expect(await files()).toEqual([workbook, waiting2])
    expect(await ds.getRepository(StoredFileChunkSchema).countBy({ fileId: workbook })).toBe(1)
    // 长期: nothing more is deleted.
    await rig.say('wangjian', '佐证 保留 长期')
    later(400 * 24 * 3600_000)
    expect((await pruneEvidence(ds, clock.now)).evidence).toBe(1)
  })

  it('survives a restart between the message and the download', async () => {
    await rig.say('chenjing', `佐证 ${items.soon}`)
    const data = photo(50_000, 8)
    await rig.media('chenjing', image(data))
    await rig.close()
    // A new instance: its own client, its own worker.
    const { createEvidenceWorker } = await import('../src/jobs/evidence-downloads.js')
    const worker = createEvidenceWorker(ds, { fetch: wecomFetcher(client()), refusal: fetchRefusal, maxBytes: 20 * MB, logger: createLogger('silent') }, () => clock.now, 20)
    worker.start()
    let rows: Evidence[] = []
    for (let i = 0; i < 100 && (rows = await evidence())[0]!.status === 'pending'; i += 1) await new Promise((r) => setTimeout(r, 50))
    await worker.stop()
    expect(rows[0]!.status).toBe('stored')
    expect((await readStoredFile(ds, rows[0]!.storedFileId!)).content.equals(data)).toBe(true)
    rig = await startCallbackRig(ds, { clock: () => clock.now })
  })
})
