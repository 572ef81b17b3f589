import type { DataSource } from 'typeorm'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { EvidenceSchema, OutboxMessageSchema, type Evidence } from '../../src/db/entities/index.js'
import { downloadDueEvidence, type DownloadRound, type DownloadSettings, type MediaFetcher } from '../../src/domain/evidence/download-evidence.js'
import { fetchRefusal, wecomFetcher } from '../../src/domain/evidence/media-fetchers.js'
import { createLogger, type Logger } from '../../src/logger.js'
import { createWeComClient, type WeComClient } from '../../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from '../fakes/fake-wecom-server.js'
import { startCallbackRig } from './callback-rig.js'
import { seedLedger } from './ledger-fixture.js'
import { readerText } from './outbox-text.js'
import { createMigratedDatabase, type MigratedDatabase } from './test-database.js'

const MB = 1024 * 1024
const SECRET = 'fake-secret'
const START = '2015-08-31T02:00:00Z'

/**
 * What the evidence tests share (docs/evidence.md): a fresh database with the ledger fixture and
 * the real callback for each test, the fake WeCom server for media/get, a clock the test moves,
 * and the download job run by hand. Registers its hooks in the calling describe.
 */
/** What a test may change about one round of the download job. */
export interface DownloadOverrides {
  fetch?: MediaFetcher
  maxBytes?: number
  logger?: Logger
}

type Fixture = Awaited<ReturnType<typeof seedLedger>>

export function evidenceSuite() {
  const t = {
    clock: { now: new Date(START) },
    db: undefined as unknown as MigratedDatabase,
    ds: undefined as unknown as DataSource,
    fake: undefined as unknown as FakeWeCom,
    rig: undefined as unknown as Awaited<ReturnType<typeof startCallbackRig>>,
    fixture: undefined as unknown as Fixture,
    get items(): Fixture['items'] {
      return t.fixture.items
    },
    client: (): WeComClient => createWeComClient({ baseUrl: t.fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: SECRET, now: () => t.clock.now.getTime(), timeoutMs: 10_000 }),
    settings: (overrides: DownloadOverrides = {}): DownloadSettings => ({
      fetch: overrides.fetch ?? wecomFetcher(t.client()),
      refusal: fetchRefusal,
      maxBytes: overrides.maxBytes ?? 20 * MB,
      logger: overrides.logger ?? createLogger('silent'),
    }),
    /** One round of the download job, on the test's clock. */
    download: (overrides: DownloadOverrides = {}, on?: DataSource): Promise<DownloadRound> => downloadDueEvidence(on ?? t.ds, t.settings(overrides), t.clock.now),
    later: (ms: number): void => {
      t.clock.now = new Date(t.clock.now.getTime() + ms)
    },
    evidence: (): Promise<Evidence[]> => t.ds.getRepository(EvidenceSchema).find({ order: { id: 'ASC' } }),
    /** What the person has been told about evidence (acknowledgements, questions, losses), oldest first. */
    toldTo: (userid: string) => evidenceTexts(t.ds, userid, false),
    /** The same, still to be sent (pending in the outbox). */
    pendingTo: (userid: string) => evidenceTexts(t.ds, userid, true),
    /** A photo WeCom holds, issued now, as the callback's media fields. */
    image: (data: Buffer, filename = 'IMG_0001.jpg'): { type: 'image'; mediaId: string } => ({ type: 'image' as const, mediaId: t.fake.addMedia({ contentType: 'image/jpeg', filename, data, issuedAt: t.clock.now.getTime() }) }),
  }
  beforeAll(async () => {
    t.fake = await startFakeWeCom({ secret: SECRET, now: () => t.clock.now.getTime() })
  })
  afterAll(async () => {
    await t.fake?.close()
  })
  beforeEach(async () => {
    t.db = await createMigratedDatabase()
    t.ds = t.db.dataSource
    t.fixture = await seedLedger(t.ds)
    t.clock.now = new Date(START)
    t.rig = await startCallbackRig(t.ds, { clock: () => t.clock.now })
  })
  afterEach(async () => {
    t.fake.clearFaults()
    await t.rig?.close()
    await t.db?.close()
  })
  return t
}

async function evidenceTexts(ds: DataSource, userid: string, pendingOnly: boolean): Promise<string[]> {
  const rows = await ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'evidence', ...(pendingOnly ? { status: 'pending' as const } : {}) }, order: { id: 'ASC' } })
  return rows.filter((row) => (JSON.parse(row.recipients) as { touser: string[] }).touser.includes(userid) && row.msgType === 'text').map((row) => readerText(row.payload))
}
