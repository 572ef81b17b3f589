import type { ClientContext } from './client-context.js'
import { call } from './client-request.js'

/**
 * Signing in to a page through WeCom (docs/wecom.md, Web login): a link sends the person to
 * WeCom, which sends them back to `redirectUri` with `code` and our `state`; the code is
 * exchanged once, through auth/getuserinfo, for who they are.
 */

/** `state` as WeCom takes it: letters and digits, at most 128 bytes. */
const STATE = /^[A-Za-z0-9]{1,128}$/

function checkState(state: string): void {
  if (!STATE.test(state)) throw new Error('web login state: letters and digits, at most 128')
}

/** The link for a page opened inside the WeCom client (OAuth, snsapi_base: no consent screen). */
export function oauthUrl(app: { corpId: string; agentId: number }, redirectUri: string, state: string): string {
  checkState(state)
  const query = new URLSearchParams({ appid: app.corpId, redirect_uri: redirectUri, response_type: 'code', scope: 'snsapi_base', state, agentid: String(app.agentId) })
  return `https://open.weixin.qq.com/connect/oauth2/authorize?${query.toString()}#wechat_redirect`
}

/** The link for a desk browser: WeCom's QR code (or the desktop client's quick login). */
export function qrLoginUrl(app: { corpId: string; agentId: number }, redirectUri: string, state: string): string {
  checkState(state)
  const query = new URLSearchParams({ login_type: 'CorpApp', appid: app.corpId, agentid: String(app.agentId), redirect_uri: redirectUri, state })
  return `https://login.work.weixin.qq.com/wwlogin/sso/login?${query.toString()}`
}

/** Who a login code names: a member (their userid, lower-cased), or someone outside the organization. */
export type LoginIdentity = { kind: 'member'; userid: string } | { kind: 'outsider' }

/**
 * auth/getuserinfo: the code exchanged, once. It answers for members outside the app's visible
 * range too, so who may see what is decided by our roster, not by WeCom. Throws WeComApiError for
 * a used (42022) or invalid/expired (40029) code.
 */
export async function identityOf(context: ClientContext, code: string): Promise<LoginIdentity> {
  const body = await call(context, 'auth/getuserinfo', { method: 'GET', query: { code } })
  // Older code reads UserId from the legacy endpoint; this one answers userid.
  const userid = typeof body.userid === 'string' ? body.userid : ''
  return userid ? { kind: 'member', userid: userid.toLowerCase() } : { kind: 'outsider' }
}
