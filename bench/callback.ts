/**
 * Drives POST /wecom/callback with valid, distinct, encrypted text messages (autocannon,
 * CONNECTIONS=50, SECONDS=10) and, in the same run with the same kind of payloads, a bare koa
 * endpoint that reads the body and returns an empty one: requests/s, p50/p99 latency and the
 * ratio to the bare endpoint, on SQLite and (with BENCH_MYSQL_URL) on MariaDB/MySQL; then the
 * callback's latency at a steady RATE (default 200 req/s, what a county sends in a burst).
 * Every message is stored durably (InboundMessage) and answered (an unknown command: a
 * passive encrypted reply after a roster lookup).
 *
 *   npm run bench:callback
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:callback
 *   PROFILE_DIR=/tmp/prof npm run bench:callback     # and a CPU profile of the server per database
 *
 * Prints figures; asserts nothing.
 */
import { spawn } from 'node:child_process'
import autocannon from 'autocannon'
import { InboundMessageSchema } from '../src/db/entities/index.js'
import { seedRoster } from '../test/helpers/roster.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'
import { newMsgId, sign, textXml } from '../test/helpers/wecom-callback-client.js'

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50)
const SECONDS = Number(process.env.SECONDS ?? 10)

/** The burst a county sends (issue's realistic load): requests a second, spread over the connections. */
const RATE = Number(process.env.RATE ?? 200)

function load(url: string, path: string, rate?: number) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const signed = sign(textXml('zhangwei', '帮主', { msgId: newMsgId() }))
          return { ...request, path: `${path}?${new URLSearchParams(signed.query)}`, body: signed.body, headers: { 'content-type': 'text/xml' } }
        },
      },
    ],
  })
}

async function bench(label: string, mysqlUrl?: string) {
  const database = await createMigratedDatabase(mysqlUrl)
  const ds = database.dataSource
  await seedRoster(ds, '城关镇', [{ userid: 'zhangwei', name: '张伟', roles: ['unit_head'] }])
  // PROFILE_DIR=/tmp/prof: the server writes a CPU profile there when it stops.
  const profile = process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []
  const server = spawn(process.execPath, [...profile, '--import', 'tsx', 'bench/callback-server.ts'], {
    env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    const port = await new Promise<string>((resolve) => server.stdout!.on('data', (d: Buffer) => /listening (\d+)/.test(String(d)) && resolve(/listening (\d+)/.exec(String(d))![1]!)))
    const base = `http://127.0.0.1:${port}`
    const bare = await load(base, '/bare')
    const callback = await load(base, '/wecom/callback')
    const steady = await load(base, '/wecom/callback', RATE)
    const stored = await ds.getRepository(InboundMessageSchema).count()
    const errors = callback.errors + callback.non2xx
    console.log(
      `${label}: callback ${callback.requests.average.toFixed(0)} req/s, p50 ${callback.latency.p50} ms, p99 ${callback.latency.p99} ms ` +
        `(${stored} messages stored, ${errors} errors/non-2xx); bare koa ${bare.requests.average.toFixed(0)} req/s, ` +
        `p50 ${bare.latency.p50} ms, p99 ${bare.latency.p99} ms; ratio to bare ${(callback.requests.average / bare.requests.average).toFixed(2)}`,
    )
    console.log(`${label}: at ${RATE} req/s (a county's burst): p50 ${steady.latency.p50} ms, p99 ${steady.latency.p99} ms, max ${steady.latency.max} ms (${steady.errors + steady.non2xx} errors/non-2xx)`)
  } finally {
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
    await database.close()
  }
}

await bench('SQLite')
if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
