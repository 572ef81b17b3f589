/**
 * Delivers MESSAGES (default 10,000) outbox messages through the fake WeCom server, which
 * answers at once, and prints messages/s, WeCom calls per message and token requests. The
 * baseline, measured in the same run, is the bare client sending the same messages with the
 * same concurrency and no database: the ratio is what the durable outbox costs.
 *
 *   npm run bench:outbox                                                  # SQLite
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:outbox # also MariaDB
 *
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks'
import { createDeliveryWorker } from '../src/delivery/delivery-worker.js'
import { enqueue } from '../src/outbox/enqueue.js'
import { createWeComTransport } from '../src/delivery/wecom-transport.js'
import { createLogger } from '../src/logger.js'
import { text } from '../src/wecom/messages.js'
import { createWeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom } from '../test/fakes/fake-wecom-server.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'

const MESSAGES = Number(process.env.MESSAGES ?? 10_000)
const CONCURRENCY = 4
const BATCH = 100
const clientFor = (url: string) => createWeComClient({ baseUrl: url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret' })
const message = (i: number) => text(`【逾期提醒】#${i} 城关镇 招商引资项目跑办不积极，已逾期 3 天。回复「进度 ${i} 60% 说明」反馈进度。`)

async function baseline(): Promise<number> {
  const fake = await startFakeWeCom()
  const client = clientFor(fake.url)
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < MESSAGES; i = next++) await client.sendMessage({ touser: [`member${i}`] }, message(i))
    }),
  )
  const seconds = (performance.now() - start) / 1000
  await fake.close()
  return MESSAGES / seconds
}

async function outbox(label: string, bare: number, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  const fake = await startFakeWeCom()
  try {
    const enqueueStart = performance.now()
    for (let i = 0; i < MESSAGES; i += 1000) {
      await ds.transaction(async (manager) => {
        for (let k = i; k < Math.min(i + 1000, MESSAGES); k += 1) {
          await enqueue(manager, { dedupeKey: `bench:${k}`, subject: { kind: 'other', id: null }, to: { users: [`member${k}`] }, message: message(k) }, new Date(Date.now() - 1000))
        }
      })
    }
    const enqueueSeconds = (performance.now() - enqueueStart) / 1000
    const worker = createDeliveryWorker({
      dataSource: ds,
      transport: createWeComTransport(clientFor(fake.url), {}),
      logger: createLogger('silent'),
      quietHours: { startMinute: 0, endMinute: 0 },
      batchSize: BATCH,
      concurrency: CONCURRENCY,
    })
    const start = performance.now()
    let sent = 0
    for (let result = await worker.runOnce(); result.claimed > 0; result = await worker.runOnce()) sent += result.sent
    const seconds = (performance.now() - start) / 1000
    const calls = fake.requests.filter((r) => r.api === 'message/send').length
    const rate = sent / seconds
    console.log(
      `${label}: enqueued ${MESSAGES} in ${enqueueSeconds.toFixed(1)} s (${(MESSAGES / enqueueSeconds).toFixed(0)}/s); ` +
        `delivered ${sent} in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} messages/s; ` +
        `${(calls / sent).toFixed(2)} message/send calls per message; ${fake.tokenRequests()} token request(s); ` +
        `ratio to the bare client ${(rate / bare).toFixed(2)}`,
    )
  } finally {
    await fake.close()
    await database.close()
  }
}

const bare = await baseline()
console.log(`baseline, bare client with ${CONCURRENCY} in flight, no database: ${bare.toFixed(0)} messages/s`)
await outbox('SQLite', bare)
if (process.env.BENCH_MYSQL_URL) await outbox('MariaDB/MySQL', bare, process.env.BENCH_MYSQL_URL)
