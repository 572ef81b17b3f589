import { join } from 'node:path'
import { pino, type DestinationStream, type Logger, type StreamEntry } from 'pino'
import { describeError, isStatementError, toDatabaseErrorFacts } from './describe-error.js'

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

type ErrorLike = { name?: unknown; message: string; stack?: unknown; cause?: unknown; errors?: unknown } & Record<string, unknown>

const isErrorLike = (value: unknown): value is ErrorLike => typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string'

/** A statement error's fields that hold its text or values (its code, errno and sqlState are kept). */
const STATEMENT_FIELDS = new Set(['query', 'parameters', 'sql', 'sqlMessage', 'driverError'])
/** An EntityNotFoundError's criteria (the values looked for) and entity metadata. */
const CRITERIA_FIELDS = new Set(['criteria', 'entityClass'])

/** The error and its causes, each once. */
function causeChain(error: ErrorLike): ErrorLike[] {
  const chain: ErrorLike[] = []
  for (let at: unknown = error; isErrorLike(at) && !chain.includes(at); at = at.cause) chain.push(at)
  return chain
}

/**
 * Errors as pino writes them (type, message and stack with their causes', other fields), but
 * never what a person typed: a failed statement's text, parameters and quoted values are left
 * out, also from the message, the stack's first line and any message quoting a cause's
 * (docs/logging.md); and any query-string secret in a message or stack is censored.
 */
function serializeError(error: unknown, seen = new Set<object>()): unknown {
  if (!isErrorLike(error)) return typeof error === 'string' ? scrub(error) : error
  const chain = causeChain(error)
  for (const link of chain) seen.add(link)
  // A statement error's own words, wherever a wrapping error repeats them, become its description.
  const unsafe = chain.flatMap((link) => [link, link.driverError]).filter(isErrorLike).filter(isStatementError)
  const swaps = new Map(unsafe.filter((link) => link.message !== '').map((link) => [link.message, describeError(link)]))
  const repeated = swaps.size === 0 ? null : new RegExp([...swaps.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g')
  const swap = (text: string) => (repeated ? text.replace(repeated, (raw) => swaps.get(raw)!) : text)
  const serialized: Record<string, unknown> = {
    type: typeof error.constructor === 'function' ? error.constructor.name : error.name,
    message: scrub(chain.map((link) => (isStatementError(link) ? describeError(link) : swap(describeError(link)))).join(': ')),
    stack: scrub(chain.map((link) => (isStatementError(link) ? safeStack(link) : swap(safeStack(link)))).join('\ncaused by: ')),
  }
  const hidden = isStatementError(error) ? STATEMENT_FIELDS : error.name === 'EntityNotFoundError' ? CRITERIA_FIELDS : undefined
  for (const key in error) {
    if (key === 'cause' || key in serialized || hidden?.has(key)) continue
    const value = error[key]
    if (!isErrorLike(value)) serialized[key] = value
    else if (!seen.has(value)) serialized[key] = serializeError(value, seen)
  }
  const statement = toDatabaseErrorFacts(error)?.statement
  if (statement) serialized.statement = statement
  if (Array.isArray(error.errors)) serialized.aggregateErrors = error.errors.map((each: unknown) => serializeError(each, seen))
  return serialized
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The stack with its first line (which repeats the message) saying the safe message instead. */
function safeStack(error: ErrorLike): string {
  const stack = typeof error.stack === 'string' ? error.stack : ''
  const message = describeError(error)
  if (message === error.message) return stack
  const at = error.message === '' ? -1 : stack.indexOf(error.message)
  if (at !== -1) return `${stack.slice(0, at)}${message}${stack.slice(at + error.message.length)}`
  const frames = stack.search(/\n\s+at /)
  return `${String(error.name)}: ${message}${frames === -1 ? '' : stack.slice(frames)}`
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

/** An error under `err` (pino's key, also for an Error logged on its own) or `error`. */
const toLogged = (error: unknown) => serializeError(error)

/** Structured JSON logs on stdout (or a given stream, for tests), with secrets redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'supervision-bot' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: toLogged, error: toLogged } }
  const capture = captureStream()
  if (!capture) return pino(options, destination)
  const streams: StreamEntry[] = [capture]
  if (level !== 'silent') streams.push({ level: level as pino.Level, stream: destination ?? pino.destination(1) })
  return pino({ ...options, level: pino.levels.values[level] !== undefined && pino.levels.values[level]! < pino.levels.values.debug! ? level : 'debug' }, pino.multistream(streams))
}
