import type { OfficeHours } from '../time/office-hours.js'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { DEFAULT_DATABASE_URL, parseDatabaseUrl, redactDatabaseUrl, type DatabaseTarget } from './database-url.js'

export const DEFAULT_WECOM_API_BASE = 'https://qyapi.weixin.qq.com'
/** The plan used when none is named: the county's 2015 plan (docs/plan.md). */
export const DEFAULT_PLAN = 'weiguan-buwei-2015'

/** Credentials of the self-built app (自建应用); all five or none. */
export interface WeComCredentials {
  corpId: string
  agentId: number
  secret: string
  token: string
  aesKey: string
}

export interface QuietHours {
  startMinute: number
  endMinute: number
}

const DEMO_DATA_MODES = ['auto', 'on', 'off'] as const
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type DemoDataMode = (typeof DEMO_DATA_MODES)[number]
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Config {
  database: DatabaseTarget
  /** DATABASE_URL as given, password redacted, for messages. */
  databaseUrl: string
  host: string
  port: number
  /** The admin listener (/healthz, /readyz, /metrics): loopback by default; port null: off. */
  adminHost: string
  adminPort: number | null
  /** When set, the admin endpoints require `Authorization: Bearer <token>`; never logged. */
  adminToken: string | null
  /** null: console delivery mode (no WeCom credentials configured). */
  wecom: WeComCredentials | null
  wecomApiBase: string
  callbackPath: string
  /** Accepted difference between a callback's timestamp and our clock, seconds. */
  callbackWindowSeconds: number
  /** Console mode: where the local callback secrets for `npm run chat` are kept. */
  devCallbackFile: string
  /** When the daily reminder sweep runs on working days, Beijing time: [hour, minute]. */
  sweepTime: readonly [number, number]
  /** When joint-meeting participants are reminded, the working day before the meeting (Beijing). */
  meetingReminderTime: readonly [number, number]
  /** On the month's last working day, from this time (Beijing), the monthly workbook goes to the org_admins. */
  monthlyReportTime: readonly [number, number]
  /** Console mode: where files the bot would send (the monthly workbook) are written. */
  consoleFileDirectory: string
  /** Console mode: where `npm run chat -- --image` leaves the media it plays, read instead of WeCom's media/get (docs/evidence.md). */
  consoleMediaDirectory: string
  /** The largest evidence file kept, in bytes (EVIDENCE_MAX_MB). */
  evidenceMaxBytes: number
  /** Non-urgent messages wait while it is quiet, in Beijing time; minutes after midnight. */
  quietHours: QuietHours
  /** Office hours of working days (Beijing; minutes after midnight) in which response times are counted (docs/responsiveness.md). */
  officeHours: OfficeHours
  /** 通报: hours, counted on working days only, after which those who have not acknowledged get one reminder (default 24). */
  circularRemindAfterHours: number
  /**
   * Outbox sends in flight at once (default 4). A crash can leave each of them delivered but not
   * recorded, to be sent again (WeCom's duplicate check drops app messages; replies would repeat).
   */
  deliveryConcurrency: number
  /** The largest spreadsheet an import reads, bytes (IMPORT_MAX_MB, default 50 MB; docs/imports.md). */
  importMaxBytes: number
  /** Group robots by name → webhook key (secret). */
  robots: Readonly<Record<string, string>>
  /** Button cards for those who can see them (WECOM_CARDS, default on); off: everyone gets text (docs/cards.md). */
  cards: boolean
  /**
   * Behind a reverse proxy (TRUST_PROXY, default off): the client's address is the last one the
   * proxy appended to X-Forwarded-For, for 整改公示's per-address limit (docs/disclosure.md).
   */
  trustProxy: boolean
  /**
   * The dashboard (docs/dashboard.md): its public base URL (DASHBOARD_URL, on the app's trusted
   * domain; https makes its cookies Secure) and the secret its sessions are signed with
   * (DASHBOARD_SECRET, never logged). With WeCom both are needed; in console mode it runs on
   * this listener with a development login and a secret made at start.
   */
  dashboard: { url: string | null; secret: string | null }
  demoData: DemoDataMode
  /** The plan for demo data and the CLI's default: a built-in plan name or a JSON file path. */
  plan: string
  logLevel: LogLevel
}

type Env = Readonly<Record<string, string | undefined>>

/** Never echoed in a message: the app's secrets, the admin token, the robots' webhook keys. */
const SECRETS = new Set(['WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_AES_KEY', 'ADMIN_TOKEN', 'WECOM_ROBOTS', 'DASHBOARD_SECRET'])
const CREDENTIAL_VARS = ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_AES_KEY'] as const

/** A whole number from min to max, in digits only ("1.5", "1e3", "-1" are refused). */
const integer = (min: number, max: number) => z.string().regex(/^\d+$/).transform(Number).pipe(z.number().min(min).max(max))
/** "HH:MM", a time of day (Beijing), as [hour, minute]. */
const CLOCK = '([01]?\\d|2[0-3]):[0-5]\\d'
const hourAndMinute = (clock: string) => clock.split(':').map(Number) as [number, number]
const timeOfDay = z.string().regex(new RegExp(`^${CLOCK}$`)).transform(hourAndMinute)

/**
 * The environment, variable by variable. `prefault` is the default as the variable would say it.
 * A variable with a description is reported as its name, its value (unless secret) and the
 * description; DATABASE_URL and the set of credentials word their own messages.
 */
const EnvSchema = z
  .object({
    DATABASE_URL: z
      .string()
      .transform((url, ctx) => {
        const target = parseDatabaseUrl(url)
        if (!('problem' in target)) return { target, redacted: redactDatabaseUrl(url) }
        ctx.addIssue({ code: 'custom', message: target.problem })
        return z.NEVER
      })
      .prefault(DEFAULT_DATABASE_URL),
    HOST: z.string().prefault('0.0.0.0'),
    PORT: integer(0, 65535).prefault('3000').describe('应为 0–65535 的整数，例：3000（默认）'),
    ADMIN_HOST: z.string().prefault('127.0.0.1'),
    ADMIN_PORT: z
      .union([z.literal('off').transform(() => null), integer(0, 65535)])
      .prefault('3001')
      .describe('应为 0–65535 的整数或 off（不开管理端口），例：3001（默认）'),
    ADMIN_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]{16,}$/)
      .optional()
      .describe('应为至少 16 个字符、不含空格的随机字符串，例：用 openssl rand -hex 24 生成'),
    WECOM_CORP_ID: z
      .string()
      .regex(/^[A-Za-z0-9]{1,64}$/)
      .optional()
      .describe('应为字母和数字，例：ww1436e0e65a779aee（管理后台「我的企业」页底部）'),
    WECOM_AGENT_ID: integer(1, 2 ** 31 - 1)
      .optional()
      .describe('应为正整数，例：1000002（自建应用详情页的 AgentId）'),
    WECOM_SECRET: z.string().optional(),
    WECOM_TOKEN: z
      .string()
      .regex(/^[A-Za-z0-9]{1,32}$/)
      .optional()
      .describe('应为 1–32 位字母或数字，例：QDG6eK（与「设置API接收」页的 Token 一致）'),
    WECOM_AES_KEY: z
      .string()
      .refine(isValidAesKey)
      .optional()
      .describe('应为 43 位字母或数字、base64 解码后为 32 字节，例：jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C（与「设置API接收」页的 EncodingAESKey 一致）'),
    WECOM_API_BASE: z
      .string()
      .transform((url) => url.replace(/\/+$/, ''))
      .pipe(z.url({ protocol: /^https?$/ }))
      .prefault(DEFAULT_WECOM_API_BASE)
      .describe(`应为 http(s) 地址，例：${DEFAULT_WECOM_API_BASE}（默认）`),
    WECOM_CALLBACK_PATH: z
      .string()
      .regex(/^\/[A-Za-z0-9/_\-.]*$/)
      .prefault('/wecom/callback')
      .describe('应以 / 开头，只含字母、数字和 / _ - .，例：/wecom/callback（默认）'),
    WECOM_CALLBACK_WINDOW: integer(1, 86_400).prefault('300').describe('应为 1–86400 的秒数，例：300（默认）'),
    DEV_CALLBACK_FILE: z.string().prefault('data/dev-callback.json'),
    REMINDER_TIME: timeOfDay.prefault('09:05').describe('应为 HH:MM（北京时间），例：09:05（企业微信建议避开整点和半点）'),
    MEETING_REMINDER_TIME: timeOfDay.prefault('16:05').describe('应为 HH:MM（北京时间），例：16:05'),
    MONTHLY_REPORT_TIME: timeOfDay.prefault('17:00').describe('应为 HH:MM（北京时间），例：17:00'),
    CONSOLE_FILE_DIR: z.string().prefault('data/files'),
    CONSOLE_MEDIA_DIR: z.string().prefault('data/media'),
    EVIDENCE_MAX_MB: integer(1, 20).prefault('20').describe('应为 1–20 的整数（MB，企业微信上传文件的上限为 20 MB），例：20（默认）'),
    QUIET_HOURS: z
      .union([
        z.literal('off').transform(() => ({ startMinute: 0, endMinute: 0 })),
        z
          .string()
          .regex(new RegExp(`^${CLOCK}-${CLOCK}$`))
          .transform((range) => {
            const [[h1, m1], [h2, m2]] = range.split('-').map(hourAndMinute) as [[number, number], [number, number]]
            return { startMinute: h1 * 60 + m1, endMinute: h2 * 60 + m2 }
          }),
      ])
      .prefault('21:00-08:00')
      .describe('应为 HH:MM-HH:MM（北京时间），例：21:00-08:00；不需要免打扰时设为 off'),
    OFFICE_HOURS: z
      .string()
      .regex(new RegExp(`^${CLOCK}-${CLOCK}$`))
      .transform((range) => {
        const [[h1, m1], [h2, m2]] = range.split('-').map(hourAndMinute) as [[number, number], [number, number]]
        return { startMinute: h1 * 60 + m1, endMinute: h2 * 60 + m2 }
      })
      .refine((hours) => hours.startMinute < hours.endMinute)
      .prefault('08:30-17:30')
      .describe('应为 HH:MM-HH:MM（北京时间，开始早于结束），例：08:30-17:30（默认）'),
    DELIVERY_CONCURRENCY: integer(1, 16).prefault('4').describe('应为 1–16 的整数（同时发送的消息数），例：4（默认）'),
    CIRCULAR_REMIND_AFTER: integer(1, 720).prefault('24').describe('应为 1–720 的整数（小时，只计工作日），例：24（默认）'),
    IMPORT_MAX_MB: integer(1, 500).prefault('50').describe('应为 1–500 的整数（导入文件的大小上限，MB），例：50（默认）'),
    WECOM_ROBOTS: z
      .string()
      .transform((list) => list.split(',').map((entry) => entry.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[A-Za-z0-9_-]+=[A-Za-z0-9-]+$/)))
      .transform((entries) => Object.fromEntries(entries.map((entry) => entry.split('=') as [string, string])))
      .prefault('')
      .describe('应为 名称=key 的列表，用逗号分隔，例：lianxi=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa'),
    WECOM_CARDS: z.enum(['on', 'off']).prefault('on').describe('应为 on 或 off，例：on（默认）'),
    TRUST_PROXY: z.enum(['on', 'off']).prefault('off').describe('应为 on 或 off，例：on（在 nginx 等反向代理之后）'),
    DASHBOARD_URL: z
      .string()
      .pipe(z.url({ protocol: /^https?$/ }))
      .transform((url) => url.replace(/\/+$/, ''))
      .optional()
      .describe('应为看板对外的 http(s) 地址（企业微信可信域名），例：https://bot.example.gov.cn'),
    DASHBOARD_SECRET: z.string().min(32).optional().describe('应为至少 32 个字符的随机字符串'),
    DEMO_DATA: z.enum(DEMO_DATA_MODES).prefault('auto').describe('应为 auto、on 或 off，例：auto（默认）'),
    PLAN: z.string().prefault(DEFAULT_PLAN),
    LOG_LEVEL: z.enum(LOG_LEVELS).prefault('info').describe(`应为 ${LOG_LEVELS.join('、')} 之一，例：info（默认）`),
  })
  .superRefine(
    (vars, ctx) => {
      // With WeCom, the dashboard needs its address and its secret together.
      if (vars.WECOM_CORP_ID !== undefined && (vars.DASHBOARD_URL === undefined) !== (vars.DASHBOARD_SECRET === undefined)) {
        ctx.addIssue({ code: 'custom', message: `督办看板需要同时设置 DASHBOARD_URL 和 DASHBOARD_SECRET（缺少 ${vars.DASHBOARD_URL === undefined ? 'DASHBOARD_URL' : 'DASHBOARD_SECRET'}），或都不设置以关闭看板` })
      }
      const present = CREDENTIAL_VARS.filter((name) => vars[name] !== undefined)
      const missing = CREDENTIAL_VARS.filter((name) => vars[name] === undefined)
      if (present.length === 0 || missing.length === 0) return
      ctx.addIssue({
        code: 'custom',
        message:
          `企业微信凭据不完整：已设置 ${present.join('、')}，缺少 ${missing.join('、')}。` +
          '五项需全部设置（在企业微信管理后台「应用管理 → 自建应用」与「接收消息 → 设置API接收」中查看），' +
          '或全部不设置以控制台投递模式运行',
      })
    },
    // Also when single variables are wrong, so that every problem is reported at once.
    { when: () => true },
  )

/**
 * Reads the configuration once. Every problem is collected and thrown together in one
 * ConfigError, so an operator fixes them in one go. Secrets have no defaults.
 */
export function loadConfig(env: Env): Readonly<Config> {
  const vars = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value?.trim() || undefined]))
  const parsed = EnvSchema.safeParse(vars)
  if (!parsed.success) {
    throw new ConfigError([...new Set(parsed.error.issues.map((issue) => describeProblem(issue, vars)))])
  }
  const v = parsed.data
  const { WECOM_CORP_ID: corpId, WECOM_AGENT_ID: agentId, WECOM_SECRET: secret, WECOM_TOKEN: token, WECOM_AES_KEY: aesKey } = v
  return Object.freeze({
    database: Object.freeze(v.DATABASE_URL.target),
    databaseUrl: v.DATABASE_URL.redacted,
    host: v.HOST,
    port: v.PORT,
    adminHost: v.ADMIN_HOST,
    adminPort: v.ADMIN_PORT,
    adminToken: v.ADMIN_TOKEN ?? null,
    // All five or none: the schema refused a partial set.
    wecom: corpId && agentId && secret && token && aesKey ? Object.freeze({ corpId, agentId, secret, token, aesKey }) : null,
    wecomApiBase: v.WECOM_API_BASE,
    callbackPath: v.WECOM_CALLBACK_PATH,
    callbackWindowSeconds: v.WECOM_CALLBACK_WINDOW,
    devCallbackFile: v.DEV_CALLBACK_FILE,
    sweepTime: Object.freeze(v.REMINDER_TIME),
    meetingReminderTime: Object.freeze(v.MEETING_REMINDER_TIME),
    monthlyReportTime: Object.freeze(v.MONTHLY_REPORT_TIME),
    consoleFileDirectory: v.CONSOLE_FILE_DIR,
    consoleMediaDirectory: v.CONSOLE_MEDIA_DIR,
    evidenceMaxBytes: v.EVIDENCE_MAX_MB * 1024 * 1024,
    quietHours: Object.freeze(v.QUIET_HOURS),
    officeHours: Object.freeze(v.OFFICE_HOURS),
    circularRemindAfterHours: v.CIRCULAR_REMIND_AFTER,
    deliveryConcurrency: v.DELIVERY_CONCURRENCY,
    importMaxBytes: v.IMPORT_MAX_MB * 1024 * 1024,
    robots: Object.freeze(v.WECOM_ROBOTS),
    cards: v.WECOM_CARDS === 'on',
    trustProxy: v.TRUST_PROXY === 'on',
    dashboard: Object.freeze({ url: v.DASHBOARD_URL ?? null, secret: v.DASHBOARD_SECRET ?? null }),
    demoData: v.DEMO_DATA,
    plan: v.PLAN,
    logLevel: v.LOG_LEVEL,
  })
}

/** One line per problem: the variable, its value unless secret, and what it should be with an example. */
function describeProblem(issue: z.core.$ZodIssue, vars: Env): string {
  const name = String(issue.path[0] ?? '')
  const expected = (EnvSchema.shape as Record<string, z.ZodType>)[name]?.description
  if (expected === undefined) return issue.message
  return SECRETS.has(name) ? `${name} ${expected}` : `${name}「${vars[name]}」${expected}`
}

/** EncodingAESKey: 43 chars of [A-Za-z0-9], the unpadded base64 of a 32-byte AES key (docs/wecom.md, URL verification). */
export function isValidAesKey(key: string): boolean {
  return /^[A-Za-z0-9]{43}$/.test(key) && Buffer.from(`${key}=`, 'base64').length === 32
}
