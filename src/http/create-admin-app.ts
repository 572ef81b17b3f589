import { createHash, timingSafeEqual } from 'node:crypto'
import Router from '@koa/router'
import Koa, { type Middleware } from 'koa'
import type { Registry } from 'prom-client'
import type { Logger } from '../logger.js'
import type { Readiness } from './check-readiness.js'
import { errorHandler } from './error-handler.js'
import { healthz } from './healthz.js'

export interface AdminAppDependencies {
  logger: Logger
  deliveryMode: 'wecom' | 'console'
  readiness: () => Promise<Readiness>
  registry: Registry
  /** When set, every request needs `Authorization: Bearer <token>` (401 otherwise). */
  token: string | null
  now?: () => Date
}

/**
 * The admin listener, for the operator's probes and Prometheus, never for WeCom: /healthz (the
 * process is up), /readyz (200 when this replica can work, 503 naming the failed check) and
 * /metrics. It listens on loopback unless ADMIN_HOST says otherwise.
 */
export function createAdminApp({ logger, deliveryMode, readiness, registry, token, now = () => new Date() }: AdminAppDependencies): Koa {
  const app = new Koa()
  const router = new Router()
  app.use(errorHandler(logger))
  if (token !== null) app.use(requireBearer(token))

  router.get('/healthz', healthz(deliveryMode, now))
  router.get('/readyz', async (ctx) => {
    const { ready, checks } = await readiness()
    ctx.status = ready ? 200 : 503
    ctx.body = { status: ready ? 'ready' : 'not_ready', checks, time: now().toISOString() }
  })
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType
    ctx.body = await registry.metrics()
  })

  app.use(router.routes()).use(router.allowedMethods())
  return app
}

/** Compares digests in constant time (equal lengths whatever was sent); the token is never logged or echoed. */
function requireBearer(token: string): Middleware {
  const expected = createHash('sha256').update(token).digest()
  return async (ctx, next) => {
    const match = /^Bearer (\S+)$/.exec(ctx.get('authorization'))
    const given = createHash('sha256').update(match?.[1] ?? '').digest()
    if (!match || !timingSafeEqual(given, expected)) {
      ctx.status = 401
      ctx.set('WWW-Authenticate', 'Bearer realm="admin"')
      ctx.body = { error: 'missing or wrong bearer token (ADMIN_TOKEN)' }
      return
    }
    await next()
  }
}
