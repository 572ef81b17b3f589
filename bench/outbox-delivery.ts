/**
 * Delivers MESSAGES (default 10,000) outbox messages through the fake WeCom server, which
 * answers at once, and prints messages/s, WeCom calls per message, token requests and the SQL
 * statements per message (BEGIN and COMMIT included, counted at TypeORM's query runner). The
 * baseline, measured in the same run, is the bare client sending the same messages with the
 * same concurrency and no database, just before the worker runs: the ratio is what the durable
 * outbox costs. CPU milliseconds per message (this process: client, worker and fake server) are
 * printed too, since the machine's other load moves wall-clock figures.
 *
 *   npm run bench:outbox                                                  # SQLite
 *   MESSAGES=5000 ROUNDS=5 npm run bench:outbox                           # smaller, more rounds
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
import { countStatements } from '../test/helpers/count-statements.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'

const MESSAGES = Number(process.env.MESSAGES ?? 10_000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const CONCURRENCY = 4
const BATCH = 100
const clientFor = (url: string) => createWeComClient({ baseUrl: url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret' })
const message = (i: number) => text(`【逾期提醒】#${i} 城关镇 招商引资项目跑办不积极，已逾期 3 天。回复「进度 ${i} 60% 说明」反馈进度。`)

/** Messages per second, and this process's CPU milliseconds per message (fake server included). */
interface Rate {
  rate: number
  cpuMs: number
}

const cpuMsSince = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1000
}

async function baseline(): Promise<Rate> {
  const fake = await startFakeWeCom()
  const client = clientFor(fake.url)
  let next = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < MESSAGES; i = next++) await client.sendMessage({ touser: [`member${i}`] }, message(i))
    }),
  )
  const seconds = (performance.now() - start) / 1000
  const cpuMs = cpuMsSince(cpu) / MESSAGES
  await fake.close()
  return { rate: MESSAGES / seconds, cpuMs }
}

/**
 * ROUNDS times (default 3): MESSAGES rows enqueued, the floor measured, then the worker run. The
 * floor is measured right before each run, on a machine others share: a ratio compares two runs
 * a few seconds apart, and the median of the rounds is the figure to quote.
 */
async function outbox(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  const fake = await startFakeWeCom()
  const ratios: number[] = []
  try {
    const worker = createDeliveryWorker({
      dataSource: ds,
      transport: createWeComTransport(clientFor(fake.url), {}),
      logger: createLogger('silent'),
      quietHours: { startMinute: 0, endMinute: 0 },
      batchSize: BATCH,
      concurrency: CONCURRENCY,
    })
    const statements = countStatements(ds)
    for (let round = 1; round <= ROUNDS; round += 1) {
      const enqueueStart = performance.now()
      for (let i = 0; i < MESSAGES; i += 1000) {
        await ds.transaction(async (manager) => {
          for (let k = i; k < Math.min(i + 1000, MESSAGES); k += 1) {
            // Each round its own members and texts: no round's messages repeat an earlier one's (docs/delivery.md, Replies and identical answers).
            const n = (round - 1) * MESSAGES + k
            await enqueue(manager, { dedupeKey: `bench:${n}`, subject: { kind: 'other', id: null }, to: { users: [`member${n}`] }, message: message(n) }, new Date(Date.now() - 1000))
          }
        })
      }
      const enqueueSeconds = (performance.now() - enqueueStart) / 1000
      const bare = await baseline()
      const counted = statements.count
      const calls = fake.requests.filter((r) => r.api === 'message/send').length
      const cpu = process.cpuUsage()
      const start = performance.now()
      let sent = 0
      for (let result = await worker.runOnce(); result.claimed > 0; result = await worker.runOnce()) sent += result.sent
      const seconds = (performance.now() - start) / 1000
      const cpuMs = cpuMsSince(cpu) / sent
      const rate = sent / seconds
      ratios.push(rate / bare.rate)
      console.log(
        `${label} round ${round}: enqueued ${MESSAGES} in ${enqueueSeconds.toFixed(1)} s; ` +
          `floor (bare client, ${CONCURRENCY} in flight, no database) ${bare.rate.toFixed(0)} messages/s, ${bare.cpuMs.toFixed(3)} CPU ms per message; ` +
          `outbox ${rate.toFixed(0)} messages/s, ${cpuMs.toFixed(3)} CPU ms per message; ratio ${(rate / bare.rate).toFixed(2)} (CPU: ${(bare.cpuMs / cpuMs).toFixed(2)}); ` +
          `${((fake.requests.filter((r) => r.api === 'message/send').length - calls) / sent).toFixed(2)} message/send calls and ` +
          `${((statements.count - counted) / sent).toFixed(2)} SQL statements per message`,
      )
    }
    const sorted = [...ratios].sort((x, y) => x - y)
    console.log(`${label}: median ratio to the bare client ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} over ${ROUNDS} round(s); ${fake.tokenRequests()} token request(s)`)
  } finally {
    await fake.close()
    await database.close()
  }
}

await outbox('SQLite')
if (process.env.BENCH_MYSQL_URL) await outbox('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
