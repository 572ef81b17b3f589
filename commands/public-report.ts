import { inertLines, inertText } from '../src/wecom/inert-text.js'
import type { CommandArgs } from '../src/bot/command-args.js'
import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { parseItemNumber, readDate, withDateReading, type DateRead } from '../src/bot/parse-args.js'
import { fieldProblemsError, missingFields, missingFieldsError, readFields } from '../src/bot/read-fields.js'
import { replyList } from '../src/bot/reply-list.js'
import { currentCampaign, currentOrLatestCampaign } from '../src/domain/campaign/current-campaign.js'
import { publicReportProblems, registerPublicReport, verifyPublicReport, type NewPublicReport, type ReporterInput, type Verification } from '../src/domain/inspections/public-reports.js'
import { shorten } from '../src/domain/ledger/format-item.js'
import { characters, quoteTyped, withinLimit } from '../src/domain/text/text-limits.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import type { PublicReportSource, PublicReportVerdict } from '../src/db/entities/index.js'
import { deadlineLight, overdueText } from '../src/read-model/figures.js'
import { publicReportList, publicReportView, reporterFor, reporterText, SOURCE_NAMES, VERDICT_NAMES, verificationCounts, type PublicReportView } from '../src/read-model/public-reports.js'
import { beijingDate, formatChineseDate, type CalendarDate } from '../src/time/calendar-date.js'

const REGISTER_EXAMPLE = '举报 登记\n来源：电话\n受理日期：9月1日\n内容：便民服务大厅工作日上午无人值守\n被举报单位：城关镇\n被举报人：张伟\n举报人：张三 13800000000\n核查人：刘洋\n核查时限：9月10日'
/** A report's content in characters: what 组织部 writes down of a call or a letter, which the inspector's notice carries whole in one message. */
const CONTENT_MAX = 1000
const VERIFY_EXAMPLE = '举报 核查 3 属实 (六) 经查工作日上午窗口无人值守'

/** The field names 组织部 writes, and their synonyms. */
const FIELDS = {
  source: ['来源', '受理方式', '渠道'],
  receivedOn: ['受理日期', '受理时间', '日期', '收到日期'],
  content: ['内容', '举报内容', '反映内容'],
  unit: ['被举报单位', '涉及单位', '单位'],
  concernedPerson: ['被举报人', '涉及人员', '被反映人'],
  reporter: ['举报人'],
  inspector: ['核查人', '核查人员'],
  verifyBy: ['核查时限', '时限', '核查期限'],
}
type RawFields = Partial<Record<keyof typeof FIELDS, string>>
const REQUIRED: RawFields = { source: '来源', receivedOn: '受理日期', content: '内容', reporter: '举报人', inspector: '核查人', verifyBy: '核查时限' }

const SOURCES: Record<string, PublicReportSource> = { 电话: 'telephone', 来电: 'telephone', 热线: 'telephone', 信箱: 'mailbox', 举报信箱: 'mailbox', 来信: 'letter', 信件: 'letter', 来访: 'visit', 当面: 'visit' }
const VERDICTS: Record<string, PublicReportVerdict> = { 属实: 'true', 部分属实: 'partly_true', 不属实: 'untrue' }

/** "匿名", or a name and a contact: "张三 13800000000", "张三，13800000000", "张三13800000000", "张三". */
function readReporter(typed: string): ReporterInput | string {
  if (/^匿名/.test(typed)) return { anonymous: true }
  const match = /^([^\s,，、;；0-9+]+)[\s,，、;；]*(.*)$/.exec(typed)
  if (!match) return `举报人「${quoteTyped(typed)}」应写成「姓名 联系方式」或「匿名」`
  const [, name, contact] = match as unknown as [string, string, string]
  if (characters(name) > 20) return '举报人姓名太长：最多 20 字'
  if (characters(contact) > 100) return '举报人联系方式太长：最多 100 字'
  return { anonymous: false, name, contact: contact || null }
}

type Parsed =
  | { action: 'list' }
  | { action: 'register'; fields: RawFields; missing: string[] }
  | { action: 'verify'; verification: Verification }
  | { action: 'show'; id: number }

const ACTIONS: Record<string, Parsed['action']> = { 列表: 'list', 登记: 'register', 受理: 'register', 核查: 'verify', 详情: 'show', 查看: 'show' }

function parse(args: CommandArgs): Parsed {
  const word = args.tokens[0] ?? '列表'
  const action = ACTIONS[word]
  if (!action) throw new UserFacingError('bad_action', `「${quoteTyped(word)}」不是举报的操作。可用：登记、核查、列表、详情。`)
  if (action === 'list') return { action }
  if (action === 'register') {
    // The lines after 内容 that are no field continue it.
    const fields = readFields(args.rest(0), { names: FIELDS, skipFirstLine: true, continued: 'content' })
    const missing = missingFields(fields, REQUIRED)
    return { action, fields, missing }
  }
  const id = parseItemNumber(args.tokens[1], '举报编号')
  if (action === 'show') return { action, id }
  return { action, verification: readVerification(args, id) }
}

/** 举报 核查 编号 属实|部分属实|不属实 [无需整改] [(类别)] 说明 [@单位]. */
function readVerification(args: CommandArgs, id: number): Verification {
  const typed = args.tokens[2]
  const verdict = typed === undefined ? undefined : VERDICTS[typed]
  if (!verdict) throw new UserFacingError('bad_verdict', typed ? `「${quoteTyped(typed)}」不是核查结论，请写 属实、部分属实 或 不属实。` : '缺少核查结论：属实、部分属实 或 不属实。')
  let index = 3
  let mustRectify = true
  let category: string | null = null
  for (let step = 0; step < 2; step++) {
    const token = args.tokens[index]
    if (token === '无需整改' || token === '不需整改') mustRectify = false
    else if (token !== undefined && /^\([一二三四五六七八1-8]\)$/.test(token)) category = token
    else break
    index += 1
  }
  let note = args.rest(index)
  let unit: string | null = null
  const at = /[@＠]\s*(\S+)\s*$/.exec(note)
  if (at) {
    unit = at[1]!
    note = note.slice(0, at.index).trim()
  }
  if (!note) throw new UserFacingError('no_note', '请写明核查说明：查实的问题（属实的将作为督查发现告知被查单位），或不属实的理由。')
  withinLimit(note, 'problem', '核查说明')
  return { id, verdict, note, mustRectify: verdict === 'untrue' ? false : mustRectify, category, unit }
}

async function run(context: CommandContext, parsed: Parsed): Promise<void> {
  const now = context.now()
  const today = beijingDate(now)
  switch (parsed.action) {
    case 'list':
      return list(context, today)
    case 'register':
      return register(context, parsed, today, now)
    case 'verify':
      return verify(context, parsed.verification, today, now)
    case 'show':
      return show(context, parsed.id, today)
  }
}

async function register(context: CommandContext, parsed: Extract<Parsed, { action: 'register' }>, today: CalendarDate, now: Date): Promise<void> {
  const { fields, missing } = parsed
  if (missing.length > 0) throw missingFieldsError(missing, REGISTER_EXAMPLE, '（举报人不愿具名写「匿名」）')
  const campaign = await currentCampaign(context.dataSource, today)
  if (!campaign) throw new RefusalError('no_campaign', '当前没有进行中的专项治理，无法登记。')
  // Every field read, its problems collected, then the database's: all listed in one answer.
  const problems: string[] = []
  let formWrong = false
  const problem = (text: string, form = true) => {
    problems.push(text)
    if (form) formWrong = true
  }
  const source = SOURCES[fields.source!.normalize('NFKC').trim()]
  if (!source) problem(`来源「${quoteTyped(fields.source!)}」无法识别，可写：电话、信箱、来信、来访`)
  const date = (typed: string, what: string): DateRead | undefined => {
    try {
      return readDate(typed, today)
    } catch {
      problem(`${what}「${quoteTyped(typed)}」不是能识别的日期，可写 9月1日、2015-09-01`)
      return undefined
    }
  }
  const received = date(fields.receivedOn!, '受理日期')
  const verifyBy = date(fields.verifyBy!, '核查时限')
  const reporter = readReporter(fields.reporter!.trim())
  if (typeof reporter === 'string') problem(reporter)
  const tooLong = (text: string | undefined, max: number, what: string) => {
    if (text !== undefined && characters(text) > max) problem(`${what}太长：${characters(text)} 字，上限 ${max} 字`)
  }
  tooLong(fields.content, CONTENT_MAX, '内容')
  tooLong(fields.concernedPerson, 50, '被举报人')
  const input: Partial<NewPublicReport> = {
    source,
    receivedOn: received?.date,
    content: fields.content!,
    unit: fields.unit ?? null,
    concernedPerson: fields.concernedPerson ?? null,
    reporter: typeof reporter === 'string' ? undefined : reporter,
    inspector: fields.inspector!,
    verifyBy: verifyBy?.date,
  }
  for (const text of (await publicReportProblems(context.dataSource, campaign, input, today)).problems) problem(text, false)
  if (problems.length > 0) {
    // Usage only when a field could not be read; names and dates that were read are refused plainly (docs/chat-input.md).
    throw fieldProblemsError(problems, formWrong)
  }
  const { report, unit, inspector, notified } = await registerPublicReport(context.dataSource, context.actor, campaign, input as NewPublicReport, today, now)
  const named = reporter as ReporterInput
  const reporterLine = reporterText(named.anonymous ? null : { anonymous: false, name: named.name, contact: named.contact })
  const answer = [
    `已登记举报 #${report.id}：${SOURCE_NAMES[report.source]}，${formatChineseDate(report.receivedOn, today)}受理${concernedText(unit?.name ?? null, report.concernedPerson)}`,
    `核查人 ${inertText(inspector.name)}，${formatChineseDate(report.verifyBy, today)}前核查${notified.length > 0 ? '；已通知核查人（通知中不含举报人信息）' : ''}`,
    `🔒 ${inertText(reporterLine)}（仅组织部可见）`,
  ].join('\n')
  context.reply(withDateReading(withDateReading(answer, received!, today), verifyBy!, today))
}

async function verify(context: CommandContext, verification: Verification, today: CalendarDate, now: Date): Promise<void> {
  const { report, unitName, inspection, item, notified } = await verifyPublicReport(context.dataSource, context.actor, verification, today, now)
  const head = `已核查举报 #${report.id}：${VERDICT_NAMES[report.verdict!]}`
  if (!inspection) return context.reply(`${head}，已办结。`)
  const told = notified.length > 0 ? `已通知${inertText(unitName ?? '')} ${notified.length} 人（通知只写「督查发现」，不提举报）` : '该单位在花名册中无人可通知'
  const entered = item ? `，列入台账 #${item.id}，${formatChineseDate(item.dueDate, today)}前整改` : '，无需整改'
  context.reply(`${head}，已转为督查#${inspection.id}${entered}。\n${told}。`)
}

async function list(context: CommandContext, today: CalendarDate): Promise<void> {
  const { actor } = context
  const admin = actor.roles.includes('org_admin')
  const campaign = await currentOrLatestCampaign(context.dataSource, today)
  if (!campaign) return context.reply('当前没有进行中的专项治理。')
  const views = await publicReportList(context.dataSource, campaign.id, admin ? undefined : actor.person.id)
  const counts = verificationCounts(views.filter((v) => v.report.status === 'assigned').map((v) => v.report), today)
  await replyList(context, '举报 列表', {
    title: `**${admin ? '举报件' : '指派我核查的举报件'} ${views.length} 件**（待核查 ${counts.waiting}，逾期 ${counts.overdue}）`,
    lines: views.map((view) => listLine(view, today, admin)),
    footer: '查看：举报 详情 编号',
    empty: admin ? `目前没有登记的举报件。登记请发送：\n${REGISTER_EXAMPLE}` : '目前没有指派给您核查的举报件。',
  })
}

/** "🟡 #3 城关镇 便民服务大厅工作日… · 9月10日前 · 刘洋", or a verified one's verdict and finding. */
function listLine({ report, unitName, inspectorName, finding }: PublicReportView, today: CalendarDate, admin: boolean): string {
  const what = `#${report.id} ${[unitName, report.concernedPerson].filter(Boolean).map((t) => inertText(t!)).join(' ') || '—'} ${shorten(report.content, 14)}`
  if (report.status === 'verified') return `✔️ ${what} · ${VERDICT_NAMES[report.verdict!]}${finding ? ` → 督查#${finding.id}` : ''}`
  return `${deadlineLight(report.verifyBy, today)} ${what} · ${deadline(report.verifyBy, today)}${admin ? ` · ${inertText(inspectorName ?? '未指派')}` : ''}`
}

/** "9月10日前", "9月3日前（逾期 2 个工作日）". */
function deadline(verifyBy: CalendarDate, today: CalendarDate): string {
  return `${formatChineseDate(verifyBy, today)}前${verifyBy < today ? `（${overdueText(verifyBy, today)}）` : ''}`
}

function concernedText(unitName: string | null, person: string | null): string {
  const names = [unitName, person].filter((n): n is string => !!n).map(inertText)
  return names.length > 0 ? `，涉及 ${names.join(' ')}` : ''
}

/** 详情: everything about a report; the reporter line to 组织部 alone (docs/inspections.md, Confidentiality). */
async function show(context: CommandContext, id: number, today: CalendarDate): Promise<void> {
  const { actor } = context
  const admin = actor.roles.includes('org_admin')
  const view = await publicReportView(context.dataSource, id)
  if (!view) throw new RefusalError('no_report', `没有编号为 #${id} 的举报件。`)
  const { report } = view
  if (!admin && report.assignedToId !== actor.person.id) throw new RefusalError('denied', `举报 #${id} 未指派给您：只有指派的核查人和组织部（干部监督科）可以查看。`)
  const lines = [`**举报 #${report.id}**`]
  if (report.status === 'assigned') lines.push(`状态：${deadlineLight(report.verifyBy, today)} 待核查，${deadline(report.verifyBy, today)}`)
  else lines.push(`状态：已核查，${VERDICT_NAMES[report.verdict!]}（${formatChineseDate(beijingDate(report.verifiedAt!), today)}）`)
  lines.push(`来源：${SOURCE_NAMES[report.source]}，${formatChineseDate(report.receivedOn, today)}受理${view.registeredByName ? `（${inertText(view.registeredByName)}登记）` : ''}`)
  const concerned = concernedText(view.unitName, report.concernedPerson)
  if (concerned) lines.push(`涉及：${concerned.replace(/^，涉及 /, '')}`)
  lines.push(`内容：${inertLines(report.content)}`)
  lines.push(`核查人：${inertText(view.inspectorName ?? '未指派')}`)
  if (report.verdictNote) lines.push(`核查说明：${inertText(report.verdictNote)}`)
  if (view.finding) lines.push(`督查发现：督查#${view.finding.id}${view.finding.ledgerItemId ? `，台账 #${view.finding.ledgerItemId}` : '（无需整改）'}`)
  if (admin) lines.push(`🔒 ${inertText(reporterText(await reporterFor(context.dataSource, report.id)))}（仅组织部可见）`)
  if (report.status === 'assigned') lines.push(`核查后回复：举报 核查 ${report.id} 属实|部分属实|不属实 说明`)
  context.reply(lines.join('\n'))
}

/** 举报: reports from the public — registered by 组织部, verified by the inspector assigned (docs/inspections.md). */
export const publicReport = defineCommand<Parsed>({
  name: '举报',
  aliases: ['投诉', 'complaint'],
  summary: '受理举报与核查',
  usage: '举报 [列表|详情 编号|登记|核查 编号 结论 说明]',
  example: '举报 详情 3',
  roles: ['org_admin', 'inspector'],
  verbFirst: true,
  verbs: [
    { usage: '举报 列表', example: '举报' },
    { usage: '举报 详情 编号', example: '举报 详情 3' },
    { usage: '举报 登记（换行写 来源、受理日期、内容、被举报单位、被举报人、举报人或匿名、核查人、核查时限）', example: REGISTER_EXAMPLE, roles: ['org_admin'] },
    { usage: '举报 核查 编号 属实|部分属实|不属实 [无需整改] [(类别)] 说明', example: VERIFY_EXAMPLE },
  ],
  parse,
  run,
})
