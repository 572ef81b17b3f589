import type { Middleware } from 'koa'

/** GET /healthz: the process is up and answering. Touches nothing else, so it is cheap to ask often. */
export function healthz(deliveryMode: 'wecom' | 'console', now: () => Date): Middleware {
  return (ctx) => {
    ctx.body = { status: 'ok', delivery: deliveryMode, time: now().toISOString() }
  }
}
