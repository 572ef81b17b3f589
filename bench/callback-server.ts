/**
 * The server half of bench/callback.ts, run as its own process so that the load generator does
 * not share its event loop: the real koa app with the WeCom callback on DATABASE_URL (already
 * migrated), plus POST /bare, which reads the body and answers empty — the baseline, and GET
 * /bench-cpu, the process's CPU time so far.
 * With PROFILE_DIR set, POST /bench-profile/start and /bench-profile/stop?name=… record a CPU
 * profile of what runs in between (the saturating run) as <PROFILE_DIR>/<name>.cpuprofile.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { commands } from '../commands/index.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { loadConfig } from '../src/config/load-config.js'
import { createDataSource } from '../src/db/create-data-source.js'
import { createApp } from '../src/http/create-app.js'
import { createLogger } from '../src/logger.js'
import { SECRETS } from '../test/helpers/wecom-callback-client.js'

const config = loadConfig(process.env)
const dataSource = await createDataSource(config.database)
await dataSource.initialize()
const app = createApp({
  dataSource,
  logger: createLogger('silent'),
  deliveryMode: 'wecom',
  callback: { path: '/wecom/callback', secrets: SECRETS, dispatcher: createDispatcher({ dataSource, registry: createCommandRegistry(commands) }) },
})
app.use(async (ctx, next) => {
  if (ctx.path !== '/bare') return next()
  for await (const _chunk of ctx.req);
  ctx.status = 200
  ctx.body = ''
})
// The server's CPU time so far (user + system, µs): the bench divides what a run used by its requests.
app.use(async (ctx, next) => {
  if (ctx.path !== '/bench-cpu') return next()
  const { user, system } = process.cpuUsage()
  ctx.body = { micros: user + system }
})
const profileDir = process.env.PROFILE_DIR
if (profileDir) {
  const session = new Session()
  session.connect()
  app.use(async (ctx, next) => {
    if (ctx.path === '/bench-profile/start') {
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
    } else if (ctx.path === '/bench-profile/stop') {
      const { profile } = await session.post('Profiler.stop')
      mkdirSync(profileDir, { recursive: true })
      writeFileSync(join(profileDir, `${String(ctx.query.name)}.cpuprofile`), JSON.stringify(profile))
    } else return next()
    ctx.body = ''
  })
}
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`))
process.on('SIGTERM', () => server.close(() => void dataSource.destroy().then(() => process.exit(0))))
