import { describe, expect, it } from 'vitest'
import { checkCsrf, csrfToken, newLoginState, newSession, readSession, SESSION_HOURS } from '../src/http/dashboard/session.js'

const SECRET = 'a-session-secret-of-32-characters!'
const now = new Date('2015-09-01T02:00:00Z')

/** The dashboard's signed session cookie and CSRF tokens (docs/dashboard.md, Sessions). */
describe('dashboard sessions', () => {
  it('reads back a session it signed, until it expires after 8 hours', () => {
    const { value, session } = newSession(SECRET, 'LiNa', now)
    expect(session.userid).toBe('lina')
    expect(readSession(SECRET, value, now)).toEqual(session)
    expect(readSession(SECRET, value, new Date(now.getTime() + SESSION_HOURS * 3_600_000 - 1))).toEqual(session)
    expect(readSession(SECRET, value, new Date(now.getTime() + SESSION_HOURS * 3_600_000))).toBeNull()
  })

  it('refuses a cookie signed with another secret, changed, truncated, or not ours at all', () => {
    const { value } = newSession(SECRET, 'lina', now)
    const [body, signature] = value.split('.') as [string, string]
    const forged = Buffer.from(JSON.stringify({ userid: 'wangjian', sid: 'x', exp: now.getTime() + 1e9 })).toString('base64url')
    expect(readSession('another-secret', value, now)).toBeNull()
    expect(readSession(SECRET, `${forged}.${signature}`, now)).toBeNull()
    expect(readSession(SECRET, body, now)).toBeNull()
    expect(readSession(SECRET, `${value}.x`, now)).toBeNull()
    expect(readSession(SECRET, `${body}.${signature.slice(0, -2)}`, now)).toBeNull()
    expect(readSession(SECRET, 'x'.repeat(2000), now)).toBeNull()
    expect(readSession(SECRET, undefined, now)).toBeNull()
  })

  it('binds the CSRF token to the session: another session’s token or a made-up one fails', () => {
    const a = newSession(SECRET, 'lina', now).session
    const b = newSession(SECRET, 'lina', now).session
    expect(checkCsrf(SECRET, a, csrfToken(SECRET, a))).toBe(true)
    expect(checkCsrf(SECRET, a, csrfToken(SECRET, b))).toBe(false)
    expect(checkCsrf(SECRET, a, undefined)).toBe(false)
    expect(checkCsrf(SECRET, a, 'AAAA')).toBe(false)
  })

  it('makes login states WeCom takes (letters and digits), different each time', () => {
    const states = new Set(Array.from({ length: 50 }, newLoginState))
    expect(states.size).toBe(50)
    for (const state of states) expect(state).toMatch(/^[A-Za-z0-9]{1,128}$/)
  })
})
