import type { DataSource } from 'typeorm'
import { withDeadline } from '../time/with-deadline.js'
import type { WeComClient } from '../wecom/wecom-client.js'

export interface CheckResult {
  ok: boolean
  [detail: string]: unknown
}

export interface Readiness {
  ready: boolean
  checks: { database: CheckResult; migrations: CheckResult; wecom: CheckResult }
}

export interface ReadinessDependencies {
  dataSource: DataSource
  /** null: console delivery mode, nothing to check. */
  wecom: Pick<WeComClient, 'checkToken'> | null
  /** Each check gives up after this long, default 3 s (a probe must answer before its own timeout). */
  timeoutMs?: number
  /** A failed token check is repeated at most this often, default 30 s: WeCom bans an IP that keeps asking with a wrong secret (docs/wecom.md, Errors: 45009). */
  wecomRetryMs?: number
  now?: () => number
}

/**
 * Whether this replica can do its work: the database answers, its schema is exactly the one
 * this code's migrations build (none pending, none unknown — a newer replica migrated ahead),
 * and an access token can be had (the client's cache answers without calling WeCom while its
 * token is valid) or the service is in console mode.
 */
export function createReadinessCheck({ dataSource, wecom, timeoutMs = 3000, wecomRetryMs = 30_000, now = Date.now }: ReadinessDependencies): () => Promise<Readiness> {
  let tokenFailure: { at: number; result: CheckResult } | undefined
  const noAnswer = () => new Error(`no answer within ${timeoutMs} ms`)

  async function database(): Promise<CheckResult> {
    if (!dataSource.isInitialized) return { ok: false, error: 'not connected' }
    await withDeadline(dataSource.query('SELECT 1'), timeoutMs, noAnswer)
    return { ok: true }
  }

  async function migrations(): Promise<CheckResult> {
    if (!dataSource.isInitialized) return { ok: false, error: 'not connected' }
    const rows = (await withDeadline(dataSource.query(`SELECT name FROM ${dataSource.options.migrationsTableName ?? 'migrations'}`), timeoutMs, noAnswer)) as { name: string }[]
    const executed = new Set(rows.map((row) => row.name))
    const known = dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name)
    const pending = known.filter((name) => !executed.has(name))
    const unknown = [...executed].filter((name) => !known.includes(name))
    if (pending.length === 0 && unknown.length === 0) return { ok: true, executed: executed.size }
    return { ok: false, pending, unknown }
  }

  async function token(): Promise<CheckResult> {
    if (!wecom) return { ok: true, mode: 'console' }
    if (tokenFailure && now() - tokenFailure.at < wecomRetryMs) return tokenFailure.result
    try {
      await withDeadline(wecom.checkToken(), timeoutMs, noAnswer)
      tokenFailure = undefined
      return { ok: true, mode: 'wecom' }
    } catch (error) {
      const errcode = (error as { errcode?: number }).errcode
      const api = (error as { api?: string }).api
      const result = { ok: false, mode: 'wecom', api, ...(errcode === undefined ? {} : { errcode }), error: (error as Error).message }
      // Only a refused gettoken is remembered: another API's refusal (60020) asks WeCom nothing again.
      if (api === 'gettoken') tokenFailure = { at: now(), result }
      return result
    }
  }

  return async () => {
    const [db, schema, wecomCheck] = await Promise.all([database(), migrations(), token()].map((check) => check.catch(failed)))
    const checks = { database: db!, migrations: schema!, wecom: wecomCheck! }
    return { ready: Object.values(checks).every((check) => check.ok), checks }
  }
}

function failed(error: unknown): CheckResult {
  return { ok: false, error: (error as Error).message }
}

