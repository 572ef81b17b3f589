import { pino, type DestinationStream, type Logger } from 'pino'

export type { Logger }

/** Paths never written to a log, whatever a caller passes (WeCom secret, token, AES key, access tokens). */
export const REDACTED_PATHS = [
  'secret',
  'token',
  'aesKey',
  'accessToken',
  'access_token',
  'password',
  '*.secret',
  '*.token',
  '*.aesKey',
  '*.accessToken',
  '*.access_token',
  '*.password',
  '*.*.secret',
  '*.*.token',
  '*.*.aesKey',
  '*.*.password',
]

/** Structured JSON logs on stdout (or a given stream, for tests), with secrets redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'supervision-bot' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination)
}
