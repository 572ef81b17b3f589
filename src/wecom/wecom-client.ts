import { createClientContext, type ClientContext, type WeComClientOptions } from './client-context.js'
import { call, fetchToken, request } from './client-request.js'
import { RateLimitedError, WeComApiError } from './errors.js'
import { downloadMedia, type DownloadedMedia, type DownloadOptions } from './media-download.js'
import { createMenu, deleteMenu, getMenu, type AppMenu } from './menu.js'
import type { AppMessage, RobotMessage } from './messages.js'
import { sendMessage, type Recipients, type SendOptions, type SendResult } from './send-message.js'
import { updateTemplateCard, type CardUpdate } from './update-card.js'
import { identityOf, type LoginIdentity } from './web-login.js'

export type { WeComClientOptions } from './client-context.js'
export type { AppMenu } from './menu.js'
export { MediaTooLargeError, type DownloadedMedia, type DownloadOptions } from './media-download.js'
export type { Recipients, SendOptions, SendResult } from './send-message.js'
export type { CardUpdate } from './update-card.js'

export interface WeComClient {
  sendMessage(recipients: Recipients, message: AppMessage, options?: SendOptions): Promise<SendResult>
  uploadMedia(type: 'file' | 'image' | 'voice' | 'video', filename: string, data: Uint8Array): Promise<string>
  /**
   * The bytes of a media id from a message someone sent (media/get; docs/wecom.md, Media people
   * send): an id lives 3 days (then WeComApiError 40007). A file over `maxBytes` is refused with
   * MediaTooLargeError before its bytes are read; large files come in ranges of at most 20 MB.
   */
  downloadMedia(mediaId: string, options: DownloadOptions): Promise<DownloadedMedia>
  createAppChat(chat: { name: string; userlist: readonly string[]; owner?: string; chatid?: string }): Promise<string>
  sendAppChat(chatid: string, message: AppMessage): Promise<void>
  sendRobot(key: string, message: RobotMessage): Promise<void>
  /**
   * Recalls an app message sent through message/send (docs/wecom.md, Recall): only within 24 hours of
   * sending, and only the WeCom-client copy: copies delivered to the WeChat plugin stay.
   */
  recallMessage(msgid: string): Promise<void>
  /**
   * Replaces a sent card (`card`) or greys its tapped button with a new text (`replaceName`) for
   * these members, with a response code from the send or from a tap: each code works once, for
   * 72 hours at most (docs/cards.md, Updating a card).
   */
  updateTemplateCard(update: CardUpdate): Promise<void>
  /** Sets the app's custom menu (checked with checkMenu first), replacing the one before. */
  createMenu(menu: AppMenu): Promise<void>
  /** The app's custom menu, or null when none is set (WeCom's 46003). */
  getMenu(): Promise<AppMenu | null>
  deleteMenu(): Promise<void>
  /** Who a web login's code names (auth/getuserinfo; docs/wecom.md, Web login); a code works once. */
  loginIdentity(code: string): Promise<LoginIdentity>
  /** When all of these members may next receive a message (null: now). */
  memberRetryAt(userids: readonly string[]): Date | null
  /**
   * Resolves when an access token can be had: the cached one, or one fetched now when there is
   * none (readiness checks; no gettoken call while the cached token is valid). Rejects with
   * WeCom's error (40001: wrong secret), or with the configuration error the last API call met
   * (60020: this server's IP is not trusted), until an API call succeeds again.
   */
  checkToken(): Promise<void>
}

/**
 * The WeCom server API for one self-built app: access-token cache (single-flight, one refresh
 * and one retry on a token error), message/send with batching, card updates, the app's menu,
 * media/upload and media/get, appchat and the group robot, with per-member and per-robot rate limits enforced
 * before WeCom would silently drop a message. Only its base URL and fetch are needed to point it at the fake server.
 */
export function createWeComClient(options: WeComClientOptions): WeComClient {
  const context = createClientContext(options, fetchToken)
  return {
    sendMessage: (recipients, message, sendOptions) => sendMessage(context, recipients, message, sendOptions),
    uploadMedia: (type, filename, data) => uploadMedia(context, type, filename, data),
    downloadMedia: (mediaId, downloadOptions) => downloadMedia(context, mediaId, downloadOptions),
    createAppChat: (chat) => createAppChat(context, chat),
    sendAppChat: (chatid, message) => sendAppChat(context, chatid, message),
    sendRobot: (key, message) => sendRobot(context, key, message),
    recallMessage: (msgid) => recallMessage(context, msgid),
    updateTemplateCard: (update) => updateTemplateCard(context, update),
    createMenu: (menu) => createMenu(context, menu),
    getMenu: () => getMenu(context),
    deleteMenu: () => deleteMenu(context),
    checkToken: () => checkToken(context),
    loginIdentity: (code) => identityOf(context, code),
    memberRetryAt: (userids) => memberRetryAt(context, userids),
  }
}

async function uploadMedia(context: ClientContext, type: 'file' | 'image' | 'voice' | 'video', filename: string, data: Uint8Array): Promise<string> {
  const form = new FormData()
  form.append('media', new Blob([data], { type: 'application/octet-stream' }), filename)
  const body = await call(context, 'media/upload', { method: 'POST', query: { type }, form })
  return String(body.media_id)
}

async function createAppChat(context: ClientContext, chat: { name: string; userlist: readonly string[]; owner?: string; chatid?: string }): Promise<string> {
  const body = await call(context, 'appchat/create', { method: 'POST', json: chat })
  return String(body.chatid)
}

async function sendAppChat(context: ClientContext, chatid: string, message: AppMessage): Promise<void> {
  await call(context, 'appchat/send', { method: 'POST', json: { chatid, ...message } })
}

/** The group robot's webhook takes its key, not the app's token. */
async function sendRobot(context: ClientContext, key: string, message: RobotMessage): Promise<void> {
  const blocked = context.robots.check([key], context.now())
  if (blocked) throw new RateLimitedError(new Date(blocked.retryAt), ['robot'])
  const body = await request(context, 'webhook/send', { method: 'POST', query: { key }, json: message })
  context.robots.record([key], context.now())
  if (body.errcode) throw new WeComApiError('webhook/send', body.errcode, String(body.errmsg ?? ''))
}

async function recallMessage(context: ClientContext, msgid: string): Promise<void> {
  await call(context, 'message/recall', { method: 'POST', json: { msgid } })
}

async function checkToken(context: ClientContext): Promise<void> {
  await context.tokens.get()
  if (context.configError) throw context.configError
}

function memberRetryAt(context: ClientContext, userids: readonly string[]): Date | null {
  const blocked = context.members.check(userids, context.now())
  return blocked ? new Date(blocked.retryAt) : null
}
