import type { ClientContext, WeComResponse } from './client-context.js'
import { call } from './client-request.js'
import { RateLimitedError, WeComApiError } from './errors.js'
import type { AppMessage } from './messages.js'

export interface Recipients {
  touser?: readonly string[]
  toparty?: readonly string[]
  totag?: readonly string[]
}

export interface SendResult {
  msgids: string[]
  /** Not delivered: not members, or outside the app's visible range. */
  invalidUsers: string[]
  /** Not delivered: the member has no API licence. */
  unlicensedUsers: string[]
  invalidParties: string[]
  invalidTags: string[]
  /**
   * For an interactive template card, WeCom's `response_code`: it updates the card once
   * (update_template_card, docs/cards.md). With recipients that needed several calls, the first
   * call's. Null for every other message.
   */
  responseCode: string | null
}

export interface SendOptions {
  /**
   * WeCom's duplicate check (default on): an identical request within the interval is not
   * delivered again, so a message resent after a lost answer or a crash reaches nobody twice.
   * The delivery worker keeps it on for replies too, and makes two different answers of the
   * same text differ (docs/delivery.md).
   */
  duplicateCheck?: boolean
}

/** message/send takes at most 1,000 users, 100 departments and 100 tags per call (docs/wecom.md, Sending app messages). */
const PER_CALL = { touser: 1000, toparty: 100, totag: 100 } as const

/** The recipients of one message/send call. */
interface Batch {
  touser: string[]
  toparty: string[]
  totag: string[]
}

/** Refuses, before anything is sent, when a member has had as many messages as WeCom delivers. */
function checkMembers(context: ClientContext, userids: readonly string[]): void {
  const blocked = context.members.check(userids, context.now())
  if (blocked) throw new RateLimitedError(new Date(blocked.retryAt), blocked.limited)
}

/** message/send, in as many calls as the recipients need (PER_CALL). */
export async function sendMessage(context: ClientContext, recipients: Recipients, message: AppMessage, options: SendOptions = {}): Promise<SendResult> {
  const users = [...(recipients.touser ?? [])]
  const parties = [...(recipients.toparty ?? [])]
  const tags = [...(recipients.totag ?? [])]
  checkMembers(context, users)
  const result: SendResult = { msgids: [], invalidUsers: [], unlicensedUsers: [], invalidParties: [], invalidTags: [], responseCode: null }
  for (const batch of batches(users, parties, tags)) await sendBatch(context, batch, message, options.duplicateCheck ?? true, result)
  // Every recipient invalid (81013) is a result, not an error: the caller records who could
  // not be reached, once, instead of retrying or alerting about the message again and again.
  return result
}

function batches(users: readonly string[], parties: readonly string[], tags: readonly string[]): Batch[] {
  const calls = Math.max(
    Math.ceil(users.length / PER_CALL.touser),
    Math.ceil(parties.length / PER_CALL.toparty),
    Math.ceil(tags.length / PER_CALL.totag),
  )
  return Array.from({ length: calls }, (_, i) => ({
    touser: users.slice(i * PER_CALL.touser, (i + 1) * PER_CALL.touser),
    toparty: parties.slice(i * PER_CALL.toparty, (i + 1) * PER_CALL.toparty),
    totag: tags.slice(i * PER_CALL.totag, (i + 1) * PER_CALL.totag),
  }))
}

/** One call of message/send; what WeCom says of its recipients is added to `result`. */
async function sendBatch(context: ClientContext, batch: Batch, message: AppMessage, duplicateCheck: boolean, result: SendResult): Promise<void> {
  let body: WeComResponse
  try {
    body = await call(context, 'message/send', {
      method: 'POST',
      json: {
        ...(batch.touser.length ? { touser: batch.touser.join('|') } : {}),
        ...(batch.toparty.length ? { toparty: batch.toparty.join('|') } : {}),
        ...(batch.totag.length ? { totag: batch.totag.join('|') } : {}),
        agentid: context.agentId,
        ...message,
        enable_duplicate_check: duplicateCheck ? 1 : 0,
        ...(duplicateCheck ? { duplicate_check_interval: context.interval } : {}),
      },
    })
  } catch (error) {
    // 81013: every recipient of this batch is invalid; the other batches still go out.
    if (error instanceof WeComApiError && error.errcode === 81013) {
      result.invalidUsers.push(...batch.touser)
      result.invalidParties.push(...batch.toparty)
      result.invalidTags.push(...batch.totag)
      return
    }
    throw error
  }
  context.members.record(batch.touser, context.now())
  if (body.msgid) result.msgids.push(String(body.msgid))
  if (typeof body.response_code === 'string' && body.response_code !== '') result.responseCode ??= body.response_code
  result.invalidUsers.push(...splitIds(body.invaliduser))
  result.unlicensedUsers.push(...splitIds(body.unlicenseduser))
  result.invalidParties.push(...splitIds(body.invalidparty))
  result.invalidTags.push(...splitIds(body.invalidtag))
}

/** WeCom lists ids joined by "|" and lower-cases userids (docs/wecom.md, Sending app messages). */
function splitIds(value: unknown): string[] {
  return typeof value === 'string' && value !== '' ? value.split('|') : []
}
