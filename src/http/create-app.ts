import Router from '@koa/router'
import Koa from 'koa'
import compress from 'koa-compress'
import zlib from 'node:zlib'
import type { DataSource } from 'typeorm'
import type { Dispatcher } from '../bot/dispatcher.js'
import type { Logger } from '../logger.js'
import { errorHandler } from './error-handler.js'
import { healthz } from './healthz.js'
import { registerWeComCallback, type CallbackRouteOptions } from './wecom-callback-route.js'
import { dashboardAnswers } from './dashboard/dashboard-kit.js'
import { registerDashboard, type DashboardSettings } from './dashboard/register-dashboard.js'
import { registerGongshi } from './public/register-gongshi.js'

export interface AppDependencies {
  dataSource: DataSource
  logger: Logger
  deliveryMode: 'wecom' | 'console'
  now?: () => Date
  /** The WeCom callback (in console mode, with local secrets for the chat simulator). */
  callback?: Omit<CallbackRouteOptions, 'dataSource' | 'logger' | 'now'>
  /** Behind a reverse proxy: the client's address is the last X-Forwarded-For entry (TRUST_PROXY). Default off. */
  trustProxy?: boolean
  /** The dashboard under /dash (docs/dashboard.md); absent: off. Its actions run through the callback's dispatcher, or the one given. */
  dashboard?: (DashboardSettings & { dispatcher?: Dispatcher }) | undefined
}

/**
 * The public koa application: the liveness check, the WeCom callback (in console mode with
 * local secrets, for the chat simulator) and the dashboard.
 */
export function createApp({ dataSource, logger, deliveryMode, now = () => new Date(), callback, dashboard, trustProxy = false }: AppDependencies): Koa {
  const app = new Koa()
  const router = new Router()
  if (trustProxy) {
    // One proxy in front (the README's nginx): the entry it appended is the client; one sent by the client is not believed.
    app.proxy = true
    app.maxIpsCount = 1
  }

  app.use(errorHandler(logger))
  if (dashboard) app.use(dashboardAnswers(logger))
  // Pages and tables are sent compressed (brotli or gzip, as the client accepts; docs/dashboard.md);
  // the callback's small answers are not, and its hot path skips the middleware altogether.
  const compressPages = compress({ threshold: 1024, br: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } } })
  app.use((ctx, next) => (ctx.path.startsWith('/dash') || ctx.path.startsWith('/gongshi') ? compressPages(ctx, next) : next()))
  // Liveness only: the database and WeCom are the admin listener's /readyz (create-admin-app.ts).
  router.get('/healthz', healthz(deliveryMode, now))
  registerGongshi(router, { dataSource, now, logger }) // 整改公示, public and always on (docs/disclosure.md)

  if (callback) registerWeComCallback(router, { ...callback, dataSource, logger, now })
  // The dashboard's actions run as the commands they stand for, through the callback's dispatcher.
  if (dashboard) registerDashboard(router, { ...dashboard, dataSource, logger, now, dispatcher: dashboard.dispatcher ?? callback?.dispatcher })

  app.use(router.routes()).use(router.allowedMethods())
  return app
}
