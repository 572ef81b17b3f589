import { chromium } from 'playwright-core'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DataSource } from 'typeorm'
import type { Dispatcher } from '../../src/bot/dispatcher.js'
import { createApp } from '../../src/http/create-app.js'
import type { DashboardSettings } from '../../src/http/dashboard/register-dashboard.js'
import { createLogger } from '../../src/logger.js'

export const DASHBOARD_SECRET = 'dashboard-test-secret-of-32-chars!!'

/** A cookie jar and plain HTTP against one app: what a browser does, without script. */
export function browser(base: string) {
  const jar = new Map<string, string>()
  async function go(path: string, init: { method?: string; form?: Record<string, string>; agent?: string } = {}) {
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(init.agent ? { 'user-agent': init.agent } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const [name, value] = pair!.split('=') as [string, string]
      if (value === '') jar.delete(name)
      else jar.set(name, value)
    }
    const bytes = Buffer.from(await response.arrayBuffer())
    return { status: response.status, location: response.headers.get('location'), body: bytes.toString('utf8'), bytes, headers: response.headers, cookies: response.headers.getSetCookie() }
  }
  return { go, jar }
}

export type Browser = ReturnType<typeof browser>

export async function listen(app: ReturnType<typeof createApp>, host = '127.0.0.1'): Promise<{ server: Server; base: string; close: () => Promise<void> }> {
  const server = app.listen(0, host)
  await new Promise((resolve) => server.once('listening', resolve))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

/** The app with the dashboard in console mode (development login), and the dispatcher for its actions when given. */
export async function consoleDashboard(dataSource: DataSource, now: () => Date, dispatcher?: Dispatcher, settings: Partial<DashboardSettings> = {}, host = '127.0.0.1') {
  const dashboard: DashboardSettings = { secret: DASHBOARD_SECRET, publicUrl: 'http://localhost:3000', wecom: null, ...settings }
  return listen(createApp({ dataSource, logger: createLogger('silent'), deliveryMode: 'console', now, dashboard: dispatcher ? { ...dashboard, dispatcher } : dashboard }), host)
}

/** Signs in through console mode's development login as `userid`: a browser holding the session. */
export async function devSignIn(base: string, userid: string, next = '/dash'): Promise<Browser> {
  const b = browser(base)
  const login = await b.go(`/dash/login?next=${encodeURIComponent(next)}`)
  const state = /name="state" value="([^"]+)"/.exec(login.body)?.[1]
  if (!state) throw new Error('no development login page')
  const signed = await b.go('/dash/login/dev', { form: { state, next, userid } })
  if (signed.status !== 302) throw new Error(`development login as ${userid} refused: ${signed.status}`)
  return b
}

/** The CSRF token of the forms on a page. */
export function csrfOf(page: string): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1]
  if (!token) throw new Error('no form on the page')
  return token
}

/**
 * Debian's chromium through playwright-core (.ci/run installs it), without the calls home it makes
 * by default (this network is closed); playwright gives it a fresh profile each launch.
 */
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}

/** The text of some HTML as a reader sees it: tags gone (a <br> a new line), entities read. */
export function textOf(html: string): string {
  return html
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}
