import { isDatabaseError } from '../db/database-error.js'
import type { OutboxMessage } from '../db/entities/index.js'
import { RateLimitedError, WeComApiError, WeComHttpError } from '../wecom/errors.js'
import { PermanentDeliveryError } from './transport.js'

/** How last_error begins on a row held back because its send's outcome is unknown. */
export const OUTCOME_UNKNOWN = '发送结果未知'

/** Errors that say the request never left this machine: nothing reached WeCom. */
const NOT_SENT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|UND_ERR_CONNECT_TIMEOUT/

/**
 * A failed send that WeCom may nevertheless have taken: the request went out and no answer came
 * (the connection closed, the client timed out, a gateway timed out, the answer was garbled).
 * An errcode, or a gateway's 502/503, is an answer: nothing was delivered (docs/delivery.md).
 */
export function mayHaveArrived(error: unknown): boolean {
  if (!(error instanceof WeComHttpError)) return false
  if (error.kind === 'status') return error.status === 504
  if (error.kind === 'network') return !NOT_SENT.test(error.message)
  return true
}

/**
 * A failed send that certainly delivered nothing, so its budget slots are given back: WeCom
 * answered an errcode (unless the row took several message/send calls, of which the first may
 * have gone through), or nothing was sent at all (a limit, the configuration, the database).
 */
export function deliveredNothing(error: unknown, row: Pick<OutboxMessage, 'channel' | 'recipients'>): boolean {
  if (error instanceof RateLimitedError || error instanceof PermanentDeliveryError || isDatabaseError(error)) return true
  if (!(error instanceof WeComApiError)) return false
  if (row.channel !== 'app' && row.channel !== 'reply') return true
  const r = JSON.parse(row.recipients) as { touser?: string[]; toparty?: string[]; totag?: string[] }
  return (r.touser?.length ?? 0) <= 1000 && (r.toparty?.length ?? 0) <= 100 && (r.totag?.length ?? 0) <= 100
}

/** What an administrator reads about such a row: why it was not resent, and how to resend it. */
export function unknownOutcomeNote(outboxId: number): string {
  return `${OUTCOME_UNKNOWN}：请求已发到企业微信但没有收到答复，可能已经送达。群聊和群机器人消息没有重复检查，为免重复不再自动重发；请在群里确认，没有收到再执行 npm run cli -- outbox retry ${outboxId}`
}
