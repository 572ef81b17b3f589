import { IsNull, type DataSource, type EntityManager } from 'typeorm'
import { describe, expect, it } from 'vitest'
import { createDataSource } from '../src/db/create-data-source.js'
import { CampaignSchema, EvidenceSchema, LedgerItemSchema, OutboxMessageSchema, PersonQuestionSchema, PersonSchema, StoredFileSchema } from '../src/db/entities/index.js'
import { downloadDueEvidence, type MediaFetcher } from '../src/domain/evidence/download-evidence.js'
import { pruneEvidence } from '../src/domain/evidence/evidence-retention.js'
import { wecomFetcher } from '../src/domain/evidence/media-fetchers.js'
import { enqueue } from '../src/outbox/enqueue.js'
import { storeFile } from '../src/outbox/stored-files.js'
import { createLogger } from '../src/logger.js'
import { storedFile } from '../src/wecom/messages.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { fakeWeComWorker } from './helpers/cards.js'
import { consoleDashboard, devSignIn } from './helpers/dashboard.js'
import { dialect } from './helpers/test-database.js'
import { evidenceSuite } from './helpers/evidence-suite.js'

/**
 * Evidence of rectification (docs/evidence.md) under attack: bursts racing 佐证 N and 取消, two
 * instances downloading the same rows, the question answered badly, the window after the item
 * changed, size limits at their edge, retention against files still in use, the dashboard's file
 * route, and what reaches the logs. The first group are defects (each failed when it was written;
 * a fix makes it pass and keeps it fixed); the second, attacks that held.
 */

const MB = 1024 * 1024
const SECRET = 'fake-secret'
const QUESTION = '是哪项的整改佐证'

/** A photo's bytes: the JPEG markers around a pattern (`seed` makes different photos). */
function photo(size = 8 * 1024, seed = 1): Buffer {
  const body = Buffer.alloc(size, Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 31 + seed) & 0xff)))
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), body, Buffer.from([0xff, 0xd9])])
}

/** Log lines written to a test's own logger (and, as always, to the suite's capture). */
function capturedLogger() {
  const lines: string[] = []
  return { lines, logger: createLogger('debug', { write: (line: string) => void lines.push(line) }) }
}

describe(`evidence under attack on ${dialect}`, () => {
  const t = evidenceSuite()

  const personId = async (userid: string) => (await t.ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id

  // ---------------------------------------------------------------------------------------------
  // Defects: each of these failed when it was written.
  // ---------------------------------------------------------------------------------------------

  describe('defects a review found (each failed before its fix)', () => {
    it('does not send the question "是哪项的整改佐证？" after 「佐证 N」 already attached the photos it asks about', async () => {
      // A burst with no window: the question waits 3 seconds in the outbox for more photos.
      await t.rig.media('chenjing', t.image(photo(4000, 1)))
      await t.rig.media('chenjing', t.image(photo(4000, 2)))
      expect((await t.pendingTo('chenjing')).join()).toContain(QUESTION)
      // Meanwhile she types which item (as the docs allow): everything waiting is attached.
      const said = await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      expect(said.answer).toContain(`已将照片 2 张附在 #${t.items.soon}`)
      expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([t.items.soon, t.items.soon])
      // The question about photos already attached must not follow her answer.
      expect(await t.pendingTo('chenjing')).not.toContainEqual(expect.stringContaining(QUESTION))
    })

    it('does not send the question after 「取消」 dropped the photos it asks about', async () => {
      await t.rig.media('zhaolei', t.image(photo(4000, 1)))
      const cancelled = await t.rig.say('zhaolei', '取消')
      expect(cancelled.answer).toBe('已取消，刚发送的照片等未保存。')
      expect(await t.evidence()).toEqual([])
      // "收到照片 1 张。是哪项的整改佐证？" three seconds after "已取消" asks about nothing.
      expect(await t.pendingTo('zhaolei')).toEqual([])
    })

    it('lets 「完成 N」 go through when the evidence rule is on and the photos were sent just before, unnamed', async () => {
      expect((await t.rig.say('wangjian', '佐证 要求 开启')).answer).toContain('已开启')
      // The photo first (no window: it waits with a question), then 完成 for the item.
      await t.rig.media('chenjing', t.image(photo()))
      const done = await t.rig.say('chenjing', `完成 ${t.items.soon} 已实行一窗通办`)
      // The docs: a typed 完成 N attaches what waited to N. The photo is attached (by the refusal's
      // afterwards), yet the 完成 it was sent for is refused for having no evidence.
      expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([t.items.soon])
      expect(done.answer).toContain('整改完成')
      expect((await t.ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: t.items.soon })).status).toBe('rectified')
    })

    it('shows the photos 「完成 N」 attached on the verifier’s card it sends', async () => {
      await t.rig.media('chenjing', t.image(photo()))
      const done = await t.rig.say('chenjing', `完成 ${t.items.soon} 已实行一窗通办`)
      expect(done.answer).toContain('已将刚才发送的照片 1 张附为整改佐证。')
      // The card to 组织部 is built before the waiting photo is attached: it says 佐证：无.
      const verify = await t.ds.getRepository(OutboxMessageSchema).findOneByOrFail({ subjectKind: 'item', subjectId: t.items.soon, msgType: 'template_card' })
      expect(verify.payload).toContain('"keyname":"佐证","value":"照片 1')
    })

    it('stores or refuses a tiny (≤ 5 bytes) or empty media file instead of fetching it again every 2 minutes', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.media('chenjing', { type: 'voice', mediaId: t.fake.addMedia({ contentType: 'audio/amr', filename: 'v.amr', data: Buffer.from('#!AM') }), format: 'amr' })
      await t.rig.media('chenjing', { type: 'image', mediaId: t.fake.addMedia({ contentType: 'image/jpeg', filename: 'e.jpg', data: Buffer.alloc(0) }) })
      const first = await t.download()
      // storeFile refuses fewer than 6 bytes; keep() fails; the row is "retried" by the 2-minute
      // lease, forever (a successful fetch never reaches the 3-day expiry check).
      const fetches = () => t.fake.mediaRequests.length
      const before = fetches()
      for (let round = 0; round < 5; round += 1) {
        t.later(2 * 60_000 + 1000)
        await t.download()
      }
      // Stored (or refused, and the sender told): either way final, and not fetched again.
      expect({ first, pending: (await t.evidence()).filter((e) => e.status === 'pending').length, refetched: fetches() - before }).toEqual({ first: expect.objectContaining({ retried: 0 }), pending: 0, refetched: 0 })
    })

    it('never writes the name of a person’s file to the log (a tiny file’s failure quotes it)', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.media('chenjing', { type: 'voice', mediaId: t.fake.addMedia({ contentType: 'audio/amr', filename: '陈静家门口录音.amr', data: Buffer.from('#!AM') }), format: 'amr' })
      const { lines, logger } = capturedLogger()
      await t.download({ logger })
      expect(lines.join('\n')).not.toContain('陈静家门口录音')
    })

    it('keeps a stored file that a message still waiting in the outbox sends (a photo sent back by 佐证 N 查看)', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.media('chenjing', t.image(photo(20_000, 3)))
      await t.download()
      const [row] = await t.evidence()
      expect(row!.status).toBe('stored')
      // The item is closed; retention is one day.
      await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.soon }, { status: 'closed', progress: 100, closedAt: new Date(t.clock.now.getTime() - 3 * 24 * 3600_000) })
      await t.ds.getRepository(CampaignSchema).update({ id: t.fixture.campaign.id }, { evidenceRetentionDays: 1 })
      // A verifier asks for it at 03:16; WeCom is slow, the photo is still waiting in the outbox at 03:17.
      const shown = await t.rig.say('wangjian', `佐证 ${t.items.soon} 查看`)
      expect(shown.answer).toContain('随后发送照片 1 张')
      const waiting = await t.ds.getRepository(OutboxMessageSchema).findOneByOrFail({ msgType: 'image', status: 'pending' })
      const fileId = (JSON.parse(waiting.payload) as { image: { stored_file_id: number } }).image.stored_file_id
      await pruneEvidence(t.ds, t.clock.now)
      // docs/evidence.md: "never a file anything else uses".
      expect(await t.ds.getRepository(StoredFileSchema).countBy({ id: fileId })).toBe(1)
    })

    it('keeps the monthly workbook’s file when a photo with the same bytes is pruned', async () => {
      // A file the outbox sends (as the monthly workbook is), and evidence whose bytes are the same.
      const bytes = photo(30_000, 9)
      const workbook = await t.ds.transaction((m) => storeFile(m, { filename: '2015年8月专项治理月报.xlsx', content: bytes }))
      await enqueue(t.ds.manager, { dedupeKey: 'workbook:2015-08', subject: { kind: 'item', id: 0 }, to: { users: ['wangjian'] }, message: storedFile(workbook, '2015年8月专项治理月报.xlsx') }, t.clock.now)
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.media('chenjing', t.image(bytes))
      await t.download()
      await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.soon }, { status: 'closed', progress: 100, closedAt: new Date(t.clock.now.getTime() - 3 * 24 * 3600_000) })
      await t.ds.getRepository(CampaignSchema).update({ id: t.fixture.campaign.id }, { evidenceRetentionDays: 1 })
      await pruneEvidence(t.ds, t.clock.now)
      expect(await t.ds.getRepository(StoredFileSchema).countBy({ id: workbook })).toBe(1)
    })

    it('stores the same photo once when two people’s copies are downloaded at the same moment', async () => {
      const same = photo(50_000, 7)
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.say('zhaolei', `佐证 ${t.items.overdue}`)
      await t.rig.media('chenjing', t.image(same, 'a.jpg'))
      await t.rig.media('zhaolei', t.image(same, 'b.jpg'))
      // Both fetches finish together: the two stores then run at once (one round's rows are
      // downloaded side by side; two instances do the same).
      const round = await t.download({ fetch: barrierFetcher(wecomFetcher(t.client()), 2) })
      expect(round).toEqual({ stored: 2, retried: 0, refused: 0 })
      const rows = await t.evidence()
      expect(rows.map((e) => e.status)).toEqual(['stored', 'stored'])
      expect(await t.ds.getRepository(StoredFileSchema).count()).toBe(1)
    })

    it.each(['before', 'after'] as const)('never deletes the file of a photo being stored (held %s it points at the file) while retention prunes an older row with the same bytes', async (when) => {
      const same = photo(40_000, 11)
      // #overdue's photo, kept; the item closed 3 days ago with retention of one day.
      await t.rig.say('zhaolei', `佐证 ${t.items.overdue}`)
      await t.rig.media('zhaolei', t.image(same))
      await t.download()
      const [old] = await t.evidence()
      expect(old!.status).toBe('stored')
      await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.overdue }, { status: 'closed', progress: 100, closedAt: new Date(t.clock.now.getTime() - 3 * 24 * 3600_000) })
      await t.ds.getRepository(CampaignSchema).update({ id: t.fixture.campaign.id }, { evidenceRetentionDays: 1 })
      // The same photo sent again, for an open item; its store is held just before (or just after) it
      // points the row at the file it found.
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.media('chenjing', t.image(same))
      const gate = storeGate(t.ds, when)
      const storing = downloadDueEvidence(gate.dataSource, t.settings(), t.clock.now)
      await gate.reached
      // 03:17: retention runs while the store is between finding the file and pointing at it.
      const pruning = pruneEvidence(t.ds, t.clock.now)
      await new Promise((resolve) => setTimeout(resolve, 300))
      gate.release()
      await Promise.all([storing, pruning])
      // A store that failed because the file went meanwhile is tried again after its lease: fine.
      t.later(2 * 60_000 + 1000)
      await t.download()
      const kept = await t.ds.getRepository(EvidenceSchema).findOneByOrFail({ ledgerItemId: t.items.soon })
      expect(kept.status).toBe('stored')
      // The new row still has its file.
      expect(kept.storedFileId).not.toBeNull()
      expect(await t.ds.getRepository(StoredFileSchema).countBy({ id: kept.storedFileId ?? -1 })).toBe(1)
    })

    it('answers an evidence question that expired without pointing to a card that was never sent', async () => {
      await t.rig.media('chenjing', t.image(photo()))
      t.later(11 * 60_000)
      const late = await t.rig.say('chenjing', String(t.items.soon))
      expect(late.answer).toContain('已超过 10 分钟失效')
      // The question came from photos, not from a card's button.
      expect(late.answer).not.toContain('卡片')
    })

    it.each([
      ['佐证 保留', (_id: number) => `佐证 保留 x${'😀'.repeat(5)}`, 'wangjian'],
      ['佐证 N 查看', (id: number) => `佐证 ${id} x${'😀'.repeat(10)}`, 'chenjing'],
    ])('quotes what was typed after 「%s」 without cutting an emoji in half', async (_what, typed, userid) => {
      const said = await t.rig.say(userid, typed(t.items.soon))
      expect(said.answer).toMatch(/「x😀/)
      // A lone half of a surrogate pair reaches the person as "�".
      expect(said.answer).not.toContain('\uFFFD')
      expect(said.answer).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/)
    })

    it('keeps a location’s coordinates as WeCom wrote them (decimal text, not a double’s rounding)', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.media('chenjing', { type: 'location', latitude: '30.120000', longitude: '114.65432109876543210987', scale: '15', label: '便民服务大厅' })
      const [place] = await t.evidence()
      expect([place!.latitude, place!.longitude]).toEqual(['30.120000', '114.65432109876543210987'])
    })

    it('sends a voice note back under its evidence name, not the name the sender’s file had in WeCom', { timeout: 30_000 }, async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.media('chenjing', { type: 'voice', mediaId: t.fake.addMedia({ contentType: 'audio/amr', filename: '陈静给老公的语音.amr', data: Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(4000, 0x3c)]) }), format: 'amr' })
      await t.download()
      const shown = await t.rig.say('wangjian', `佐证 ${t.items.soon}`)
      expect(shown.answer).toContain('随后发送语音 1 条')
      const queued = await t.ds.getRepository(OutboxMessageSchema).findOneByOrFail({ msgType: 'file' })
      expect(JSON.parse(queued.payload).file.filename).toMatch(/^佐证-语音-\d{8}-\d{4}\.amr$/)
      const worker = fakeWeComWorker(t.ds, t.fake, t.clock)
      const uploads = t.fake.uploads.length
      worker.start()
      for (let i = 0; i < 100 && t.fake.uploads.length === uploads; i += 1) await new Promise((r) => setTimeout(r, 50))
      await worker.stop()
      // WeCom shows the uploaded file's name: the one the outbox row gives.
      expect(t.fake.uploads.slice(uploads).map((u) => u.filename)).toEqual([JSON.parse(queued.payload).file.filename])
    })
  })

  // ---------------------------------------------------------------------------------------------
  // Attacks that held: these passed when they were written.
  // ---------------------------------------------------------------------------------------------

  describe('attacks that held', () => {
    it('counts a burst of 10 photos sent at once into one acknowledgement, all attached', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      const sent = await Promise.all(Array.from({ length: 10 }, (_, i) => t.rig.media('chenjing', t.image(photo(3000, i)))))
      expect(sent.map((s) => [s.status, s.answer])).toEqual(Array.from({ length: 10 }, () => [200, '']))
      expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual(Array.from({ length: 10 }, () => t.items.soon))
      expect(await t.toldTo('chenjing')).toEqual([`已收到照片 10 张，附在 #${t.items.soon}（便民服务大厅办事群众反映多头跑）作为整改佐证。`])
    })

    it('asks once about a burst of 10 photos with no item named', async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => t.rig.media('lina', t.image(photo(3000, i)))))
      const told = await t.toldTo('lina')
      expect(told).toHaveLength(1)
      expect(told[0]).toMatch(/^收到照片 10 张。是哪项的整改佐证？/)
      expect(await t.ds.getRepository(PersonQuestionSchema).countBy({ personId: await personId('lina') })).toBe(1)
      expect((await t.evidence()).filter((e) => e.ledgerItemId === null)).toHaveLength(10)
    })

    it('loses no photo when 「佐证 N」 arrives in the middle of a burst: each is attached, or waits with the question open', async () => {
      await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => t.rig.media('chenjing', t.image(photo(3000, i)))),
        t.rig.say('chenjing', `佐证 ${t.items.soon}`),
        ...Array.from({ length: 5 }, (_, i) => t.rig.media('chenjing', t.image(photo(3000, 50 + i)))),
      ])
      const rows = await t.evidence()
      expect(rows).toHaveLength(10)
      const waiting = rows.filter((e) => e.ledgerItemId === null).length
      expect(rows.filter((e) => e.ledgerItemId === t.items.soon).length + waiting).toBe(10)
      const question = await t.ds.getRepository(PersonQuestionSchema).findOneBy({ personId: await personId('chenjing') })
      expect(question?.kind === 'evidence_item').toBe(waiting > 0)
    })

    it('keeps two people’s bursts at the same moment apart, each acknowledged with its own count', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.say('zhaolei', `佐证 ${t.items.overdue}`)
      await Promise.all(Array.from({ length: 12 }, (_, i) => t.rig.media(i % 2 === 0 ? 'chenjing' : 'zhaolei', t.image(photo(3000, i)))))
      const rows = await t.evidence()
      expect(rows.filter((e) => e.ledgerItemId === t.items.soon)).toHaveLength(6)
      expect(rows.filter((e) => e.ledgerItemId === t.items.overdue)).toHaveLength(6)
      expect(await t.toldTo('chenjing')).toEqual([expect.stringMatching(new RegExp(`^已收到照片 6 张，附在 #${t.items.soon}`))])
      expect(await t.toldTo('zhaolei')).toEqual([expect.stringMatching(new RegExp(`^已收到照片 6 张，附在 #${t.items.overdue}`))])
    })

    it('leaves no photo waiting without an open question when 「取消」 races a burst (the question is asked again or the photo dropped)', async () => {
      for (let round = 0; round < 5; round += 1) {
        await t.rig.media('zhaolei', t.image(photo(3000, 100 + round)))
        // Nine more photos and 取消 at the same moment, as a hurried person sends them.
        await Promise.all([...Array.from({ length: 9 }, (_, i) => t.rig.media('zhaolei', t.image(photo(3000, 10 * round + i)))), t.rig.say('zhaolei', '取消')])
        const waiting = (await t.evidence()).filter((e) => e.ledgerItemId === null).length
        const question = await t.ds.getRepository(PersonQuestionSchema).findOneBy({ personId: await personId('zhaolei') })
        // Whatever waits is asked about by an open question; otherwise it is gone.
        expect({ round, waiting: waiting > 0, asked: question?.kind === 'evidence_item' }).toEqual({ round, waiting: waiting > 0, asked: waiting > 0 })
        // Next round from a clean state: the question's messages went, nothing waits.
        await t.ds.getRepository(OutboxMessageSchema).update({ subjectKind: 'evidence' }, { status: 'sent' })
        await t.ds.getRepository(EvidenceSchema).delete({ ledgerItemId: IsNull() })
        await t.ds.getRepository(PersonQuestionSchema).delete({ personId: await personId('zhaolei') })
        t.later(60_000)
      }
    })


    it('fetches every row once when two instances download the same due rows at the same moment', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      const ids: string[] = []
      for (let i = 0; i < 6; i += 1) {
        const fields = t.image(photo(20_000, 200 + i))
        ids.push(fields.mediaId)
        await t.rig.media('chenjing', fields)
      }
      const second = await createDataSource(t.db.target)
      await second.initialize()
      try {
        const rounds = await Promise.all([t.download({}, t.ds), t.download({}, second), t.download({}, t.ds), t.download({}, second)])
        expect(rounds.reduce((n, r) => n + r.stored, 0)).toBe(6)
      } finally {
        await second.destroy()
      }
      expect(t.fake.mediaRequests.filter((r) => ids.includes(r.mediaId)).map((r) => r.mediaId).sort()).toEqual([...ids].sort())
      expect((await t.evidence()).map((e) => [e.status, e.attempts])).toEqual(Array.from({ length: 6 }, () => ['stored', 1]))
      expect(await t.ds.getRepository(StoredFileSchema).count()).toBe(6)
    })

    it('keeps the question open for garbage, a huge answer, another unit’s item and a closed item; nothing attached', async () => {
      await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.overdue }, { status: 'closed', progress: 100, closedAt: t.clock.now })
      await t.rig.media('lina', t.image(photo()))
      for (const answer of ['好的', '这是第一项的照片', 'x'.repeat(4000), String(t.items.other), String(t.items.overdue), `${t.items.soon} ${t.items.soon}`]) {
        const said = await t.rig.say('lina', answer)
        expect(said.answer, answer.slice(0, 20)).toContain('请重新回复，或发送「取消」放弃。')
        // Never the whole of a long answer quoted back.
        expect(said.answer.length).toBeLessThan(300)
        expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([null])
      }
      expect((await t.rig.say('lina', `第${t.items.soon}项`)).answer).toContain(`已将照片 1 张附在 #${t.items.soon}`)
      // After the answer no question is open: a number is no longer taken as one.
      expect(await t.ds.getRepository(PersonQuestionSchema).countBy({ personId: await personId('lina') })).toBe(0)
    })

    it('answers 取消 then a number without attaching anything', async () => {
      await t.rig.media('lina', t.image(photo()))
      expect((await t.rig.say('lina', '取消')).answer).toBe('已取消，刚发送的照片等未保存。')
      await t.rig.say('lina', String(t.items.soon))
      expect(await t.evidence()).toEqual([])
    })

    it('stops attaching once the person no longer answers for the item, and attaches again after it is sent back', async () => {
      // 赵磊 answers for #overdue only (staff: as its responsible person).
      await t.rig.say('zhaolei', `佐证 ${t.items.overdue}`)
      await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.overdue }, { responsiblePersonId: await personId('chenjing') })
      const refused = await t.rig.media('zhaolei', t.image(photo(3000, 1)))
      expect(refused.answer).toContain('所以没有保存')
      expect(await t.evidence()).toEqual([])
      // #soon reported done, then sent back: its window still attaches.
      await t.rig.say('chenjing', `完成 ${t.items.soon} 已实行一窗通办`)
      expect((await t.rig.say('wangjian', `退回 ${t.items.soon} 材料不全`)).answer).toContain('退回')
      await t.rig.media('chenjing', t.image(photo(3000, 2)))
      expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([t.items.soon])
    })

    it('stores a file of exactly the limit and refuses one byte more, with or without ranges', { timeout: 60_000 }, async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      const limit = 1 * MB
      const add = (size: number, ignoresRange: boolean) =>
        t.rig.media('chenjing', { type: 'video', mediaId: t.fake.addMedia({ contentType: 'video/mp4', filename: 'v.mp4', data: Buffer.alloc(size, 5 + size % 7), ignoresRange }), thumbMediaId: '' })
      await add(limit, false)
      await add(limit + 1, false)
      await add(limit, true)
      await add(limit + 1, true)
      expect(await t.download({ maxBytes: limit })).toEqual({ stored: 2, retried: 0, refused: 2 })
      expect((await t.evidence()).map((e) => [e.status, e.byteSize])).toEqual([
        ['stored', limit],
        ['too_large', null],
        ['stored', limit],
        ['too_large', null],
      ])
      // The default limit (20 MB) exactly: kept whole through two ranges.
      const big = Buffer.alloc(20 * MB, 3)
      big[big.length - 1] = 9
      await t.rig.media('chenjing', { type: 'video', mediaId: t.fake.addMedia({ contentType: 'video/mp4', filename: 'big.mp4', data: big }), thumbMediaId: '' })
      await t.rig.media('chenjing', { type: 'video', mediaId: t.fake.addMedia({ contentType: 'video/mp4', filename: 'big1.mp4', data: Buffer.alloc(20 * MB + 1, 4) }), thumbMediaId: '' })
      expect(await t.download()).toEqual({ stored: 1, retried: 0, refused: 1 })
    })

    it('retries a JSON error answered with HTTP 200 and a body cut short, storing nothing half-read', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      const data = photo(300_000, 4)
      await t.rig.media('chenjing', t.image(data))
      t.fake.inject({ kind: 'errcode', errcode: -1, errmsg: 'system busy' }, 1, 'media/get')
      expect(await t.download()).toEqual({ stored: 0, retried: 1, refused: 0 })
      t.later(31_000)
      t.fake.inject({ kind: 'deliver-then-drop' }, 1, 'media/get')
      expect(await t.download()).toEqual({ stored: 0, retried: 1, refused: 0 })
      expect(await t.ds.getRepository(StoredFileSchema).count()).toBe(0)
      t.later(2 * 60_000 + 1000)
      expect(await t.download()).toEqual({ stored: 1, retried: 0, refused: 0 })
      const [row] = await t.evidence()
      expect([row!.status, row!.byteSize, row!.attempts]).toEqual(['stored', data.length, 3])
    })

    it('prunes only closed t.items past their days: open, rectified and recently closed t.items and files still shared are kept', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      const shared = photo(10_000, 1)
      await t.rig.media('chenjing', t.image(shared))
      await t.rig.say('zhaolei', `佐证 ${t.items.overdue}`)
      await t.rig.media('zhaolei', t.image(shared))
      await t.rig.media('zhaolei', t.image(photo(10_000, 2)))
      await t.rig.media('zhaolei', { type: 'location', latitude: '30.1', longitude: '114.2', scale: '15', label: '招商服务中心' })
      // Waiting media of 吴芳: one 8 days old, one 6 days old.
      await t.rig.media('wufang', t.image(photo(10_000, 3)))
      t.later(2 * 24 * 3600_000)
      await t.rig.media('wufang', t.image(photo(10_000, 4)))
      await t.download()
      t.later(6 * 24 * 3600_000)
      await t.ds.getRepository(CampaignSchema).update({ id: t.fixture.campaign.id }, { evidenceRetentionDays: 2 })
      // #overdue closed 3 days ago: its evidence goes; #soon stays open, its copy of the shared photo stays.
      await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.overdue }, { status: 'closed', progress: 100, closedAt: new Date(t.clock.now.getTime() - 3 * 24 * 3600_000) })
      const pruned = await pruneEvidence(t.ds, t.clock.now)
      expect(pruned).toEqual({ evidence: 4, files: 2 })
      const rows = await t.evidence()
      expect(rows.map((e) => [e.ledgerItemId, e.status])).toEqual([
        [t.items.soon, 'stored'],
        [null, 'stored'],
      ])
      expect(await t.ds.getRepository(StoredFileSchema).count()).toBe(2)
      // Closed only a day ago, or rectified: kept.
      await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.soon }, { status: 'closed', progress: 100, closedAt: new Date(t.clock.now.getTime() - 24 * 3600_000) })
      expect(await pruneEvidence(t.ds, t.clock.now)).toEqual({ evidence: 0, files: 0 })
      await t.ds.getRepository(LedgerItemSchema).update({ id: t.items.soon }, { status: 'rectified', closedAt: null })
      t.later(30 * 24 * 3600_000)
      expect((await pruneEvidence(t.ds, t.clock.now)).evidence).toBe(1)
      expect((await t.evidence()).map((e) => e.ledgerItemId)).toEqual([t.items.soon])
    })

    it.each([
      ['佐证 保留 0', 'bad_days'],
      ['佐证 保留 3651', 'bad_days'],
      ['佐证 保留 -1', 'bad_days'],
      ['佐证 保留 1.5', 'bad_days'],
      ['佐证 保留 99999999999999999999', 'bad_days'],
      ['佐证 保留', 'bad_days'],
      ['佐证 保留 长期 180', 'bad_days'],
      ['佐证 要求', 'bad_switch'],
      ['佐证 要求 是', 'bad_switch'],
      ['佐证 要求 开启 关闭', 'bad_switch'],
    ])('refuses 「%s」 and changes no rule', async (typed) => {
      const said = await t.rig.say('wangjian', typed)
      expect(said.answer).not.toContain('已设')
      expect(said.answer).not.toContain('已开启')
      const campaign = await t.ds.getRepository(CampaignSchema).findOneByOrFail({ id: t.fixture.campaign.id })
      expect([campaign.requireEvidence, campaign.evidenceRetentionDays]).toEqual([false, null])
    })

    it('takes 1 and 3650 days and 长期 from 组织部 only', async () => {
      expect((await t.rig.say('chenjing', '佐证 保留 1')).answer).toContain('只有组织部')
      expect((await t.rig.say('wangjian', '佐证 保留 3650')).answer).toContain('销号 3650 天后')
      expect((await t.rig.say('wangjian', '佐证 保留 0001')).answer).toContain('销号 1 天后')
      expect((await t.ds.getRepository(CampaignSchema).findOneByOrFail({ id: t.fixture.campaign.id })).evidenceRetentionDays).toBe(1)
      expect((await t.rig.say('wangjian', '佐证 保留 长期')).answer).toContain('长期保留')
      expect((await t.ds.getRepository(CampaignSchema).findOneByOrFail({ id: t.fixture.campaign.id })).evidenceRetentionDays).toBeNull()
    })

    it('serves a file only to whom the item is shown, only once stored, never as a page; tricks in the address are not found', async () => {
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
      await t.rig.media('chenjing', { type: 'image', mediaId: t.fake.addMedia({ contentType: 'image/svg+xml', filename: 'x.svg', data: svg }) })
      await t.rig.media('chenjing', { type: 'image', mediaId: t.fake.addMedia({ contentType: 'text/html', filename: 'x.html', data: Buffer.from('<html><script>alert(1)</script></html>') }) })
      await t.download()
      await t.rig.media('chenjing', t.image(photo()))
      // 陈静's photo with no window: waiting, attached to nothing.
      t.later(31 * 60_000)
      await t.rig.media('chenjing', t.image(photo(5000, 9)))
      const [svgRow, htmlRow, pending, waiting] = await t.evidence()
      expect([svgRow!.status, htmlRow!.status, pending!.status, waiting!.ledgerItemId]).toEqual(['stored', 'stored', 'pending', null])
      const dash = await consoleDashboard(t.ds, () => t.clock.now)
      try {
        const admin = await devSignIn(dash.base, 'wangjian')
        const file = (eid: number | string, item: number | string = t.items.soon) => `/dash/items/${item}/evidence/${eid}`
        for (const row of [svgRow!, htmlRow!]) {
          const got = await admin.go(file(row.id))
          expect(got.status).toBe(200)
          expect(got.headers.get('content-type')).toBe('application/octet-stream')
          expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="evidence-\d+\.[a-z0-9]+"; filename\*=UTF-8''/)
          expect(got.headers.get('x-content-type-options')).toBe('nosniff')
          expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox")
        }
        const sunli = await devSignIn(dash.base, 'sunli')
        expect((await sunli.go(file(svgRow!.id))).status).toBe(404)
        for (const path of [
          file(pending!.id),
          file(waiting!.id),
          file(svgRow!.id, t.items.other),
          file(`0${svgRow!.id}`),
          file(`${svgRow!.id}.0`),
          file(`${svgRow!.id}%2F..`),
          file(`-${svgRow!.id}`),
          file(`${svgRow!.id}%00`),
          file('2147483648'),
          file(svgRow!.id, `0${t.items.soon}`),
        ]) {
          expect((await admin.go(path)).status, path).toBe(404)
        }
      } finally {
        await dash.close()
      }
    })

    it('writes no place name and no file name of a person to the logs on the way in, down and back', { timeout: 30_000 }, async () => {
      await t.rig.close()
      const { lines, logger } = capturedLogger()
      t.rig = await startCallbackRig(t.ds, { clock: () => t.clock.now, logger })
      await t.rig.say('chenjing', `佐证 ${t.items.soon}`)
      await t.rig.media('chenjing', { type: 'location', latitude: '30.123456', longitude: '114.654321', scale: '15', label: '陈静家楼下菜市场' })
      await t.rig.media('chenjing', t.image(photo(), '陈静身份证正面.jpg'))
      t.fake.inject({ kind: 'errcode', errcode: -1, errmsg: 'system busy' }, 1, 'media/get')
      await t.download({ logger })
      t.later(31_000)
      await t.download({ logger })
      await t.rig.media('lina', t.image(photo(3000, 5), '李娜的照片.jpg'))
      await t.rig.say('lina', '取消')
      await t.rig.say('wangjian', `佐证 ${t.items.soon}`)
      expect((await t.evidence()).map((e) => e.status)).toEqual(['stored', 'stored'])
      const log = lines.join('\n')
      expect(lines.length).toBeGreaterThan(3)
      for (const secret of ['陈静家楼下菜市场', '陈静身份证正面', '李娜的照片']) expect(log).not.toContain(secret)
    })
  })
})

/** A fetcher whose answers wait until `count` fetches are in flight, then all come at once. */
function barrierFetcher(inner: MediaFetcher, count: number): MediaFetcher {
  let arrived = 0
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return async (mediaId, maxBytes) => {
    const result = await inner(mediaId, maxBytes)
    arrived += 1
    if (arrived >= count) open()
    await Promise.race([opened, new Promise((resolve) => setTimeout(resolve, 5000))])
    return result
  }
}

/**
 * The DataSource as downloadDueEvidence sees it, with its store held just before or just after
 * the write that marks a row stored (the stored file already looked up), until released: the
 * moment another transaction may run in between on another instance.
 */
function storeGate(ds: DataSource, when: 'before' | 'after') {
  let reached!: () => void
  let release!: () => void
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve))
  const released = new Promise<void>((resolve) => (release = resolve))
  const gatedManager = (manager: EntityManager) =>
    new Proxy(manager, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown
        if (property === 'update') {
          return async (schema: unknown, where: unknown, values: { status?: string }) => {
            const held = schema === EvidenceSchema && values?.status === 'stored'
            if (held && when === 'before') {
              reached()
              await released
            }
            const result = await target.update(schema as typeof EvidenceSchema, where as never, values as never)
            if (held && when === 'after') {
              reached()
              await released
            }
            return result
          }
        }
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
  const dataSource = new Proxy(ds, {
    get(target, property) {
      if (property === 'transaction') return (work: (m: EntityManager) => Promise<unknown>) => target.transaction((m) => work(gatedManager(m)))
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
  return { dataSource, reached: reachedPromise, release }
}
