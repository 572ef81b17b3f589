import type { FetchedToken } from './access-token-cache.js'
import type { CallInit, ClientContext, WeComResponse } from './client-context.js'
import { CONFIG_ERRCODES, TOKEN_ERRCODES, WeComApiError, WeComHttpError } from './errors.js'

/** One HTTP call; every failure (errcode ≠ 0 included, token retries too) is counted here, once. */
export async function request(context: ClientContext, api: string, init: CallInit, token?: string): Promise<WeComResponse> {
  try {
    const body = await requestOnce(context, api, init, token)
    if (body.errcode) context.metrics.wecomError(api, body.errcode)
    if (body.errcode && CONFIG_ERRCODES.has(body.errcode)) context.configError = new WeComApiError(api, body.errcode, String(body.errmsg ?? ''))
    else if (!body.errcode && token !== undefined) context.configError = undefined
    return body
  } catch (error) {
    const { kind, status } = error as WeComHttpError
    context.metrics.wecomError(api, kind === 'status' ? `http_${status}` : kind)
    throw error
  }
}

async function requestOnce(context: ClientContext, api: string, init: CallInit, token?: string): Promise<WeComResponse> {
  const { fetch: fetchImpl, timeoutMs } = context
  const url = new URL(`${context.base}/cgi-bin/${api}`)
  for (const [key, value] of Object.entries(init.query ?? {})) url.searchParams.set(key, value)
  if (token !== undefined) url.searchParams.set('access_token', token)
  let response: Response
  try {
    response = await fetchImpl(url, {
      method: init.method,
      headers: init.json === undefined ? undefined : { 'content-type': 'application/json' },
      body: init.form ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    // Only the error's code: undici's messages may quote the URL, and the URL holds the token.
    const err = error as { name?: string; cause?: { code?: string } }
    if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new WeComHttpError(api, 'timeout', undefined, `${timeoutMs} ms`)
    throw new WeComHttpError(api, 'network', undefined, err.cause?.code ?? err.name)
  }
  if (!response.ok) throw new WeComHttpError(api, 'status', response.status)
  try {
    return (await response.json()) as WeComResponse
  } catch {
    throw new WeComHttpError(api, 'parse', response.status, 'body is not JSON')
  }
}

/** gettoken, for the context's token cache, which asks once however many calls wait for a token. */
export async function fetchToken(context: ClientContext): Promise<FetchedToken> {
  const body = await request(context, 'gettoken', { method: 'GET', query: { corpid: context.corpId, corpsecret: context.secret } })
  if (body.errcode) throw new WeComApiError('gettoken', body.errcode, String(body.errmsg ?? ''))
  return { token: String(body.access_token), expiresIn: Number(body.expires_in ?? 7200) }
}

/** An authenticated call; a token error drops the token and retries once with a fresh one. */
export async function call(context: ClientContext, api: string, init: CallInit): Promise<WeComResponse> {
  for (let attempt = 0; ; attempt += 1) {
    const token = await context.tokens.get()
    const body = await request(context, api, init, token)
    const errcode = body.errcode ?? 0
    if (errcode === 0) return body
    if (attempt === 0 && TOKEN_ERRCODES.has(errcode)) {
      context.tokens.invalidate(token)
      continue
    }
    throw new WeComApiError(api, errcode, String(body.errmsg ?? ''))
  }
}
