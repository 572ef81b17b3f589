import type { Context } from 'koa'
import { randomBytesPooled } from '../wecom/callback/callback-crypto.js'
import { sealReply, textReplyXml } from '../wecom/callback/open-callback.js'
import type { AppMessage } from '../wecom/messages.js'
import { BYTE_LIMITS, utf8Length } from '../wecom/utf8-limits.js'
import type { CallbackRoute } from './callback-route-context.js'

/** The answer's race against the reply budget (passiveDeadline). */
export interface PassiveDeadline {
  /** Resolves 'late' when the budget passes before the answer claimed the response. */
  timer: Promise<'late'>
  /** True when the answer may go in the response: it claimed it in time, or had claimed it already. */
  claimPassive: () => boolean
}

/**
 * Exactly one of the two wins: the answer claims the response within `ms`, or the deadline
 * passes first and the answer goes to the outbox.
 */
export function passiveDeadline(ms: number): PassiveDeadline {
  let state: 'waiting' | 'late' | 'passive' = 'waiting'
  let timeout: NodeJS.Timeout | undefined
  const timer = new Promise<'late'>((resolve) => {
    timeout = setTimeout(() => {
      if (state !== 'waiting') return
      state = 'late'
      resolve('late')
    }, ms)
  })
  // Claimed again by the same work when its transaction is run again (a deadlock victim).
  const claimPassive = () => {
    if (state === 'passive') return true
    if (state !== 'waiting') return false
    state = 'passive'
    clearTimeout(timeout)
    return true
  }
  return { timer, claimPassive }
}

/** A passive reply carries plain text only, within 2,048 bytes (docs/wecom.md, Callback messages). */
export function fitsPassive(reply: AppMessage): reply is Extract<AppMessage, { msgtype: 'text' }> {
  return reply.msgtype === 'text' && utf8Length(reply.text.content) <= BYTE_LIMITS.text
}

/** Answers the callback with `content` as an encrypted passive text reply. */
export function respondPassive(route: CallbackRoute, ctx: Context, toUser: string, content: string) {
  const { secrets } = route
  const timestamp = String(Math.floor(route.now().getTime() / 1000))
  const nonce = randomBytesPooled(8).toString('hex')
  ctx.type = 'application/xml'
  ctx.body = sealReply(secrets, textReplyXml(toUser, secrets.corpId, content, Number(timestamp)), timestamp, nonce)
}
