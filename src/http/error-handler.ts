import type { Middleware } from 'koa'
import type { Logger } from '../logger.js'

/** Every unexpected error becomes a logged 500 without a stack trace in the response. */
export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next()
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500
      ctx.status = status
      ctx.body = { error: status >= 500 ? 'internal error' : (error as Error).message }
      if (status >= 500) logger.error({ err: error, method: ctx.method, path: ctx.path }, 'request failed')
    }
  }
}
