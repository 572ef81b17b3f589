import Router from '@koa/router'
import Koa from 'koa'
import type { DataSource } from 'typeorm'
import type { Logger } from '../logger.js'
import { registerWeComCallback, type CallbackRouteOptions } from './wecom-callback-route.js'

export interface AppDependencies {
  dataSource: DataSource
  logger: Logger
  deliveryMode: 'wecom' | 'console'
  now?: () => Date
  /** The WeCom callback (in console mode, with local secrets for the chat simulator). */
  callback?: Omit<CallbackRouteOptions, 'dataSource' | 'logger' | 'now'>
}

/**
 * The koa application: health check and, with WeCom credentials, the callback. Every unexpected
 * error becomes a logged 500 without a stack trace in the response.
 */
export function createApp({ dataSource, logger, deliveryMode, now = () => new Date(), callback }: AppDependencies): Koa {
  const app = new Koa()
  const router = new Router()

  app.use(async (ctx, next) => {
    try {
      await next()
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500
      ctx.status = status
      ctx.body = { error: status >= 500 ? 'internal error' : (error as Error).message }
      if (status >= 500) logger.error({ err: error, method: ctx.method, path: ctx.path }, 'request failed')
    }
  })

  router.get('/healthz', async (ctx) => {
    const database = await checkDatabase(dataSource)
    ctx.status = database === 'ok' ? 200 : 503
    ctx.body = { status: database === 'ok' ? 'ok' : 'degraded', database, delivery: deliveryMode, time: now().toISOString() }
  })

  if (callback) registerWeComCallback(router, { ...callback, dataSource, logger, now })

  app.use(router.routes()).use(router.allowedMethods())
  return app
}

async function checkDatabase(dataSource: DataSource): Promise<'ok' | 'unreachable'> {
  if (!dataSource.isInitialized) return 'unreachable'
  try {
    await dataSource.query('SELECT 1')
    return 'ok'
  } catch {
    return 'unreachable'
  }
}
