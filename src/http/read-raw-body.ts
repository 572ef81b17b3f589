import type { IncomingMessage } from 'node:http'
import { CallbackVerificationError } from '../wecom/errors.js'

/**
 * Reads the request body as bytes, refusing more than `limit` (413) — no body parser runs before
 * the signature is checked (docs/architecture.md, How the code is built).
 */
export async function readRawBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0)
  if (declared > limit) throw new CallbackVerificationError(413, 'too_large', `body of ${declared} bytes is over ${limit}`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > limit) throw new CallbackVerificationError(413, 'too_large', `body is over ${limit} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
