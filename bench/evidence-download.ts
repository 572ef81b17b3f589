/**
 * Evidence downloads (docs/evidence.md, Keeping): MEDIA (default 200) photos of PHOTO_KB (default
 * 1,500 KB, a phone photo as WeCom passes it on) are waiting; the download job fetches them from
 * the fake WeCom server's media/get and stores them. Prints media/s and MB/s, with the baseline of
 * the bare client fetching the same photos with the same concurrency (8) and keeping nothing, and
 * the bytes the database grew by per photo (SQLite: the file's pages in use; MariaDB: the InnoDB
 * data and index length). A second round of the same photos sent again shows the content stored
 * once.
 *
 *   npm run bench:evidence                                                  # SQLite
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:evidence # also MariaDB
 *
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks'
import type { DataSource } from 'typeorm'
import { EvidenceSchema } from '../src/db/entities/index.js'
import { isMysql } from '../src/db/sql-instant.js'
import { downloadDueEvidence } from '../src/domain/evidence/download-evidence.js'
import { fetchRefusal, wecomFetcher } from '../src/domain/evidence/media-fetchers.js'
import { createLogger } from '../src/logger.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from '../test/fakes/fake-wecom-server.js'
import { seedLedger } from '../test/helpers/ledger-fixture.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'

const MEDIA = Number(process.env.MEDIA ?? 200)
const PHOTO_BYTES = Number(process.env.PHOTO_KB ?? 1500) * 1024
const CONCURRENCY = 8
const MB = 1024 * 1024

const clientFor = (fake: FakeWeCom) => createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', timeoutMs: 60_000 })

/** A distinct photo per index: random-looking bytes, as compressed JPEG data is. */
function photo(index: number): Buffer {
  const data = Buffer.alloc(PHOTO_BYTES)
  let x = (index + 1) * 2654435761
  for (let i = 0; i < data.length; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    data.writeUInt32LE(x >>> 0, Math.min(i, data.length - 4))
  }
  data[0] = 0xff
  data[1] = 0xd8
  return data
}

const photos = Array.from({ length: MEDIA }, (_, i) => photo(i))

async function baseline(): Promise<number> {
  const fake = await startFakeWeCom()
  const ids = photos.map((data) => fake.addMedia({ contentType: 'image/jpeg', filename: 'p.jpg', data }))
  const client = clientFor(fake)
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < MEDIA; i = next++) await client.downloadMedia(ids[i]!, { maxBytes: 20 * MB })
    }),
  )
  const seconds = (performance.now() - start) / 1000
  await fake.close()
  return MEDIA / seconds
}

/** Bytes the database holds now (SQLite: pages in use; MariaDB: the schema's data and indexes). */
async function databaseBytes(ds: DataSource): Promise<number> {
  if (isMysql(ds)) {
    await ds.query('ANALYZE TABLE stored_file, stored_file_chunk, evidence')
    const [row] = (await ds.query('SELECT SUM(data_length + index_length) AS bytes FROM information_schema.tables WHERE table_schema = DATABASE()')) as { bytes: string }[]
    return Number(row!.bytes)
  }
  const [{ page_count: pages }] = (await ds.query('PRAGMA page_count')) as [{ page_count: number }]
  const [{ freelist_count: free }] = (await ds.query('PRAGMA freelist_count')) as [{ freelist_count: number }]
  const [{ page_size: size }] = (await ds.query('PRAGMA page_size')) as [{ page_size: number }]
  return (pages - free) * size
}

async function round(ds: DataSource, fake: FakeWeCom, personId: number, itemId: number, tag: string): Promise<{ seconds: number; stored: number }> {
  const now = new Date()
  const rows = photos.map((data, i) => ({
    ledgerItemId: itemId,
    personId,
    dedupeKey: `bench:${tag}:${i}`,
    kind: 'image' as const,
    mediaId: fake.addMedia({ contentType: 'image/jpeg', filename: `现场${i}.jpg`, data }),
    status: 'pending' as const,
    attempts: 0,
    nextAttemptAt: new Date(now.getTime() - 1000),
    receivedAt: now,
    attachedAt: now,
  }))
  for (let i = 0; i < rows.length; i += 100) await ds.getRepository(EvidenceSchema).insert(rows.slice(i, i + 100))
  const settings = { fetch: wecomFetcher(clientFor(fake)), refusal: fetchRefusal, maxBytes: 20 * MB, logger: createLogger('silent') }
  const start = performance.now()
  let stored = 0
  for (let done = await downloadDueEvidence(ds, settings, new Date(), CONCURRENCY); done.stored + done.retried + done.refused > 0; done = await downloadDueEvidence(ds, settings, new Date(), CONCURRENCY)) stored += done.stored
  return { seconds: (performance.now() - start) / 1000, stored }
}

async function measure(label: string, bare: number, mysqlUrl?: string): Promise<void> {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  const fake = await startFakeWeCom()
  try {
    const { items } = await seedLedger(ds)
    const [{ id: personId }] = (await ds.query("SELECT id FROM person WHERE userid = 'chenjing'")) as [{ id: number }]
    const before = await databaseBytes(ds)
    const first = await round(ds, fake, Number(personId), items.soon, 'first')
    const afterFirst = await databaseBytes(ds)
    const again = await round(ds, fake, Number(personId), items.soon, 'again')
    const afterAgain = await databaseBytes(ds)
    const rate = first.stored / first.seconds
    console.log(
      `${label}: ${first.stored} photos of ${(PHOTO_BYTES / 1024).toFixed(0)} KB stored in ${first.seconds.toFixed(1)} s = ${rate.toFixed(1)} media/s ` +
        `(${((rate * PHOTO_BYTES) / MB).toFixed(1)} MB/s); bare client ${bare.toFixed(1)} media/s, ratio ${(rate / bare).toFixed(2)}; ` +
        `database grew ${((afterFirst - before) / first.stored / 1024).toFixed(1)} KB per photo (${((afterFirst - before) / first.stored / PHOTO_BYTES).toFixed(3)} × its size); ` +
        `the same photos again: ${again.stored} in ${again.seconds.toFixed(1)} s, ${((afterAgain - afterFirst) / Math.max(again.stored, 1) / 1024).toFixed(1)} KB per photo`,
    )
  } finally {
    await fake.close()
    await database.close()
  }
}

const bare = await baseline()
console.log(`baseline: the bare client fetches ${MEDIA} photos of ${(PHOTO_BYTES / 1024).toFixed(0)} KB at ${bare.toFixed(1)} media/s (${((bare * PHOTO_BYTES) / MB).toFixed(1)} MB/s), ${CONCURRENCY} at a time`)
await measure('SQLite', bare)
if (process.env.BENCH_MYSQL_URL) await measure('MariaDB', bare, process.env.BENCH_MYSQL_URL)
