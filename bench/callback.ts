/**
 * Drives POST /wecom/callback with valid, distinct, encrypted text messages (autocannon,
 * CONNECTIONS=50, SECONDS=10) and, in the same run with the same kind of payloads, a bare koa
 * endpoint that reads the body and returns an empty one: requests/s, p50/p99 latency and the
 * ratio to the bare endpoint, on SQLite and (with BENCH_MYSQL_URL) on MariaDB/MySQL; then the
 * callback's latency at RATE (default 200 req/s, what a county sends in a burst), twice: with
 * autocannon's rate limit (all of a second's requests at its start: a burst) and paced (one
 * request every 1000/RATE ms), each beside bare koa's under the same load; and the server's
 * CPU time per request, which other work on the machine disturbs less than requests/s.
 * Every message is stored durably (InboundMessage) and answered (an unknown command: a
 * passive encrypted reply after a roster lookup).
 *
 *   npm run bench:callback
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306/test npm run bench:callback
 *   PROFILE_DIR=/tmp/prof npm run bench:callback     # and a CPU profile of the server's saturating run per database
 *   npx tsx bench/profile-top.ts /tmp/prof/*.cpuprofile  # its top self-time functions
 *
 * Prints figures; asserts nothing.
 */
import { spawn } from 'node:child_process'
import http from 'node:http'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { InboundMessageSchema } from '../src/db/entities/index.js'
import { seedRoster } from '../test/helpers/roster.js'
import { createMigratedDatabase } from '../test/helpers/test-database.js'
import { newMsgId, sign, textXml } from '../test/helpers/wecom-callback-client.js'

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50)
const SECONDS = Number(process.env.SECONDS ?? 10)

/** The burst a county sends (issue's realistic load): requests a second, spread over the connections. */
const RATE = Number(process.env.RATE ?? 200)

/** The server's CPU time (µs) so far. */
async function cpuMicros(base: string): Promise<number> {
  return ((await (await fetch(`${base}/bench-cpu`)).json()) as { micros: number }).micros
}

/** A run, with the server's CPU time per request (ms): steadier than requests/s when other work shares the machine. */
async function measured(base: string, path: string, rate?: number) {
  const before = await cpuMicros(base)
  const result = await load(base, path, rate)
  const cpuMs = (await cpuMicros(base)) - before
  return Object.assign(result, { cpuMsPerRequest: cpuMs / 1000 / Math.max(1, result.requests.total) })
}

/**
 * A truly steady load: one request every 1000/rate ms, open loop (each sent on time whatever the
 * earlier ones are doing), over keep-alive connections. autocannon's rate limit instead lets each
 * connection send its share back to back at the start of every second: a burst of `rate`.
 */
async function paced(base: string, path: string, rate: number): Promise<{ p50: number; p99: number; max: number; failed: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  const latencies: number[] = []
  let failed = 0
  const one = () =>
    new Promise<void>((resolve) => {
      const signed = sign(textXml('zhangwei', '帮主', { msgId: newMsgId() }))
      const started = performance.now()
      const request = http.request(`${base}${path}?${new URLSearchParams(signed.query)}`, { method: 'POST', agent, headers: { 'content-type': 'text/xml' } }, (response) => {
        response.resume()
        response.on('end', () => {
          latencies.push(performance.now() - started)
          if (response.statusCode !== 200) failed += 1
          resolve()
        })
      })
      request.on('error', () => {
        failed += 1
        resolve()
      })
      request.end(signed.body)
    })
  const sent: Promise<void>[] = []
  const begin = performance.now()
  for (let index = 0; index < SECONDS * rate; index += 1) {
    const due = begin + (index * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    sent.push(one())
  }
  await Promise.all(sent)
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const at = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1))
  return { p50: at(0.5), p99: at(0.99), max: Number(latencies.at(-1)!.toFixed(1)), failed }
}

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
  const server = spawn(process.execPath, ['--import', 'tsx', 'bench/callback-server.ts'], {
    env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    const port = await new Promise<string>((resolve) => server.stdout!.on('data', (d: Buffer) => /listening (\d+)/.test(String(d)) && resolve(/listening (\d+)/.exec(String(d))![1]!)))
    const base = `http://127.0.0.1:${port}`
    const bare = await measured(base, '/bare')
    // PROFILE_DIR=/tmp/prof: a CPU profile of the server during the saturating run only.
    const profiling = Boolean(process.env.PROFILE_DIR)
    if (profiling) await fetch(`${base}/bench-profile/start`, { method: 'POST' })
    const callback = await measured(base, '/wecom/callback')
    if (profiling) await fetch(`${base}/bench-profile/stop?name=${label === 'SQLite' ? 'sqlite' : 'mysql'}`, { method: 'POST' })
    const bareSteady = await load(base, '/bare', RATE)
    const steady = await load(base, '/wecom/callback', RATE)
    const barePaced = await paced(base, '/bare', RATE)
    const callbackPaced = await paced(base, '/wecom/callback', RATE)
    const stored = await ds.getRepository(InboundMessageSchema).count()
    const errors = callback.errors + callback.non2xx
    console.log(
      `${label}: callback ${callback.requests.average.toFixed(0)} req/s, p50 ${callback.latency.p50} ms, p99 ${callback.latency.p99} ms ` +
        `(${stored} messages stored, ${errors} errors/non-2xx); bare koa ${bare.requests.average.toFixed(0)} req/s, ` +
        `p50 ${bare.latency.p50} ms, p99 ${bare.latency.p99} ms; ratio to bare ${(callback.requests.average / bare.requests.average).toFixed(2)}`,
    )
    console.log(
      `${label}: server CPU per request: callback ${(callback.cpuMsPerRequest * 1000).toFixed(0)} µs, bare koa ${(bare.cpuMsPerRequest * 1000).toFixed(0)} µs ` +
        `(ratio ${(bare.cpuMsPerRequest / callback.cpuMsPerRequest).toFixed(2)})`,
    )
    console.log(
      `${label}: at ${RATE} req/s, autocannon (${RATE} requests at the start of each second): p50 ${steady.latency.p50} ms, p99 ${steady.latency.p99} ms, max ${steady.latency.max} ms (${steady.errors + steady.non2xx} errors/non-2xx); ` +
        `bare koa: p50 ${bareSteady.latency.p50} ms, p99 ${bareSteady.latency.p99} ms`,
    )
    console.log(
      `${label}: at ${RATE} req/s, paced (one every ${(1000 / RATE).toFixed(1)} ms): p50 ${callbackPaced.p50} ms, p99 ${callbackPaced.p99} ms, max ${callbackPaced.max} ms (${callbackPaced.failed} errors/non-2xx); ` +
        `bare koa: p50 ${barePaced.p50} ms, p99 ${barePaced.p99} ms`,
    )
  } finally {
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
    await database.close()
  }
}

await bench('SQLite')
if (process.env.BENCH_MYSQL_URL) await bench('MariaDB/MySQL', process.env.BENCH_MYSQL_URL)
