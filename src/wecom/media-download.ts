import type { ClientContext } from './client-context.js'
import { CONFIG_ERRCODES, TOKEN_ERRCODES, WeComApiError, WeComHttpError } from './errors.js'

/**
 * Media people send to the app (docs/wecom.md, Media people send): `GET /cgi-bin/media/get`
 * answers with the bytes, their Content-Type and a `Content-disposition` filename, or — with
 * HTTP 200 too — with a JSON error. Large files come in `Range` requests of at most 20 MB each.
 */

const API = 'media/get'

/**
 * Bytes asked for in one Range request. WeCom's limit is "20 MB" a range (830002 beyond it); we
 * stay at 20,000,000 bytes so that it holds whether WeCom counts a MB as 10^6 or 2^20 bytes.
 */
export const MEDIA_RANGE_BYTES = 20_000_000

/** A JSON error answer is a few hundred bytes; more than this is not one. */
const ERROR_BODY_LIMIT = 64 * 1024

export interface DownloadOptions {
  /** The largest file accepted: a bigger one is refused with MediaTooLargeError before its bytes are read. */
  maxBytes: number
}

export interface DownloadedMedia {
  /** The Content-Type WeCom gave, as given (e.g. `image/jpeg`). */
  contentType: string
  /** The name from `Content-disposition` (directories removed), or null when WeCom gave none. */
  filename: string | null
  bytes: Buffer
}

/** A file bigger than the caller accepts: `size` bytes (declared by WeCom, or read so far), `maxBytes` the limit. */
export class MediaTooLargeError extends Error {
  readonly code = 'media_too_large'
  readonly retryable = false
  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`WeCom ${API}: the file has ${size} bytes, more than the ${maxBytes} accepted`)
    this.name = 'MediaTooLargeError'
  }
}

/**
 * Downloads one media id: a first request for `bytes=0-…`, then, when Content-Range says the
 * file is longer, the rest in ranges of at most MEDIA_RANGE_BYTES. A 200 with the whole file is
 * taken too. A token error drops the token and retries that request once (as every call does);
 * any other errcode throws WeComApiError (40007: unknown or expired media id).
 */
export async function downloadMedia(context: ClientContext, mediaId: string, options: DownloadOptions): Promise<DownloadedMedia> {
  const maxBytes = options.maxBytes
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`downloadMedia: maxBytes must be a whole number ≥ 0, not ${maxBytes}`)
  // Never more than maxBytes + 1 in the first request: enough to tell a file that fits from one that does not.
  const firstEnd = Math.min(MEDIA_RANGE_BYTES, maxBytes + 1) - 1
  let first = await fetchPart(context, mediaId, { start: 0, end: firstEnd }, maxBytes)
  // An empty file has no byte 0: ask for it whole.
  if (first.kind === 'unsatisfiable') first = await fetchPart(context, mediaId, null, maxBytes)
  if (first.kind === 'unsatisfiable') throw new WeComHttpError(API, 'status', 416)
  if (first.kind === 'whole') return { contentType: first.contentType, filename: first.filename, bytes: first.bytes }

  // A total of '*' (unknown) is read range after range until one comes back short.
  const total = first.total
  const parts = [first.bytes]
  let received = first.bytes.length
  let more = total === null ? first.bytes.length === firstEnd + 1 : received < total
  while (more) {
    const end = Math.min(received + MEDIA_RANGE_BYTES, total ?? Number.MAX_SAFE_INTEGER) - 1
    const part = await fetchPart(context, mediaId, { start: received, end }, maxBytes)
    if (part.kind === 'unsatisfiable' && total === null) break
    if (part.kind !== 'range' || part.start !== received || (total !== null && part.total !== total)) {
      throw new WeComHttpError(API, 'parse', part.kind === 'unsatisfiable' ? 416 : 206, 'ranges do not fit together')
    }
    parts.push(part.bytes)
    received += part.bytes.length
    more = total === null ? part.bytes.length === end - part.start + 1 : received < total
  }
  return { contentType: first.contentType, filename: first.filename, bytes: Buffer.concat(parts, received) }
}

type Part =
  | { kind: 'whole'; contentType: string; filename: string | null; bytes: Buffer }
  | { kind: 'range'; contentType: string; filename: string | null; bytes: Buffer; start: number; total: number | null }
  | { kind: 'unsatisfiable' }

/** One request (`range` null: without a Range header), with a fresh token and one retry after a token error. */
async function fetchPart(context: ClientContext, mediaId: string, range: { start: number; end: number } | null, maxBytes: number): Promise<Part> {
  for (let attempt = 0; ; attempt += 1) {
    const token = await context.tokens.get()
    const answer = await counted(context, () => requestPart(context, mediaId, range, maxBytes, token))
    if (!('errcode' in answer)) {
      context.configError = undefined
      return answer
    }
    const { errcode, errmsg } = answer
    if (attempt === 0 && TOKEN_ERRCODES.has(errcode)) {
      context.tokens.invalidate(token)
      continue
    }
    const error = new WeComApiError(API, errcode, errmsg)
    if (CONFIG_ERRCODES.has(errcode)) context.configError = error
    throw error
  }
}

/** Counts every failure once by errcode or HTTP trouble, as the JSON calls do (client-request.ts). */
async function counted<T>(context: ClientContext, run: () => Promise<T>): Promise<T> {
  try {
    const answer = await run()
    const errcode = (answer as { errcode?: number }).errcode
    if (errcode) context.metrics.wecomError(API, errcode)
    return answer
  } catch (error) {
    if (error instanceof WeComHttpError) context.metrics.wecomError(API, error.kind === 'status' ? `http_${error.status}` : error.kind)
    throw error
  }
}

async function requestPart(
  context: ClientContext,
  mediaId: string,
  range: { start: number; end: number } | null,
  maxBytes: number,
  token: string,
): Promise<Part | { errcode: number; errmsg: string }> {
  const url = new URL(`${context.base}/cgi-bin/${API}`)
  url.searchParams.set('access_token', token)
  url.searchParams.set('media_id', mediaId)
  const signal = AbortSignal.timeout(context.timeoutMs)
  let response: Response
  try {
    response = await context.fetch(url, { method: 'GET', headers: range ? { range: `bytes=${range.start}-${range.end}` } : undefined, signal })
  } catch (error) {
    throw transportError(error, context.timeoutMs)
  }
  const contentType = response.headers.get('content-type') ?? ''
  if (response.status === 416) {
    await discard(response)
    return { kind: 'unsatisfiable' }
  }
  if (response.status !== 200 && response.status !== 206) {
    await discard(response)
    throw new WeComHttpError(API, 'status', response.status)
  }
  // WeCom's errors come with HTTP 200 as JSON (some proxies label them text/plain): never bytes of a file.
  if (/^\s*(application\/json|text\/plain)\b/i.test(contentType)) return errorAnswer(response, context.timeoutMs)

  const filename = filenameOf(response.headers.get('content-disposition'))
  const declaredLength = lengthOf(response.headers.get('content-length'))
  if (response.status === 200) {
    if (declaredLength !== null && declaredLength > maxBytes) {
      await discard(response)
      throw new MediaTooLargeError(declaredLength, maxBytes)
    }
    const bytes = await readBody(response, maxBytes, context.timeoutMs)
    return { kind: 'whole', contentType, filename, bytes }
  }
  const contentRange = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(response.headers.get('content-range') ?? '')
  if (!contentRange) {
    await discard(response)
    throw new WeComHttpError(API, 'parse', 206, 'no usable Content-Range')
  }
  const start = Number(contentRange[1])
  const end = Number(contentRange[2])
  const total = contentRange[3] === '*' ? null : Number(contentRange[3])
  if (total !== null && total > maxBytes) {
    await discard(response)
    throw new MediaTooLargeError(total, maxBytes)
  }
  if (end < start || (range && (start !== range.start || end > range.end)) || (total !== null && end >= total)) {
    await discard(response)
    throw new WeComHttpError(API, 'parse', 206, 'Content-Range is not the range asked for')
  }
  const length = end - start + 1
  if (start + length > maxBytes) {
    await discard(response)
    throw new MediaTooLargeError(start + length, maxBytes)
  }
  const bytes = await readBody(response, length, context.timeoutMs)
  if (bytes.length !== length) throw new WeComHttpError(API, 'network', 206, `range cut short at ${bytes.length} of ${length} bytes`)
  return { kind: 'range', contentType, filename, bytes, start, total }
}

/** A JSON answer where bytes were expected: WeCom's errcode, or a parse error when it names none. */
async function errorAnswer(response: Response, timeoutMs: number): Promise<{ errcode: number; errmsg: string }> {
  let body: { errcode?: unknown; errmsg?: unknown }
  try {
    body = JSON.parse((await readBody(response, ERROR_BODY_LIMIT, timeoutMs)).toString('utf8')) as typeof body
  } catch (error) {
    if (error instanceof WeComHttpError) throw error
    throw new WeComHttpError(API, 'parse', response.status, 'a JSON answer that is not JSON')
  }
  const errcode = Number(body?.errcode)
  if (!Number.isInteger(errcode) || errcode === 0) throw new WeComHttpError(API, 'parse', response.status, 'a JSON answer without an errcode')
  return { errcode, errmsg: String(body.errmsg ?? '') }
}

/**
 * The body, read chunk by chunk: past `limit` bytes it stops reading and throws (a body longer
 * than its Content-Length or Content-Range, or than the caller accepts).
 */
async function readBody(response: Response, limit: number, timeoutMs: number): Promise<Buffer> {
  const reader = response.body?.getReader()
  if (!reader) return Buffer.alloc(0)
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > limit) {
        await reader.cancel().catch(() => undefined)
        if (response.status === 200) throw new MediaTooLargeError(size, limit)
        throw new WeComHttpError(API, 'parse', response.status, 'body longer than announced')
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof MediaTooLargeError || error instanceof WeComHttpError) throw error
    throw transportError(error, timeoutMs)
  }
  return Buffer.concat(chunks, size)
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined)
}

/** Only the error's name or code: undici's messages may quote the URL, and the URL holds the token. */
function transportError(error: unknown, timeoutMs: number): WeComHttpError {
  const err = error as { name?: string; cause?: { code?: string } }
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return new WeComHttpError(API, 'timeout', undefined, `${timeoutMs} ms`)
  return new WeComHttpError(API, 'network', undefined, err.cause?.code ?? err.name)
}

function lengthOf(value: string | null): number | null {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return null
  return Number(value)
}

/**
 * The filename of `Content-disposition: attachment; filename="…"` (or RFC 5987's `filename*=`).
 * WeCom writes a Chinese name as raw UTF-8, which fetch hands over one character per byte: such
 * a name is decoded again as UTF-8. Directories and control characters are dropped.
 */
export function filenameOf(header: string | null): string | null {
  if (!header) return null
  let name: string | undefined
  const extended = /filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)/i.exec(header)
  if (extended) {
    try {
      name = decodeURIComponent(extended[2]!.trim())
    } catch {
      name = undefined
    }
  }
  if (name === undefined) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header)
    if (!plain) return null
    name = plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2]!.trim()
    if (/[\u0080-\u00ff]/.test(name) && !/[^\u0000-\u00ff]/.test(name)) {
      const utf8 = Buffer.from(name, 'latin1').toString('utf8')
      if (!utf8.includes('\ufffd')) name = utf8
    }
  }
  const base = name
    .split(/[/\\]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
  return base === '' || base === '.' || base === '..' ? null : base
}
