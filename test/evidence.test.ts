import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { LedgerItemSchema, OutboxMessageSchema, PersonQuestionSchema, StoredFileChunkSchema, StoredFileSchema, type Evidence } from '../src/db/entities/index.js'
import { MEDIA_LIFETIME_MS } from '../src/domain/evidence/download-evidence.js'
import { fetchRefusal, wecomFetcher } from '../src/domain/evidence/media-fetchers.js'
import { createLogger } from '../src/logger.js'
import { readStoredFile, storeFile } from '../src/outbox/stored-files.js'
import { pruneEvidence } from '../src/domain/evidence/evidence-retention.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { fakeWeComWorker, storedCards } from './helpers/cards.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { dialect } from './helpers/test-database.js'
import { evidenceSuite } from './helpers/evidence-suite.js'

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
  const t = evidenceSuite()

  it.each([
    ['进度', (id: number) => `进度 ${id} 60% 已完成主体整改`],
    ['完成', (id: number) => `完成 ${id} 已建立首问负责制并公示`],
    ['佐证', (id: number) => `佐证 ${id}`],
  ])('attaches the photos sent within 30 minutes after 「%s」 to the item, acknowledged once for the burst', async (_word, typed) => {
    const said = await t.rig.say('chenjing', typed(t.items.soon))
    expect(said.answer).not.toContain('没有')
    t.later(60_000)
    // Three photos at the same moment, as a phone sends a selection.
    const sent = await Promise.all([t.image(photo(10_000, 1)), t.image(photo(10_000, 2)), t.image(photo(10_000, 3))].map((fields) => t.rig.media('chenjing', fields)))
    expect(sent.map((s) => [s.status, s.answer])).toEqual([[200, ''], [200, ''], [200, '']])
    // The acknowledgement goes (the delivery worker takes it); what comes later is answered anew.
    await t.ds.getRepository(OutboxMessageSchema).update({ subjectKind: 'evidence' }, { status: 'sent' })
    t.later(60_000)
    await t.rig.media('chenjing', { type: 'location', latitude: '30.123456', longitude: '114.654321', scale: '15', label: '城关镇便民服务大厅' })
    const rows = await t.evidence()
    expect(rows.map((r) => [r.ledgerItemId, r.kind, r.status])).toEqual([
      [t.items.soon, 'image', 'pending'],
      [t.items.soon, 'image', 'pending'],
      [t.items.soon, 'image', 'pending'],
      [t.items.soon, 'location', 'stored'],
    ])
    expect(rows[3]).toMatchObject({ latitude: '30.123456', longitude: '114.654321', scale: 15, label: '城关镇便民服务大厅', mediaId: null })
    // One answer for the three photos (rewritten while it waited), one for the location a minute later.
    expect(await t.toldTo('chenjing')).toEqual([`已收到照片 3 张，附在 #${t.items.soon}（便民服务大厅办事群众反映多头跑）作为整改佐证。`, `已收到位置 1 个，附在 #${t.items.soon}（便民服务大厅办事群众反映多头跑）作为整改佐证。`])
    // Past the window (30 minutes after the last media), a photo is asked about instead.
    t.later(31 * 60_000)
    await t.rig.media('chenjing', t.image(photo(10_000, 4)))
    expect((await t.evidence()).at(-1)!.ledgerItemId).toBeNull()
  })

  it.each(['progress', 'done'])('attaches after a tap on the digest card’s %s button, before the answer is typed', async (key) => {
    await runSweep(t.ds, t.clock.now)
    const { taskId } = await storedCards(() => t.ds).cardTo('lina')
    const asked = await t.rig.tap('lina', taskId, key, { select: String(t.items.soon) })
    expect(asked.answer).toContain(`请回复 #${t.items.soon} 的`)
    await t.rig.media('lina', t.image(photo()))
    expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([t.items.soon])
  })

  it('asks which item media with no item named are for; the number attaches everything waiting', async () => {
    // 赵磊 answers for #overdue only; 李娜 (leader) for both of 城关镇's items.
    await t.rig.media('lina', t.image(photo(5000, 1)))
    await t.rig.media('lina', { type: 'voice', mediaId: t.fake.addMedia({ contentType: 'audio/amr', filename: 'v.amr', data: photo(3000, 9) }), format: 'amr' })
    const [question] = await t.toldTo('lina')
    expect(question).toBe(
      [
        '收到照片 1 张、语音 1 条。是哪项的整改佐证？请回复编号：',
        `#${t.items.overdue} 招商引资项目跑办不积极，两个竞争性项目…`,
        `#${t.items.soon} 便民服务大厅办事群众反映多头跑`,
        '（发送「取消」则不保存）',
      ].join('\n'),
    )
    expect(await t.ds.getRepository(PersonQuestionSchema).findOneBy({})).toMatchObject({ kind: 'evidence_item' })
    // A number that is not hers: the question stays open for a corrected answer.
    const wrong = await t.rig.say('lina', String(t.items.other))
    expect(wrong.answer).toContain('请回复您负责的事项编号')
    const answered = await t.rig.say('lina', `${t.items.soon}号`)
    expect(answered.answer).toContain(`已将照片 1 张、语音 1 条附在 #${t.items.soon} 作为整改佐证。`)
    expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([t.items.soon, t.items.soon])
    expect(await t.ds.getRepository(PersonQuestionSchema).count()).toBe(0)
    // The window is open now: the next photo goes straight to the item.
    await t.rig.media('lina', t.image(photo(5000, 2)))
    expect((await t.evidence()).at(-1)!.ledgerItemId).toBe(t.items.soon)
  })

  it('drops the waiting media when the question is cancelled', async () => {
    await t.rig.media('zhaolei', t.image(photo()))
    const cancelled = await t.rig.say('zhaolei', '取消')
    expect(cancelled.answer).toBe('已取消，刚发送的照片等未保存。')
    expect(await t.evidence()).toEqual([])
  })

  it('refuses media from someone who reports on no open item: nothing stored', async () => {
    const before = await t.ds.getRepository(OutboxMessageSchema).count()
    const said = await t.rig.media('wangjian', t.image(photo()))
    expect(said.answer).toContain('您目前没有这样的事项，所以没有保存')
    expect(await t.evidence()).toEqual([])
    expect(await t.ds.getRepository(OutboxMessageSchema).count()).toBe(before)
    // 佐证 on someone else's item opens nothing either.
    const other = await t.rig.say('zhaolei', `佐证 ${t.items.other}`)
    expect(other.answer).toContain('只有该事项的具体责任人')
    await t.rig.media('zhaolei', t.image(photo()))
    expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([null])
  })

  it('downloads each photo soon after it arrives, retrying a failure and a JSON error, and stores the same photo once', async () => {
    await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
    const same = photo(200_000, 5)
    await t.rig.media('chenjing', t.image(same, 'a.jpg'))
    await t.rig.media('chenjing', t.image(same, 'b.jpg'))
    // The first try: the connection drops, then WeCom answers JSON with HTTP 200 (a system error).
    t.fake.inject({ kind: 'drop' }, 1, 'media/get')
    t.fake.inject({ kind: 'errcode', errcode: -1, errmsg: 'system busy' }, 1, 'media/get')
    expect(await t.download()).toEqual({ stored: 0, retried: 2, refused: 0 })
    expect((await t.evidence()).map((e) => [e.status, e.attempts, e.lastError !== null])).toEqual([
      ['pending', 1, true],
      ['pending', 1, true],
    ])
    // Not due again before the retry time.
    expect(await t.download()).toEqual({ stored: 0, retried: 0, refused: 0 })
    t.later(31_000)
    expect(await t.download()).toEqual({ stored: 2, retried: 0, refused: 0 })
    const rows = await t.evidence()
    expect(rows.map((e) => [e.status, e.contentType, e.byteSize, e.lastError])).toEqual([
      ['stored', 'image/jpeg', same.length, null],
      ['stored', 'image/jpeg', same.length, null],
    ])
    // The same bytes twice: one stored file.
    expect(rows[0]!.storedFileId).toBe(rows[1]!.storedFileId)
    expect(await t.ds.getRepository(StoredFileSchema).count()).toBe(1)
    const file = await readStoredFile(t.ds, rows[0]!.storedFileId!)
    expect(file.sha256).toBe(createHash('sha256').update(same).digest('hex'))
    expect(file.content.equals(same)).toBe(true)
  })

  it('refuses a 25 MB video over the 20 MB limit, stores nothing and tells the sender the limit', async () => {
    await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
    await t.rig.media('chenjing', { type: 'video', mediaId: t.fake.addMedia({ contentType: 'video/mp4', filename: 'site.mp4', data: Buffer.alloc(25 * MB, 7) }), thumbMediaId: '' })
    expect(await t.download()).toEqual({ stored: 0, retried: 0, refused: 1 })
    expect((await t.evidence()).map((e) => e.status)).toEqual(['too_large'])
    expect(await t.ds.getRepository(StoredFileChunkSchema).count()).toBe(0)
    expect((await t.toldTo('chenjing')).at(-1)).toBe(`您10:00发送的视频超过 20 MB 的上限，没有保存（#${t.items.soon} 的佐证）。请压缩后重新发送。`)
    // Not counted as evidence.
    expect((await t.rig.say('chenjing', `详情 ${t.items.soon}`)).answer).toContain('佐证：无')
  })

  it('gives up after 3 days of failed downloads and tells the sender, once', async () => {
    await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
    await t.rig.media('chenjing', t.image(photo()))
    t.fake.inject({ kind: 'http', status: 502 }, 100, 'media/get')
    for (let round = 0; round < 40 && (await t.evidence())[0]!.status === 'pending'; round += 1) {
      await t.download()
      t.later(3 * 3600_000)
    }
    const [row] = await t.evidence()
    expect(row!.status).toBe('expired')
    expect(t.clock.now.getTime() - row!.receivedAt.getTime()).toBeGreaterThanOrEqual(MEDIA_LIFETIME_MS)
    const lost = (await t.toldTo('chenjing')).filter((t) => t.includes('没能保存'))
    expect(lost).toEqual([`您8月31日 10:00发送的照片没能保存（#${t.items.soon} 的佐证）：企业微信只保留 3 天，已无法下载。请重新发送。`])
    t.fake.clearFaults()
  })

  it('takes WeCom’s 40007 for an id it no longer keeps as final at once', async () => {
    await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
    const old = t.fake.addMedia({ contentType: 'image/jpeg', filename: 'x.jpg', data: photo(), issuedAt: t.clock.now.getTime() - 4 * 24 * 3600_000 })
    await t.rig.media('chenjing', { type: 'image', mediaId: old })
    expect(await t.download()).toEqual({ stored: 0, retried: 0, refused: 1 })
    expect((await t.evidence())[0]!.status).toBe('expired')
  })

  it('shows the evidence in 详情 and on the verify card, and sends the photos back to a verifier as images', { timeout: 60_000 }, async () => {
    await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
    await t.rig.media('chenjing', t.image(photo(30_000, 1)))
    await t.rig.media('chenjing', t.image(photo(11 * MB, 2), 'big.jpg'))
    await t.rig.media('chenjing', { type: 'location', latitude: '30.1', longitude: '114.2', scale: '15', label: '便民服务大厅' })
    await t.download()
    expect((await t.rig.say('chenjing', `详情 ${t.items.soon}`)).answer).toContain('佐证：照片 2、位置 1，最近 8月31日')
    await t.rig.say('chenjing', `完成 ${t.items.soon} 已实行一窗通办`)
    const verify = await t.ds.getRepository(OutboxMessageSchema).findOneOrFail({ where: { subjectKind: 'item', subjectId: t.items.soon, msgType: 'template_card' } })
    expect(verify.payload).toContain('"keyname":"佐证","value":"照片 2、位置 1，最近 8月31日"')
    const shown = await t.rig.say('wangjian', `佐证 ${t.items.soon}`)
    expect(shown.answer).toContain(`#${t.items.soon} 佐证：照片 2、位置 1，最近 8月31日`)
    expect(shown.answer).toContain('位置：便民服务大厅（30.1, 114.2）')
    expect(shown.answer).toContain('随后发送照片 2 张。')
    // Delivered through the fake: the small photo as an image, the 11 MB one (over the image limit) as a file.
    const worker = fakeWeComWorker(t.ds, t.fake, t.clock)
    const before = t.fake.delivered.length
    worker.start()
    for (let i = 0; i < 100 && t.fake.delivered.filter((d) => d.touser.includes('wangjian') && (d.msgtype === 'image' || d.msgtype === 'file')).length < 2; i += 1) await new Promise((r) => setTimeout(r, 50))
    await worker.stop()
    const media = t.fake.delivered.slice(before).filter((d) => d.touser.includes('wangjian') && (d.msgtype === 'image' || d.msgtype === 'file'))
    expect(media.map((d) => d.msgtype).sort()).toEqual(['file', 'image'])
    const uploadOf = (d: (typeof media)[number]) => t.fake.uploads.find((u) => u.mediaId === (d.body[d.msgtype] as { media_id: string }).media_id)!
    expect(media.map((d) => [d.msgtype, uploadOf(d).type, uploadOf(d).size]).sort()).toEqual([
      ['file', 'file', 11 * MB + 6],
      ['image', 'image', 30_006],
    ])
    // Asked again within the upload's lifetime: the same media ids, no new upload.
    const uploads = t.fake.uploads.length
    await t.rig.say('wangjian', `佐证 ${t.items.soon}`)
    const again = fakeWeComWorker(t.ds, t.fake, t.clock)
    again.start()
    for (let i = 0; i < 100 && t.fake.delivered.filter((d) => d.touser.includes('wangjian') && (d.msgtype === 'image' || d.msgtype === 'file')).length < 4; i += 1) await new Promise((r) => setTimeout(r, 50))
    await again.stop()
    expect(t.fake.uploads.length).toBe(uploads)
  })

  it('requires evidence before 完成 and 销号 when 组织部 turns the rule on', async () => {
    expect((await t.rig.say('chenjing', '佐证 要求 开启')).answer).toContain('只有组织部')
    expect((await t.rig.say('wangjian', '佐证 要求 开启')).answer).toContain('已开启')
    const refused = await t.rig.say('chenjing', `完成 ${t.items.soon} 已实行一窗通办`)
    expect(refused.answer).toBe(`#${t.items.soon} 须先提交整改佐证才能报告完成：请在 30 分钟内发送整改照片、语音、视频或位置，再发送「完成 ${t.items.soon} 整改说明」。`)
    expect((await t.ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: t.items.soon })).status).toBe('in_progress')
    // The refusal opened the window: the photo goes to the item.
    await t.rig.media('chenjing', t.image(photo()))
    expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([t.items.soon])
    expect((await t.rig.say('chenjing', `完成 ${t.items.soon} 已实行一窗通办`)).answer).toContain('整改完成')
    // 销号 of an item rectified before the rule: refused without evidence.
    await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.overdue }, { status: 'rectified', progress: 100, rectifiedAt: t.clock.now })
    const close = await t.rig.say('wangjian', `销号 ${t.items.overdue}`)
    expect(close.answer).toBe(`#${t.items.overdue} 还没有整改佐证，按组织部的要求不能销号。可发送「退回 ${t.items.overdue} 请补充整改照片」。`)
    expect((await t.rig.say('wangjian', `销号 ${t.items.soon} 经核实到位`)).answer).toContain('已销号')
    expect((await t.rig.say('wangjian', '佐证 要求 关闭')).answer).toContain('已关闭')
    expect((await t.rig.say('wangjian', `销号 ${t.items.overdue}`)).answer).toContain('已销号')
  })

  it('keeps nothing for an item closed meanwhile: its window no longer attaches', async () => {
    await t.rig.say('zhaolei', `完成 ${t.items.overdue} 已落实专人跑办`)
    expect((await t.rig.say('wangjian', `销号 ${t.items.overdue}`)).answer).toContain('已销号')
    const said = await t.rig.media('zhaolei', t.image(photo()))
    // 赵磊 has no other open item: refused.
    expect(said.answer).toContain('所以没有保存')
    expect(await t.evidence()).toEqual([])
  })

  it('two instances downloading at once fetch each media once, and the same photo sent by two people is stored once', async () => {
    await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
    await t.rig.say('zhaolei', `佐证 ${t.items.overdue}`)
    const same = photo(300_000, 11)
    await t.rig.media('chenjing', t.image(same))
    await t.rig.media('zhaolei', t.image(same))
    for (let i = 0; i < 4; i += 1) await t.rig.media('chenjing', t.image(photo(20_000, 20 + i)))
    const requestsBefore = t.fake.mediaRequests.length
    // Two instances' rounds at the same moment, then whatever is left.
    const rounds = await Promise.all([t.download(), t.download(), t.download()])
    expect(rounds.reduce((sum, r) => sum + r.stored, 0)).toBe(6)
    expect(await t.download()).toEqual({ stored: 0, retried: 0, refused: 0 })
    const fetched = t.fake.mediaRequests.slice(requestsBefore).map((r) => r.mediaId)
    expect(new Set(fetched).size).toBe(6)
    expect(fetched).toHaveLength(6)
    const rows = await t.evidence()
    expect(rows.every((e) => e.status === 'stored')).toBe(true)
    expect(rows[0]!.storedFileId).toBe(rows[1]!.storedFileId)
    expect(await t.ds.getRepository(StoredFileSchema).count()).toBe(5)
  })

  it('retention deletes the evidence of t.items closed longer ago than the setting, and only files nothing else uses', async () => {
    expect((await t.rig.say('wangjian', '佐证 保留 30')).answer).toBe('已设置：事项销号 30 天后删除其整改佐证（位置记录一并删除）。')
    const shared = photo(40_000, 31)
    await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
    await t.rig.media('chenjing', t.image(shared))
    await t.rig.media('chenjing', { type: 'location', latitude: '30.1', longitude: '114.2', scale: '15', label: '便民服务大厅' })
    await t.rig.say('zhaolei', `佐证 ${t.items.overdue}`)
    await t.rig.media('zhaolei', t.image(shared))
    await t.rig.media('zhaolei', t.image(photo(40_000, 32)))
    await t.download()
    // The monthly workbook's file, and media waiting for an item: 8 days and 2 days old.
    const workbook = await t.ds.transaction((m) => storeFile(m, { filename: '2015年8月专项治理月报.xlsx', content: photo(10_000, 33) }))
    await t.rig.media('wufang', t.image(photo(1000, 34)))
    await t.download()
    t.later(6 * 24 * 3600_000)
    await t.rig.media('wufang', t.image(photo(1000, 35)))
    await t.download()
    t.later(2 * 24 * 3600_000)
    const closed = (itemId: number, daysAgo: number) =>
      t.ds.getRepository(LedgerItemSchema).update({ id: itemId }, { status: 'closed', progress: 100, closedAt: new Date(t.clock.now.getTime() - daysAgo * 24 * 3600_000) })
    await closed(t.items.soon, 31)
    await closed(t.items.overdue, 29)
    const files = async () => (await t.ds.getRepository(StoredFileSchema).find({ order: { id: 'ASC' } })).map((f) => f.id)
    const filesBefore = await files()
    expect(await pruneEvidence(t.ds, t.clock.now)).toEqual({ evidence: 3, files: 1 })
    // #soon's photo and location gone (its photo's file stays: #overdue uses it); the 8-day-old waiting photo and its file gone.
    const left = await t.evidence()
    expect(left.map((e) => [e.ledgerItemId, e.kind])).toEqual([
      [t.items.overdue, 'image'],
      [t.items.overdue, 'image'],
      [null, 'image'],
    ])
    // Stored in this order: the shared photo, #overdue's other photo, the workbook, the two waiting photos.
    const [shared1, other2, , waiting8, waiting2] = filesBefore
    expect(filesBefore).toHaveLength(5)
    expect(left[2]!.storedFileId).toBe(waiting2)
    expect(await files()).toEqual([shared1, other2, workbook, waiting2])
    expect(waiting8).not.toBe(workbook)
    // A day later #overdue is past 30 days too: its files go, the workbook stays.
    t.later(2 * 24 * 3600_000)
    expect(await pruneEvidence(t.ds, t.clock.now)).toEqual({ evidence: 2, files: 2 })
    expect(await files()).toEqual([workbook, waiting2])
    expect(await t.ds.getRepository(StoredFileChunkSchema).countBy({ fileId: workbook })).toBe(1)
    // 长期: nothing more is deleted.
    await t.rig.say('wangjian', '佐证 保留 长期')
    t.later(400 * 24 * 3600_000)
    expect((await pruneEvidence(t.ds, t.clock.now)).evidence).toBe(1)
  })

  it('survives a restart between the message and the download', async () => {
    await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
    const data = photo(50_000, 8)
    await t.rig.media('chenjing', t.image(data))
    await t.rig.close()
    // A new instance: its own client, its own worker.
    const { createEvidenceWorker } = await import('../src/jobs/evidence-downloads.js')
    const worker = createEvidenceWorker(t.ds, { fetch: wecomFetcher(t.client()), refusal: fetchRefusal, maxBytes: 20 * MB, logger: createLogger('silent') }, () => t.clock.now, 20)
    worker.start()
    let rows: Evidence[] = []
    for (let i = 0; i < 100 && (rows = await t.evidence())[0]!.status === 'pending'; i += 1) await new Promise((r) => setTimeout(r, 50))
    await worker.stop()
    expect(rows[0]!.status).toBe('stored')
    expect((await readStoredFile(t.ds, rows[0]!.storedFileId!)).content.equals(data)).toBe(true)
    t.rig = await startCallbackRig(t.ds, { clock: () => t.clock.now })
  })
})
