import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The dashboard's session: who signed in and until when, in a cookie signed with the session
 * secret (HMAC-SHA256), so that any instance reads it and nothing is stored per session
 * (docs/dashboard.md, Sessions). Never logged: the secret, the cookie.
 */
export interface Session {
  /** The roster member's userid (lower case). */
  userid: string
  /** Random, per sign-in: the CSRF token of the session's forms is made from it. */
  sid: string
  /** Expiry, epoch ms. */
  exp: number
}

/** How long a session lasts: a working day. */
export const SESSION_HOURS = 8

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url')
const mac = (secret: string, purpose: string, value: string) => createHmac('sha256', secret).update(`${purpose}\n${value}`).digest()

/** The cookie value for a new session of `userid`, signed; and the session itself. */
export function newSession(secret: string, userid: string, now: Date): { value: string; session: Session } {
  const session: Session = { userid: userid.toLowerCase(), sid: randomBytes(16).toString('base64url'), exp: now.getTime() + SESSION_HOURS * 3_600_000 }
  const body = b64(JSON.stringify(session))
  return { value: `${body}.${b64(mac(secret, 'session', body))}`, session }
}

/** The session a cookie value holds: null when missing, forged, malformed or expired. */
export function readSession(secret: string, value: string | undefined, now: Date): Session | null {
  if (!value || value.length > 1024) return null
  const [body, signature, extra] = value.split('.')
  if (!body || !signature || extra !== undefined) return null
  if (!sameBytes(Buffer.from(signature, 'base64url'), mac(secret, 'session', body))) return null
  try {
    const session = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Session>
    if (typeof session.userid !== 'string' || typeof session.sid !== 'string' || typeof session.exp !== 'number') return null
    return session.exp > now.getTime() ? (session as Session) : null
  } catch {
    return null
  }
}

/** The CSRF token of a session's forms: bound to the session, unguessable without the secret. */
export function csrfToken(secret: string, session: Session): string {
  return b64(mac(secret, 'csrf', session.sid))
}

/** Whether a form's token is the session's (constant time). */
export function checkCsrf(secret: string, session: Session, token: string | undefined): boolean {
  return typeof token === 'string' && token.length < 200 && sameBytes(Buffer.from(token, 'base64url'), mac(secret, 'csrf', session.sid))
}

/**
 * A login's `state`: random letters and digits, kept in a short-lived cookie set before the
 * redirect to WeCom and compared when WeCom sends the person back (no login CSRF).
 */
export function newLoginState(): string {
  return randomBytes(18).toString('hex')
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
