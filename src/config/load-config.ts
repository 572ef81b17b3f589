import { ConfigError } from '../errors.js'
import { DEFAULT_PLAN } from '../domain/plan/load-plan.js'
import { DEFAULT_DATABASE_URL, parseDatabaseUrl, redactDatabaseUrl, type DatabaseTarget } from '../db/database-url.js'

export const DEFAULT_WECOM_API_BASE = 'https://qyapi.weixin.qq.com'

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

export type DemoDataMode = 'auto' | 'on' | 'off'
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

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
  /** Non-urgent messages wait while it is quiet, in Beijing time; minutes after midnight. */
  quietHours: QuietHours
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
  demoData: DemoDataMode
  /** The plan for demo data and the CLI's default: a built-in plan name or a JSON file path. */
  plan: string
  logLevel: LogLevel
}

type Env = Readonly<Record<string, string | undefined>>

const CREDENTIAL_VARS = ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_AES_KEY'] as const
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/**
 * Reads the configuration once. Every problem is collected and thrown together in one
 * ConfigError, so an operator fixes them in one go. Secrets have no defaults.
 */
export function loadConfig(env: Env): Readonly<Config> {
  const problems: string[] = []
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === '' ? undefined : value
  }

  const databaseUrl = get('DATABASE_URL') ?? DEFAULT_DATABASE_URL
  const parsed = parseDatabaseUrl(databaseUrl)
  let database: DatabaseTarget = { kind: 'sqlite', path: 'data/bot.sqlite' }
  if ('problem' in parsed) problems.push(parsed.problem)
  else database = parsed

  const port = parseInteger(get('PORT') ?? '3000', 0, 65535)
  if (port === undefined) problems.push(`PORT「${get('PORT')}」应为 0–65535 的整数，例：PORT=3000`)

  const adminPortRaw = get('ADMIN_PORT') ?? '3001'
  const adminPort = adminPortRaw === 'off' ? null : parseInteger(adminPortRaw, 0, 65535)
  if (adminPort === undefined) problems.push(`ADMIN_PORT「${adminPortRaw}」应为 0–65535 的整数或 off（不开管理端口），默认 3001`)
  const adminToken = get('ADMIN_TOKEN') ?? null
  if (adminToken !== null && !/^[\x21-\x7e]{16,}$/.test(adminToken)) {
    problems.push('ADMIN_TOKEN 应为至少 16 个字符、不含空格的随机字符串，例：用 openssl rand -hex 24 生成')
  }

  const wecom = readCredentials(get, problems)

  const wecomApiBase = (get('WECOM_API_BASE') ?? DEFAULT_WECOM_API_BASE).replace(/\/+$/, '')
  if (!isHttpUrl(wecomApiBase)) {
    problems.push(`WECOM_API_BASE「${wecomApiBase}」应为 http(s) 地址，默认 ${DEFAULT_WECOM_API_BASE}`)
  }

  const callbackPath = get('WECOM_CALLBACK_PATH') ?? '/wecom/callback'
  if (!/^\/[A-Za-z0-9/_\-.]*$/.test(callbackPath)) {
    problems.push(`WECOM_CALLBACK_PATH「${callbackPath}」应以 / 开头，只含字母、数字和 / _ - .`)
  }

  const callbackWindowSeconds = parseInteger(get('WECOM_CALLBACK_WINDOW') ?? '300', 1, 86_400)
  if (callbackWindowSeconds === undefined) problems.push(`WECOM_CALLBACK_WINDOW「${get('WECOM_CALLBACK_WINDOW')}」应为 1–86400 的秒数，默认 300`)

  const sweepTime = parseClock(get('REMINDER_TIME') ?? '09:05')
  if (!sweepTime) problems.push(`REMINDER_TIME「${get('REMINDER_TIME')}」应为 HH:MM（北京时间），例：09:05（企业微信建议避开整点和半点）`)
  const meetingReminderTime = parseClock(get('MEETING_REMINDER_TIME') ?? '16:05')
  if (!meetingReminderTime) problems.push(`MEETING_REMINDER_TIME「${get('MEETING_REMINDER_TIME')}」应为 HH:MM（北京时间），例：16:05`)

  const monthlyReportTime = parseClock(get('MONTHLY_REPORT_TIME') ?? '17:00')
  if (!monthlyReportTime) problems.push(`MONTHLY_REPORT_TIME「${get('MONTHLY_REPORT_TIME')}」应为 HH:MM（北京时间），例：17:00`)

  const quietHours = parseQuietHours(get('QUIET_HOURS') ?? '21:00-08:00')
  if (!quietHours) problems.push(`QUIET_HOURS「${get('QUIET_HOURS')}」应为 HH:MM-HH:MM（北京时间），例：21:00-08:00；不需要免打扰时设为 off`)

  const deliveryConcurrency = parseInteger(get('DELIVERY_CONCURRENCY') ?? '4', 1, 16)
  if (deliveryConcurrency === undefined) problems.push(`DELIVERY_CONCURRENCY「${get('DELIVERY_CONCURRENCY')}」应为 1–16 的整数（同时发送的消息数），默认 4`)

  const circularRemindAfterHours = parseInteger(get('CIRCULAR_REMIND_AFTER') ?? '24', 1, 720)
  if (circularRemindAfterHours === undefined) {
    problems.push(`CIRCULAR_REMIND_AFTER「${get('CIRCULAR_REMIND_AFTER')}」应为 1–720 的整数（小时，只计工作日），默认 24`)
  }

  const importMaxMegabytes = parseInteger(get('IMPORT_MAX_MB') ?? '50', 1, 500)
  if (importMaxMegabytes === undefined) problems.push(`IMPORT_MAX_MB「${get('IMPORT_MAX_MB')}」应为 1–500 的整数（导入文件的大小上限，MB），默认 50`)

  const robots = parseRobots(get('WECOM_ROBOTS') ?? '')
  if (!robots) problems.push('WECOM_ROBOTS 应为 名称=key 的列表，用逗号分隔，例：lianxi=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa')

  const demoData = (get('DEMO_DATA') ?? 'auto') as DemoDataMode
  if (!['auto', 'on', 'off'].includes(demoData)) {
    problems.push(`DEMO_DATA「${demoData}」应为 auto、on 或 off`)
  }

  const logLevel = (get('LOG_LEVEL') ?? 'info') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL「${logLevel}」应为 ${LOG_LEVELS.join('、')} 之一`)

  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze({
    database: Object.freeze(database),
    databaseUrl: redactDatabaseUrl(databaseUrl),
    host: get('HOST') ?? '0.0.0.0',
    port: port ?? 3000,
    adminHost: get('ADMIN_HOST') ?? '127.0.0.1',
    adminPort: adminPort ?? null,
    adminToken,
    wecom: wecom && Object.freeze(wecom),
    wecomApiBase,
    callbackPath,
    callbackWindowSeconds: callbackWindowSeconds ?? 300,
    devCallbackFile: get('DEV_CALLBACK_FILE') ?? 'data/dev-callback.json',
    sweepTime: Object.freeze(sweepTime ?? ([9, 5] as const)),
    meetingReminderTime: Object.freeze(meetingReminderTime ?? ([16, 5] as const)),
    monthlyReportTime: Object.freeze(monthlyReportTime ?? ([17, 0] as const)),
    consoleFileDirectory: get('CONSOLE_FILE_DIR') ?? 'data/files',
    quietHours: Object.freeze(quietHours ?? { startMinute: 0, endMinute: 0 }),
    circularRemindAfterHours: circularRemindAfterHours ?? 24,
    deliveryConcurrency: deliveryConcurrency ?? 4,
    importMaxBytes: (importMaxMegabytes ?? 50) * 1024 * 1024,
    robots: Object.freeze(robots ?? {}),
    demoData,
    plan: get('PLAN') ?? DEFAULT_PLAN,
    logLevel,
  })
}

function readCredentials(get: (name: string) => string | undefined, problems: string[]): WeComCredentials | null {
  const present = CREDENTIAL_VARS.filter((name) => get(name) !== undefined)
  if (present.length === 0) return null
  const missing = CREDENTIAL_VARS.filter((name) => get(name) === undefined)
  if (missing.length > 0) {
    problems.push(
      `企业微信凭据不完整：已设置 ${present.join('、')}，缺少 ${missing.join('、')}。` +
        '五项需全部设置（在企业微信管理后台「应用管理 → 自建应用」与「接收消息 → 设置API接收」中查看），' +
        '或全部不设置以控制台投递模式运行',
    )
  }
  const corpId = get('WECOM_CORP_ID') ?? ''
  if (corpId && !/^[A-Za-z0-9]{1,64}$/.test(corpId)) {
    problems.push('WECOM_CORP_ID 应为字母和数字，例：ww1436e0e65a779aee（管理后台「我的企业」页底部）')
  }
  const agentIdRaw = get('WECOM_AGENT_ID')
  const agentId = agentIdRaw === undefined ? undefined : parseInteger(agentIdRaw, 1, 2 ** 31 - 1)
  if (agentIdRaw !== undefined && agentId === undefined) {
    problems.push(`WECOM_AGENT_ID「${agentIdRaw}」应为正整数，例：1000002（自建应用详情页的 AgentId）`)
  }
  const token = get('WECOM_TOKEN') ?? ''
  if (token && !/^[A-Za-z0-9]{1,32}$/.test(token)) {
    problems.push('WECOM_TOKEN 应为 1–32 位字母或数字（与「设置API接收」页的 Token 一致）')
  }
  const aesKey = get('WECOM_AES_KEY') ?? ''
  if (aesKey && !isValidAesKey(aesKey)) {
    problems.push(
      'WECOM_AES_KEY 应为 43 位字母或数字，且 base64 解码后为 32 字节（与「设置API接收」页的 EncodingAESKey 一致）',
    )
  }
  if (missing.length > 0 || agentId === undefined) return null
  return { corpId, agentId, secret: get('WECOM_SECRET') ?? '', token, aesKey }
}

/** "21:00-08:00" → minutes; "off" → an empty window. */
function parseQuietHours(raw: string): QuietHours | undefined {
  if (raw === 'off') return { startMinute: 0, endMinute: 0 }
  const match = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(raw)
  if (!match) return undefined
  const [h1, m1, h2, m2] = match.slice(1).map(Number) as [number, number, number, number]
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return undefined
  return { startMinute: h1 * 60 + m1, endMinute: h2 * 60 + m2 }
}

/** "name=key,name2=key2" → { name: key, … }. */
function parseRobots(raw: string): Record<string, string> | undefined {
  const robots: Record<string, string> = {}
  for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
    const match = /^([A-Za-z0-9_-]+)=([A-Za-z0-9-]+)$/.exec(entry)
    if (!match) return undefined
    robots[match[1]!] = match[2]!
  }
  return robots
}

/** EncodingAESKey: 43 chars of [A-Za-z0-9], the unpadded base64 of a 32-byte AES key (docs/wecom.md, URL verification). */
export function isValidAesKey(key: string): boolean {
  return /^[A-Za-z0-9]{43}$/.test(key) && Buffer.from(`${key}=`, 'base64').length === 32
}

function parseInteger(raw: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined
  const value = Number(raw)
  return value >= min && value <= max ? value : undefined
}

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** "HH:MM" (Beijing time of day) as [hour, minute]; undefined when it is not one. */
function parseClock(value: string): readonly [number, number] | undefined {
  const match = /^(\d{1,2}):(\d{2})$/.exec(value)
  return match && Number(match[1]) < 24 && Number(match[2]) < 60 ? ([Number(match[1]), Number(match[2])] as const) : undefined
}
