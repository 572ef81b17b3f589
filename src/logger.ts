import { join } from 'node:path'
import { pino, stdSerializers, type DestinationStream, type Logger, type StreamEntry } from 'pino'

export type { Logger }

/** Paths never written to a log, whatever a caller passes (WeCom secret, token, AES key, access tokens, robot keys). */
export const REDACTED_PATHS = [
  'secret',
  'token',
  'aesKey',
  'accessToken',
  'access_token',
  'corpsecret',
  'robotKey',
  'password',
  '*.secret',
  '*.token',
  '*.aesKey',
  '*.accessToken',
  '*.access_token',
  '*.corpsecret',
  '*.robotKey',
  '*.password',
  '*.*.secret',
  '*.*.token',
  '*.*.aesKey',
  '*.*.password',
]

/** A secret in a URL's query (access_token=…, corpsecret=…, a robot's key=…), as an error message may quote it. */
const SECRET_IN_QUERY = /\b(access_token|corpsecret|key)=[^&\s"'<>]+/g
const scrub = (text: string | undefined) => text?.replace(SECRET_IN_QUERY, '$1=[redacted]')

/** Errors as pino writes them (or a message given as `err`), with any query-string secret in the message or stack censored. */
function serializeError(error: unknown) {
  if (!(error instanceof Error)) return typeof error === 'string' ? scrub(error) : error
  const serialized = stdSerializers.err(error)
  serialized.message = scrub(serialized.message) ?? ''
  serialized.stack = scrub(serialized.stack) ?? ''
  return serialized
}

/**
 * LOG_CAPTURE_DIR (test suite only, default unset): every process also writes all its log lines
 * at debug level to `<dir>/<pid>.ndjson`, whatever level or destination it asked for, so that
 * the suite can scan what the service would log for secrets (test/log-capture/).
 */
function captureStream(): StreamEntry | null {
  const dir = process.env.LOG_CAPTURE_DIR
  if (!dir) return null
  return { level: 'debug', stream: pino.destination({ dest: join(dir, `${process.pid}.ndjson`), sync: true, mkdir: true, append: true }) }
}

/** Structured JSON logs on stdout (or a given stream, for tests), with secrets redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'supervision-bot' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } }
  const capture = captureStream()
  if (!capture) return pino(options, destination)
  const streams: StreamEntry[] = [capture]
  if (level !== 'silent') streams.push({ level: level as pino.Level, stream: destination ?? pino.destination(1) })
  return pino({ ...options, level: pino.levels.values[level] !== undefined && pino.levels.values[level]! < pino.levels.values.debug! ? level : 'debug' }, pino.multistream(streams))
}
