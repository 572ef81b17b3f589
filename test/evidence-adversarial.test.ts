import { IsNull, type DataSource, type EntityManager } from 'typeorm'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDataSource } from '../src/db/create-data-source.js'
import { CampaignSchema, EvidenceSchema, LedgerItemSchema, OutboxMessageSchema, PersonQuestionSchema, PersonSchema, StoredFileSchema } from '../src/db/entities/index.js'
import { downloadDueEvidence, type MediaFetcher } from '../src/domain/evidence/download-evidence.js'
import { pruneEvidence } from '../src/domain/evidence/evidence-retention.js'
import { fetchRefusal, wecomFetcher } from '../src/domain/evidence/media-fetchers.js'
import { enqueue } from '../src/outbox/enqueue.js'
import { storeFile } from '../src/outbox/stored-files.js'
import { createLogger } from '../src/logger.js'
import { storedFile } from '../src/wecom/messages.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { fakeWeComWorker } from './helpers/cards.js'
import { consoleDashboard, devSignIn } from './helpers/dashboard.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { readerText } from './helpers/outbox-text.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

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
  let db: MigratedDatabase
  let ds: DataSource
  let fake: FakeWeCom
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let fixture: Awaited<ReturnType<typeof seedLedger>>
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
    fixture = await seedLedger(ds)
    items = fixture.items
    clock.now = new Date('2015-08-31T02:00:00Z')
    rig = await startCallbackRig(ds, { clock: () => clock.now })
  })
  afterEach(async () => {
    fake.clearFaults()
    await rig?.close()
    await db?.close()
  })

  const client = () => createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: SECRET, now: () => clock.now.getTime(), timeoutMs: 10_000 })
  const settings = (overrides: { fetch?: MediaFetcher; maxBytes?: number; logger?: ReturnType<typeof createLogger> } = {}) => ({
    fetch: overrides.fetch ?? wecomFetcher(client()),
    refusal: fetchRefusal,
    maxBytes: overrides.maxBytes ?? 20 * MB,
    logger: overrides.logger ?? createLogger('silent'),
  })
  const download = (overrides: Parameters<typeof settings>[0] = {}, on: DataSource = ds) => downloadDueEvidence(on, settings(overrides), clock.now)
  const later = (ms: number) => {
    clock.now = new Date(clock.now.getTime() + ms)
  }
  const evidence = () => ds.getRepository(EvidenceSchema).find({ order: { id: 'ASC' } })
  /** The evidence messages to a person still to be sent (pending in the outbox), as they would read them. */
  const pendingTo = async (userid: string) => {
    const rows = await ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'evidence', status: 'pending' }, order: { id: 'ASC' } })
    return rows.filter((row) => (JSON.parse(row.recipients) as { touser: string[] }).touser.includes(userid) && row.msgType === 'text').map((row) => readerText(row.payload))
  }
  const toldTo = async (userid: string) => {
    const rows = await ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'evidence' }, order: { id: 'ASC' } })
    return rows.filter((row) => (JSON.parse(row.recipients) as { touser: string[] }).touser.includes(userid) && row.msgType === 'text').map((row) => readerText(row.payload))
  }
  const image = (data: Buffer, filename = 'IMG_0001.jpg') => ({ type: 'image' as const, mediaId: fake.addMedia({ contentType: 'image/jpeg', filename, data, issuedAt: clock.now.getTime() }) })
  const personId = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id

  // ---------------------------------------------------------------------------------------------
  // Defects: each of these failed when it was written.
  // ---------------------------------------------------------------------------------------------

  describe('defects a review found (each failed before its fix)', () => {
    it('does not send the question "是哪项的整改佐证？" after 「佐证 N」 already attached the photos it asks about', async () => {
      // A burst with no window: the question waits 3 seconds in the outbox for more photos.
      await rig.media('chenjing', image(photo(4000, 1)))
      await rig.media('chenjing', image(photo(4000, 2)))
      expect((await pendingTo('chenjing')).join()).toContain(QUESTION)
      // Meanwhile she types which item (as the docs allow): everything waiting is attached.
      const said = await rig.say('chenjing', `佐证 ${items.soon}`)
      expect(said.answer).toContain(`已将照片 2 张附在 #${items.soon}`)
      expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([items.soon, items.soon])
      // The question about photos already attached must not follow her answer.
      expect(await pendingTo('chenjing')).not.toContainEqual(expect.stringContaining(QUESTION))
    })

    it('does not send the question after 「取消」 dropped the photos it asks about', async () => {
      await rig.media('zhaolei', image(photo(4000, 1)))
      const cancelled = await rig.say('zhaolei', '取消')
      expect(cancelled.answer).toBe('已取消，刚发送的照片等未保存。')
      expect(await evidence()).toEqual([])
      // "收到照片 1 张。是哪项的整改佐证？" three seconds after "已取消" asks about nothing.
      expect(await pendingTo('zhaolei')).toEqual([])
    })

    it('lets 「完成 N」 go through when the evidence rule is on and the photos were sent just before, unnamed', async () => {
      expect((await rig.say('wangjian', '佐证 要求 开启')).answer).toContain('已开启')
      // The photo first (no window: it waits with a question), then 完成 for the item.
      await rig.media('chenjing', image(photo()))
      const done = await rig.say('chenjing', `完成 ${items.soon} 已实行一窗通办`)
      // The docs: a typed 完成 N attaches what waited to N. The photo is attached (by the refusal's
      // afterwards), yet the 完成 it was sent for is refused for having no evidence.
      expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([items.soon])
      expect(done.answer).toContain('整改完成')
      expect((await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: items.soon })).status).toBe('rectified')
    })

    it('shows the photos 「完成 N」 attached on the verifier’s card it sends', async () => {
      await rig.media('chenjing', image(photo()))
      const done = await rig.say('chenjing', `完成 ${items.soon} 已实行一窗通办`)
      expect(done.answer).toContain('已将刚才发送的照片 1 张附为整改佐证。')
      // The card to 组织部 is built before the waiting photo is attached: it says 佐证：无.
      const verify = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ subjectKind: 'item', subjectId: items.soon, msgType: 'template_card' })
      expect(verify.payload).toContain('"keyname":"佐证","value":"照片 1')
    })

    it('stores or refuses a tiny (≤ 5 bytes) or empty media file instead of fetching it again every 2 minutes', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.media('chenjing', { type: 'voice', mediaId: fake.addMedia({ contentType: 'audio/amr', filename: 'v.amr', data: Buffer.from('#!AM') }), format: 'amr' })
      await rig.media('chenjing', { type: 'image', mediaId: fake.addMedia({ contentType: 'image/jpeg', filename: 'e.jpg', data: Buffer.alloc(0) }) })
      const first = await download()
      // storeFile refuses fewer than 6 bytes; keep() fails; the row is "retried" by the 2-minute
      // lease, forever (a successful fetch never reaches the 3-day expiry check).
      const fetches = () => fake.mediaRequests.length
      const before = fetches()
      for (let round = 0; round < 5; round += 1) {
        later(2 * 60_000 + 1000)
        await download()
      }
      // Stored (or refused, and the sender told): either way final, and not fetched again.
      expect({ first, pending: (await evidence()).filter((e) => e.status === 'pending').length, refetched: fetches() - before }).toEqual({ first: expect.objectContaining({ retried: 0 }), pending: 0, refetched: 0 })
    })

    it('never writes the name of a person’s file to the log (a tiny file’s failure quotes it)', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.media('chenjing', { type: 'voice', mediaId: fake.addMedia({ contentType: 'audio/amr', filename: '陈静家门口录音.amr', data: Buffer.from('#!AM') }), format: 'amr' })
      const { lines, logger } = capturedLogger()
      await download({ logger })
      expect(lines.join('\n')).not.toContain('陈静家门口录音')
    })

    it('keeps a stored file that a message still waiting in the outbox sends (a photo sent back by 佐证 N 查看)', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.media('chenjing', image(photo(20_000, 3)))
      await download()
      const [row] = await evidence()
      expect(row!.status).toBe('stored')
      // The item is closed; retention is one day.
      await ds.getRepository(LedgerItemSchema).update({ id: items.soon }, { status: 'closed', progress: 100, closedAt: new Date(clock.now.getTime() - 3 * 24 * 3600_000) })
      await ds.getRepository(CampaignSchema).update({ id: fixture.campaign.id }, { evidenceRetentionDays: 1 })
      // A verifier asks for it at 03:16; WeCom is slow, the photo is still waiting in the outbox at 03:17.
      const shown = await rig.say('wangjian', `佐证 ${items.soon} 查看`)
      expect(shown.answer).toContain('随后发送照片 1 张')
      const waiting = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ msgType: 'image', status: 'pending' })
      const fileId = (JSON.parse(waiting.payload) as { image: { stored_file_id: number } }).image.stored_file_id
      await pruneEvidence(ds, clock.now)
      // docs/evidence.md: "never a file anything else uses".
      expect(await ds.getRepository(StoredFileSchema).countBy({ id: fileId })).toBe(1)
    })

    it('keeps the monthly workbook’s file when a photo with the same bytes is pruned', async () => {
      // A file the outbox sends (as the monthly workbook is), and evidence whose bytes are the same.
      const bytes = photo(30_000, 9)
      const workbook = await ds.transaction((m) => storeFile(m, { filename: '2015年8月专项治理月报.xlsx', content: bytes }))
      await enqueue(ds.manager, { dedupeKey: 'workbook:2015-08', subject: { kind: 'item', id: 0 }, to: { users: ['wangjian'] }, message: storedFile(workbook, '2015年8月专项治理月报.xlsx') }, clock.now)
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.media('chenjing', image(bytes))
      await download()
      await ds.getRepository(LedgerItemSchema).update({ id: items.soon }, { status: 'closed', progress: 100, closedAt: new Date(clock.now.getTime() - 3 * 24 * 3600_000) })
      await ds.getRepository(CampaignSchema).update({ id: fixture.campaign.id }, { evidenceRetentionDays: 1 })
      await pruneEvidence(ds, clock.now)
      expect(await ds.getRepository(StoredFileSchema).countBy({ id: workbook })).toBe(1)
    })

    it('stores the same photo once when two people’s copies are downloaded at the same moment', async () => {
      const same = photo(50_000, 7)
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.say('zhaolei', `佐证 ${items.overdue}`)
      await rig.media('chenjing', image(same, 'a.jpg'))
      await rig.media('zhaolei', image(same, 'b.jpg'))
      // Both fetches finish together: the two stores then run at once (one round's rows are
      // downloaded side by side; two instances do the same).
      const round = await download({ fetch: barrierFetcher(wecomFetcher(client()), 2) })
      expect(round).toEqual({ stored: 2, retried: 0, refused: 0 })
      const rows = await evidence()
      expect(rows.map((e) => e.status)).toEqual(['stored', 'stored'])
      expect(await ds.getRepository(StoredFileSchema).count()).toBe(1)
    })

    it.each(['before', 'after'] as const)('never deletes the file of a photo being stored (held %s it points at the file) while retention prunes an older row with the same bytes', async (when) => {
      const same = photo(40_000, 11)
      // #overdue's photo, kept; the item closed 3 days ago with retention of one day.
      await rig.say('zhaolei', `佐证 ${items.overdue}`)
      await rig.media('zhaolei', image(same))
      await download()
      const [old] = await evidence()
      expect(old!.status).toBe('stored')
      await ds.getRepository(LedgerItemSchema).update({ id: items.overdue }, { status: 'closed', progress: 100, closedAt: new Date(clock.now.getTime() - 3 * 24 * 3600_000) })
      await ds.getRepository(CampaignSchema).update({ id: fixture.campaign.id }, { evidenceRetentionDays: 1 })
      // The same photo sent again, for an open item; its store is held just before (or just after) it
      // points the row at the file it found.
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.media('chenjing', image(same))
      const gate = storeGate(ds, when)
      const storing = downloadDueEvidence(gate.dataSource, settings(), clock.now)
      await gate.reached
      // 03:17: retention runs while the store is between finding the file and pointing at it.
      const pruning = pruneEvidence(ds, clock.now)
      await new Promise((resolve) => setTimeout(resolve, 300))
      gate.release()
      await Promise.all([storing, pruning])
      // A store that failed because the file went meanwhile is tried again after its lease: fine.
      later(2 * 60_000 + 1000)
      await download()
      const kept = await ds.getRepository(EvidenceSchema).findOneByOrFail({ ledgerItemId: items.soon })
      expect(kept.status).toBe('stored')
      // The new row still has its file.
      expect(kept.storedFileId).not.toBeNull()
      expect(await ds.getRepository(StoredFileSchema).countBy({ id: kept.storedFileId ?? -1 })).toBe(1)
    })

    it('answers an evidence question that expired without pointing to a card that was never sent', async () => {
      await rig.media('chenjing', image(photo()))
      later(11 * 60_000)
      const late = await rig.say('chenjing', String(items.soon))
      expect(late.answer).toContain('已超过 10 分钟失效')
      // The question came from photos, not from a card's button.
      expect(late.answer).not.toContain('卡片')
    })

    it.each([
      ['佐证 保留', (_id: number) => `佐证 保留 x${'😀'.repeat(5)}`, 'wangjian'],
      ['佐证 N 查看', (id: number) => `佐证 ${id} x${'😀'.repeat(10)}`, 'chenjing'],
    ])('quotes what was typed after 「%s」 without cutting an emoji in half', async (_what, typed, userid) => {
      const said = await rig.say(userid, typed(items.soon))
      expect(said.answer).toMatch(/「x😀/)
      // A lone half of a surrogate pair reaches the person as "�".
      expect(said.answer).not.toContain('\uFFFD')
      expect(said.answer).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/)
    })

    it('keeps a location’s coordinates as WeCom wrote them (decimal text, not a double’s rounding)', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.media('chenjing', { type: 'location', latitude: '30.120000', longitude: '114.65432109876543210987', scale: '15', label: '便民服务大厅' })
      const [place] = await evidence()
      expect([place!.latitude, place!.longitude]).toEqual(['30.120000', '114.65432109876543210987'])
    })

    it('sends a voice note back under its evidence name, not the name the sender’s file had in WeCom', { timeout: 30_000 }, async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.media('chenjing', { type: 'voice', mediaId: fake.addMedia({ contentType: 'audio/amr', filename: '陈静给老公的语音.amr', data: Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(4000, 0x3c)]) }), format: 'amr' })
      await download()
      const shown = await rig.say('wangjian', `佐证 ${items.soon}`)
      expect(shown.answer).toContain('随后发送语音 1 条')
      const queued = await ds.getRepository(OutboxMessageSchema).findOneByOrFail({ msgType: 'file' })
      expect(JSON.parse(queued.payload).file.filename).toMatch(/^佐证-语音-\d{8}-\d{4}\.amr$/)
      const worker = fakeWeComWorker(ds, fake, clock)
      const uploads = fake.uploads.length
      worker.start()
      for (let i = 0; i < 100 && fake.uploads.length === uploads; i += 1) await new Promise((r) => setTimeout(r, 50))
      await worker.stop()
      // WeCom shows the uploaded file's name: the one the outbox row gives.
      expect(fake.uploads.slice(uploads).map((u) => u.filename)).toEqual([JSON.parse(queued.payload).file.filename])
    })
  })

  // ---------------------------------------------------------------------------------------------
  // Attacks that held: these passed when they were written.
  // ---------------------------------------------------------------------------------------------

  describe('attacks that held', () => {
    it('counts a burst of 10 photos sent at once into one acknowledgement, all attached', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      const sent = await Promise.all(Array.from({ length: 10 }, (_, i) => rig.media('chenjing', image(photo(3000, i)))))
      expect(sent.map((s) => [s.status, s.answer])).toEqual(Array.from({ length: 10 }, () => [200, '']))
      expect((await evidence()).map((e) => e.ledgerItemId)).toEqual(Array.from({ length: 10 }, () => items.soon))
      expect(await toldTo('chenjing')).toEqual([`已收到照片 10 张，附在 #${items.soon}（便民服务大厅办事群众反映多头跑）作为整改佐证。`])
    })

    it('asks once about a burst of 10 photos with no item named', async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => rig.media('lina', image(photo(3000, i)))))
      const told = await toldTo('lina')
      expect(told).toHaveLength(1)
      expect(told[0]).toMatch(/^收到照片 10 张。是哪项的整改佐证？/)
      expect(await ds.getRepository(PersonQuestionSchema).countBy({ personId: await personId('lina') })).toBe(1)
      expect((await evidence()).filter((e) => e.ledgerItemId === null)).toHaveLength(10)
    })

    it('loses no photo when 「佐证 N」 arrives in the middle of a burst: each is attached, or waits with the question open', async () => {
      await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => rig.media('chenjing', image(photo(3000, i)))),
        rig.say('chenjing', `佐证 ${items.soon}`),
        ...Array.from({ length: 5 }, (_, i) => rig.media('chenjing', image(photo(3000, 50 + i)))),
      ])
      const rows = await evidence()
      expect(rows).toHaveLength(10)
      const waiting = rows.filter((e) => e.ledgerItemId === null).length
      expect(rows.filter((e) => e.ledgerItemId === items.soon).length + waiting).toBe(10)
      const question = await ds.getRepository(PersonQuestionSchema).findOneBy({ personId: await personId('chenjing') })
      expect(question?.kind === 'evidence_item').toBe(waiting > 0)
    })

    it('keeps two people’s bursts at the same moment apart, each acknowledged with its own count', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.say('zhaolei', `佐证 ${items.overdue}`)
      await Promise.all(Array.from({ length: 12 }, (_, i) => rig.media(i % 2 === 0 ? 'chenjing' : 'zhaolei', image(photo(3000, i)))))
      const rows = await evidence()
      expect(rows.filter((e) => e.ledgerItemId === items.soon)).toHaveLength(6)
      expect(rows.filter((e) => e.ledgerItemId === items.overdue)).toHaveLength(6)
      expect(await toldTo('chenjing')).toEqual([expect.stringMatching(new RegExp(`^已收到照片 6 张，附在 #${items.soon}`))])
      expect(await toldTo('zhaolei')).toEqual([expect.stringMatching(new RegExp(`^已收到照片 6 张，附在 #${items.overdue}`))])
    })

    it('leaves no photo waiting without an open question when 「取消」 races a burst (the question is asked again or the photo dropped)', async () => {
      for (let round = 0; round < 5; round += 1) {
        await rig.media('zhaolei', image(photo(3000, 100 + round)))
        // Nine more photos and 取消 at the same moment, as a hurried person sends them.
        await Promise.all([...Array.from({ length: 9 }, (_, i) => rig.media('zhaolei', image(photo(3000, 10 * round + i)))), rig.say('zhaolei', '取消')])
        const waiting = (await evidence()).filter((e) => e.ledgerItemId === null).length
        const question = await ds.getRepository(PersonQuestionSchema).findOneBy({ personId: await personId('zhaolei') })
        // Whatever waits is asked about by an open question; otherwise it is gone.
        expect({ round, waiting: waiting > 0, asked: question?.kind === 'evidence_item' }).toEqual({ round, waiting: waiting > 0, asked: waiting > 0 })
        // Next round from a clean state: the question's messages went, nothing waits.
        await ds.getRepository(OutboxMessageSchema).update({ subjectKind: 'evidence' }, { status: 'sent' })
        await ds.getRepository(EvidenceSchema).delete({ ledgerItemId: IsNull() })
        await ds.getRepository(PersonQuestionSchema).delete({ personId: await personId('zhaolei') })
        later(60_000)
      }
    })


    it('fetches every row once when two instances download the same due rows at the same moment', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      const ids: string[] = []
      for (let i = 0; i < 6; i += 1) {
        const fields = image(photo(20_000, 200 + i))
        ids.push(fields.mediaId)
        await rig.media('chenjing', fields)
      }
      const second = await createDataSource(db.target)
      await second.initialize()
      try {
        const rounds = await Promise.all([download({}, ds), download({}, second), download({}, ds), download({}, second)])
        expect(rounds.reduce((n, r) => n + r.stored, 0)).toBe(6)
      } finally {
        await second.destroy()
      }
      expect(fake.mediaRequests.filter((r) => ids.includes(r.mediaId)).map((r) => r.mediaId).sort()).toEqual([...ids].sort())
      expect((await evidence()).map((e) => [e.status, e.attempts])).toEqual(Array.from({ length: 6 }, () => ['stored', 1]))
      expect(await ds.getRepository(StoredFileSchema).count()).toBe(6)
    })

    it('keeps the question open for garbage, a huge answer, another unit’s item and a closed item; nothing attached', async () => {
      await ds.getRepository(LedgerItemSchema).update({ id: items.overdue }, { status: 'closed', progress: 100, closedAt: clock.now })
      await rig.media('lina', image(photo()))
      for (const answer of ['好的', '这是第一项的照片', 'x'.repeat(4000), String(items.other), String(items.overdue), `${items.soon} ${items.soon}`]) {
        const said = await rig.say('lina', answer)
        expect(said.answer, answer.slice(0, 20)).toContain('请重新回复，或发送「取消」放弃。')
        // Never the whole of a long answer quoted back.
        expect(said.answer.length).toBeLessThan(300)
        expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([null])
      }
      expect((await rig.say('lina', `第${items.soon}项`)).answer).toContain(`已将照片 1 张附在 #${items.soon}`)
      // After the answer no question is open: a number is no longer taken as one.
      expect(await ds.getRepository(PersonQuestionSchema).countBy({ personId: await personId('lina') })).toBe(0)
    })

    it('answers 取消 then a number without attaching anything', async () => {
      await rig.media('lina', image(photo()))
      expect((await rig.say('lina', '取消')).answer).toBe('已取消，刚发送的照片等未保存。')
      await rig.say('lina', String(items.soon))
      expect(await evidence()).toEqual([])
    })

    it('stops attaching once the person no longer answers for the item, and attaches again after it is sent back', async () => {
      // 赵磊 answers for #overdue only (staff: as its responsible person).
      await rig.say('zhaolei', `佐证 ${items.overdue}`)
      await ds.getRepository(LedgerItemSchema).update({ id: items.overdue }, { responsiblePersonId: await personId('chenjing') })
      const refused = await rig.media('zhaolei', image(photo(3000, 1)))
      expect(refused.answer).toContain('所以没有保存')
      expect(await evidence()).toEqual([])
      // #soon reported done, then sent back: its window still attaches.
      await rig.say('chenjing', `完成 ${items.soon} 已实行一窗通办`)
      expect((await rig.say('wangjian', `退回 ${items.soon} 材料不全`)).answer).toContain('退回')
      await rig.media('chenjing', image(photo(3000, 2)))
      expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([items.soon])
    })

    it('stores a file of exactly the limit and refuses one byte more, with or without ranges', { timeout: 60_000 }, async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      const limit = 1 * MB
      const add = (size: number, ignoresRange: boolean) =>
        rig.media('chenjing', { type: 'video', mediaId: fake.addMedia({ contentType: 'video/mp4', filename: 'v.mp4', data: Buffer.alloc(size, 5 + size % 7), ignoresRange }), thumbMediaId: '' })
      await add(limit, false)
      await add(limit + 1, false)
      await add(limit, true)
      await add(limit + 1, true)
      expect(await download({ maxBytes: limit })).toEqual({ stored: 2, retried: 0, refused: 2 })
      expect((await evidence()).map((e) => [e.status, e.byteSize])).toEqual([
        ['stored', limit],
        ['too_large', null],
        ['stored', limit],
        ['too_large', null],
      ])
      // The default limit (20 MB) exactly: kept whole through two ranges.
      const big = Buffer.alloc(20 * MB, 3)
      big[big.length - 1] = 9
      await rig.media('chenjing', { type: 'video', mediaId: fake.addMedia({ contentType: 'video/mp4', filename: 'big.mp4', data: big }), thumbMediaId: '' })
      await rig.media('chenjing', { type: 'video', mediaId: fake.addMedia({ contentType: 'video/mp4', filename: 'big1.mp4', data: Buffer.alloc(20 * MB + 1, 4) }), thumbMediaId: '' })
      expect(await download()).toEqual({ stored: 1, retried: 0, refused: 1 })
    })

    it('retries a JSON error answered with HTTP 200 and a body cut short, storing nothing half-read', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      const data = photo(300_000, 4)
      await rig.media('chenjing', image(data))
      fake.inject({ kind: 'errcode', errcode: -1, errmsg: 'system busy' }, 1, 'media/get')
      expect(await download()).toEqual({ stored: 0, retried: 1, refused: 0 })
      later(31_000)
      fake.inject({ kind: 'deliver-then-drop' }, 1, 'media/get')
      expect(await download()).toEqual({ stored: 0, retried: 1, refused: 0 })
      expect(await ds.getRepository(StoredFileSchema).count()).toBe(0)
      later(2 * 60_000 + 1000)
      expect(await download()).toEqual({ stored: 1, retried: 0, refused: 0 })
      const [row] = await evidence()
      expect([row!.status, row!.byteSize, row!.attempts]).toEqual(['stored', data.length, 3])
    })

    it('prunes only closed items past their days: open, rectified and recently closed items and files still shared are kept', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      const shared = photo(10_000, 1)
      await rig.media('chenjing', image(shared))
      await rig.say('zhaolei', `佐证 ${items.overdue}`)
      await rig.media('zhaolei', image(shared))
      await rig.media('zhaolei', image(photo(10_000, 2)))
      await rig.media('zhaolei', { type: 'location', latitude: '30.1', longitude: '114.2', scale: '15', label: '招商服务中心' })
      // Waiting media of 吴芳: one 8 days old, one 6 days old.
      await rig.media('wufang', image(photo(10_000, 3)))
      later(2 * 24 * 3600_000)
      await rig.media('wufang', image(photo(10_000, 4)))
      await download()
      later(6 * 24 * 3600_000)
      await ds.getRepository(CampaignSchema).update({ id: fixture.campaign.id }, { evidenceRetentionDays: 2 })
      // #overdue closed 3 days ago: its evidence goes; #soon stays open, its copy of the shared photo stays.
      await ds.getRepository(LedgerItemSchema).update({ id: items.overdue }, { status: 'closed', progress: 100, closedAt: new Date(clock.now.getTime() - 3 * 24 * 3600_000) })
      const pruned = await pruneEvidence(ds, clock.now)
      expect(pruned).toEqual({ evidence: 4, files: 2 })
      const rows = await evidence()
      expect(rows.map((e) => [e.ledgerItemId, e.status])).toEqual([
        [items.soon, 'stored'],
        [null, 'stored'],
      ])
      expect(await ds.getRepository(StoredFileSchema).count()).toBe(2)
      // Closed only a day ago, or rectified: kept.
      await ds.getRepository(LedgerItemSchema).update({ id: items.soon }, { status: 'closed', progress: 100, closedAt: new Date(clock.now.getTime() - 24 * 3600_000) })
      expect(await pruneEvidence(ds, clock.now)).toEqual({ evidence: 0, files: 0 })
      await ds.getRepository(LedgerItemSchema).update({ id: items.soon }, { status: 'rectified', closedAt: null })
      later(30 * 24 * 3600_000)
      expect((await pruneEvidence(ds, clock.now)).evidence).toBe(1)
      expect((await evidence()).map((e) => e.ledgerItemId)).toEqual([items.soon])
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
      const said = await rig.say('wangjian', typed)
      expect(said.answer).not.toContain('已设')
      expect(said.answer).not.toContain('已开启')
      const campaign = await ds.getRepository(CampaignSchema).findOneByOrFail({ id: fixture.campaign.id })
      expect([campaign.requireEvidence, campaign.evidenceRetentionDays]).toEqual([false, null])
    })

    it('takes 1 and 3650 days and 长期 from 组织部 only', async () => {
      expect((await rig.say('chenjing', '佐证 保留 1')).answer).toContain('只有组织部')
      expect((await rig.say('wangjian', '佐证 保留 3650')).answer).toContain('销号 3650 天后')
      expect((await rig.say('wangjian', '佐证 保留 0001')).answer).toContain('销号 1 天后')
      expect((await ds.getRepository(CampaignSchema).findOneByOrFail({ id: fixture.campaign.id })).evidenceRetentionDays).toBe(1)
      expect((await rig.say('wangjian', '佐证 保留 长期')).answer).toContain('长期保留')
      expect((await ds.getRepository(CampaignSchema).findOneByOrFail({ id: fixture.campaign.id })).evidenceRetentionDays).toBeNull()
    })

    it('serves a file only to whom the item is shown, only once stored, never as a page; tricks in the address are not found', async () => {
      await rig.say('chenjing', `佐证 ${items.soon}`)
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
      await rig.media('chenjing', { type: 'image', mediaId: fake.addMedia({ contentType: 'image/svg+xml', filename: 'x.svg', data: svg }) })
      await rig.media('chenjing', { type: 'image', mediaId: fake.addMedia({ contentType: 'text/html', filename: 'x.html', data: Buffer.from('<html><script>alert(1)</script></html>') }) })
      await download()
      await rig.media('chenjing', image(photo()))
      // 陈静's photo with no window: waiting, attached to nothing.
      later(31 * 60_000)
      await rig.media('chenjing', image(photo(5000, 9)))
      const [svgRow, htmlRow, pending, waiting] = await evidence()
      expect([svgRow!.status, htmlRow!.status, pending!.status, waiting!.ledgerItemId]).toEqual(['stored', 'stored', 'pending', null])
      const dash = await consoleDashboard(ds, () => clock.now)
      try {
        const admin = await devSignIn(dash.base, 'wangjian')
        const file = (eid: number | string, item: number | string = items.soon) => `/dash/items/${item}/evidence/${eid}`
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
          file(svgRow!.id, items.other),
          file(`0${svgRow!.id}`),
          file(`${svgRow!.id}.0`),
          file(`${svgRow!.id}%2F..`),
          file(`-${svgRow!.id}`),
          file(`${svgRow!.id}%00`),
          file('2147483648'),
          file(svgRow!.id, `0${items.soon}`),
        ]) {
          expect((await admin.go(path)).status, path).toBe(404)
        }
      } finally {
        await dash.close()
      }
    })

    it('writes no place name and no file name of a person to the logs on the way in, down and back', { timeout: 30_000 }, async () => {
      await rig.close()
      const { lines, logger } = capturedLogger()
      rig = await startCallbackRig(ds, { clock: () => clock.now, logger })
      await rig.say('chenjing', `佐证 ${items.soon}`)
      await rig.media('chenjing', { type: 'location', latitude: '30.123456', longitude: '114.654321', scale: '15', label: '陈静家楼下菜市场' })
      await rig.media('chenjing', image(photo(), '陈静身份证正面.jpg'))
      fake.inject({ kind: 'errcode', errcode: -1, errmsg: 'system busy' }, 1, 'media/get')
      await download({ logger })
      later(31_000)
      await download({ logger })
      await rig.media('lina', image(photo(3000, 5), '李娜的照片.jpg'))
      await rig.say('lina', '取消')
      await rig.say('wangjian', `佐证 ${items.soon}`)
      expect((await evidence()).map((e) => e.status)).toEqual(['stored', 'stored'])
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
