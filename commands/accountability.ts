import { inertLines, inertText } from '../src/wecom/inert-text.js'
import type { CommandArgs } from '../src/bot/command-args.js'
import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { parseItemNumber, readDate, withDateReading, type DateRead } from '../src/bot/parse-args.js'
import { fieldProblemsError, missingFields, readFields } from '../src/bot/read-fields.js'
import { replyList } from '../src/bot/reply-list.js'
import { currentCampaign } from '../src/domain/campaign/current-campaign.js'
import { MEASURE_CHOICES, MEASURE_NAMES, measureByName, recordAccountability, resolveTargets, type Told } from '../src/domain/inspections/accountability.js'
import { METHOD_NAMES } from '../src/domain/inspections/inspection-methods.js'
import { shorten } from '../src/domain/ledger/format-item.js'
import { unitByNameOrRefuse } from '../src/domain/roster/find-unit.js'
import { characters, quoteTyped, TEXT_LIMITS } from '../src/domain/text/text-limits.js'
import { accountabilityEntries, accountabilityEntry, type AccountabilityEntry } from '../src/read-model/accountability.js'
import type { AccountabilityMeasure, Campaign } from '../src/db/entities/index.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { beijingDate, formatChineseDate, formatWhen, type CalendarDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'

const TEMPLATE = '问责 登记\n督查：3\n单位：城关镇\n对象：赵磊\n措施：诫勉\n日期：9月8日\n说明：招商引资项目长期未申报，经研究决定\n通知：是'

/** The field names people write, and their synonyms. */
const FIELDS = {
  inspection: ['督查', '督查编号', '关联督查'],
  unit: ['单位'],
  person: ['对象', '人员', '姓名', '被问责人'],
  measure: ['措施', '问责措施', '方式'],
  date: ['日期', '决定日期', '时间'],
  note: ['说明', '备注', '事由'],
  notify: ['通知', '告知', '是否通知'],
}
type Fields = Partial<Record<keyof typeof FIELDS, string>>
const REQUIRED = { measure: '措施', date: '日期', note: '说明', notify: '通知' } as const
/** The note of a decision: as long as a problem's description (docs/inspections.md, Recording a decision). */
const NOTE_MAX = TEXT_LIMITS.problem.max

type Parsed = { action: 'record'; text: string } | { action: 'list'; unit: string | null } | { action: 'show'; id: number }

const ACTIONS: Record<string, Parsed['action']> = { 登记: 'record', 新增: 'record', 列表: 'list', 详情: 'show', 查看: 'show' }

function parse(args: CommandArgs): Parsed {
  const word = args.tokens[0]?.split(/\r?\n/)[0] ?? '列表'
  const action = ACTIONS[word]
  if (!action) throw new UserFacingError('bad_action', `「${quoteTyped(word)}」不是问责的操作。可用：登记、列表、详情。`)
  if (action === 'record') return { action, text: args.rest(0) }
  if (action === 'list') return { action, unit: args.tokens[1] ?? null }
  return { action, id: parseItemNumber(args.tokens[1], '问责编号') }
}

/** "是" / "否" and their everyday forms; undefined when neither. */
function readYesNo(text: string): boolean | undefined {
  const typed = text.normalize('NFKC').trim().toLowerCase()
  if (['是', '通知', '告知', '需要', 'yes', 'y'].includes(typed)) return true
  if (['否', '不', '不通知', '不告知', '不需要', 'no', 'n'].includes(typed)) return false
  return undefined
}

/** What could be read of 问责 登记's lines, and what could not (listed at once with the problems of who it concerns). */
function readRecord(fields: Fields, campaign: Campaign, today: CalendarDate) {
  const unreadable: string[] = []
  const missing = missingFields(fields, REQUIRED)
  if (!fields.unit && !fields.inspection) missing.unshift('单位')
  if (missing.length > 0) unreadable.push(`缺少 ${missing.join('、')}`)
  let inspectionId: number | undefined
  if (fields.inspection) {
    const typed = fields.inspection.normalize('NFKC').replace(/^督查\s*/, '')
    try {
      inspectionId = parseItemNumber(typed, '督查编号')
    } catch {
      unreadable.push(`督查「${quoteTyped(fields.inspection)}」应写督查编号，例：3 或 督查#3`)
    }
  }
  const measure = fields.measure ? measureByName(fields.measure) : undefined
  if (fields.measure && !measure) unreadable.push(`措施「${quoteTyped(fields.measure)}」无法识别，可写：${MEASURE_CHOICES}`)
  let date: DateRead | undefined
  if (fields.date) {
    try {
      date = readDate(fields.date, today)
    } catch (error) {
      unreadable.push(`日期：${(error as Error).message.replace(/。$/, '')}`)
    }
  }
  const refused: string[] = []
  if (date && date.date > today) refused.push(`日期 ${formatChineseDate(date.date)} 还没有到：请写作出决定的日期`)
  if (date && date.date < campaign.startDate) refused.push(`日期 ${formatChineseDate(date.date)} 早于专项治理开始（${formatChineseDate(campaign.startDate)}）`)
  const notify = fields.notify ? readYesNo(fields.notify) : undefined
  if (fields.notify && notify === undefined) unreadable.push(`通知「${quoteTyped(fields.notify)}」应写「是」或「否」`)
  const length = fields.note ? characters(fields.note) : 0
  if (length > NOTE_MAX) refused.push(`说明太长：${length.toLocaleString('en-US')} 字，上限 ${NOTE_MAX} 字`)
  return { unreadable, refused, inspectionId, measure, date, notify }
}

async function record(context: CommandContext, text: string): Promise<void> {
  const { dataSource: ds, actor } = context
  const now = context.now()
  const today = beijingDate(now)
  const campaign = await currentCampaign(ds, today)
  if (!campaign) throw new RefusalError('no_campaign', '当前没有进行中的专项治理，无法登记问责。')
  const fields = readFields(text, { names: FIELDS, skipFirstLine: true })
  const read = readRecord(fields, campaign, today)
  const targets = await resolveTargets(ds, campaign.id, { unit: fields.unit, person: fields.person, inspectionId: read.inspectionId })
  // The missing unit is said once, among the missing fields.
  const problems = [...read.unreadable, ...read.refused, ...targets.problems.filter((p) => p !== '缺少 单位')]
  // Unreadable lines: the template, once (the usage is not added to an answer that shows it); the rest refused plainly.
  if (problems.length > 0 || !('unit' in targets)) throw fieldProblemsError(problems, read.unreadable.length > 0, TEMPLATE)
  const { record: saved, told } = await recordAccountability(
    ds,
    actor,
    {
      campaignId: campaign.id,
      unit: targets.unit,
      person: targets.person,
      inspectionId: targets.inspectionId,
      measure: read.measure!,
      decidedOn: read.date!.date,
      note: fields.note!,
      notify: read.notify!,
    },
    now,
  )
  const who = `${inertText(targets.unit.name)}${targets.person ? ` ${inertText(targets.person.name)}` : ''}`
  const lines = [
    `已登记问责 #${saved.id}：${who} · ${MEASURE_NAMES[saved.measure]} · ${formatChineseDate(saved.decidedOn, today)}`,
    ...(saved.inspectionId === null ? [] : [`关联督查#${saved.inspectionId}`]),
    toldLine(told, read.notify!, targets.person !== null),
    `查看：问责 详情 ${saved.id}`,
  ]
  context.reply(withDateReading(lines.filter(Boolean).join('\n'), read.date!, today))
}

/** Who was told of a decision, or why nobody was. */
function toldLine(told: Told, asked: boolean, aPerson: boolean): string {
  if (told.names.length > 0) return `已告知${aPerson ? '' : '单位第一责任人'}${told.names.map(inertText).join('、')}。`
  if (told.nobody) return `未能告知：${inertText(told.nobody)}，请另行告知。`
  return asked ? '' : `未告知${aPerson ? '本人' : '单位'}（通知：否）。`
}

/** "#3 9月8日 城关镇 赵磊 诫勉 · 督查#2 · 已告知" */
function entryLine(e: AccountabilityEntry, today: CalendarDate): string {
  const who = `${inertText(e.unitName)}${e.personName ? ` ${inertText(e.personName)}` : ''}`
  const finding = e.inspectionId === null ? '' : ` · 督查#${e.inspectionId}`
  return `#${e.id} ${formatChineseDate(e.decidedOn, today)} ${who} ${MEASURE_NAMES[e.measure]}${finding} · ${e.notifiedAt ? '已告知' : '未告知'}`
}

async function list(context: CommandContext, unitName: string | null): Promise<void> {
  const { dataSource: ds } = context
  const today = beijingDate(context.now())
  const campaign = await currentCampaign(ds, today)
  if (!campaign) return context.reply('当前没有进行中的专项治理。')
  const unit = unitName === null ? null : await unitByNameOrRefuse(ds, unitName)
  const entries = await accountabilityEntries(ds, campaign.id, unit?.id)
  const scope = unit ? inertText(unit.name) : ''
  await replyList(context, '问责 列表', {
    title: `**${scope}问责记录 ${entries.length} 项**${counted(entries)}`,
    lines: entries.map((e) => entryLine(e, today)),
    footer: '查看：问责 详情 编号',
    empty: unit ? `${scope}没有问责记录。` : `目前没有问责记录。登记请发送：\n${TEMPLATE}`,
  })
}

/** "\n诫勉 1，谈话提醒 2": the measures taken, mildest first. */
function counted(entries: readonly AccountabilityEntry[]): string {
  const by = new Map<AccountabilityMeasure, number>()
  for (const e of entries) by.set(e.measure, (by.get(e.measure) ?? 0) + 1)
  const parts = (Object.keys(MEASURE_NAMES) as AccountabilityMeasure[]).filter((m) => by.has(m)).map((m) => `${MEASURE_NAMES[m]} ${by.get(m)}`)
  return parts.length > 0 ? `\n${parts.join('，')}` : ''
}

async function show(context: CommandContext, id: number): Promise<void> {
  const { dataSource: ds } = context
  const now = context.now()
  const today = beijingDate(now)
  const e = await accountabilityEntry(ds, id)
  if (!e) throw new RefusalError('not_found', `没有编号为 #${id} 的问责记录。查看全部：问责 列表`)
  const finding = e.inspection
    ? `督查#${e.inspection.id}，${formatChineseDate(e.inspection.inspectedOn, today)}${METHOD_NAMES[e.inspection.method]}：${shorten(e.inspection.findings, 40)}`
    : e.inspectionId === null
      ? '—'
      : `督查#${e.inspectionId}`
  const lines = [
    `**问责 #${e.id}**`,
    `单位：${inertText(e.unitName) || '—'}`,
    `对象：${e.personName ? inertText(e.personName) : '单位'}`,
    `措施：${MEASURE_NAMES[e.measure]}`,
    `日期：${formatChineseDate(e.decidedOn, today)}`,
    `关联督查：${finding}`,
    `说明：${inertLines(e.note)}`,
    `登记：${e.recordedBy ? `${inertText(e.recordedBy)}，` : ''}${formatWhen(e.createdAt, now)}`,
    `告知：${e.notifiedAt ? `已告知（${formatWhen(e.notifiedAt, now)}）` : '未告知'}`,
  ]
  context.reply(markdown(lines.join('\n')))
}

/** 问责: 组织部's accountability decisions for findings (docs/inspections.md, Accountability); nobody else reads them. */
export const accountability = defineCommand<Parsed>({
  name: '问责',
  aliases: ['accountability'],
  summary: '问责记录',
  usage: '问责 登记（换行写 单位、对象、措施、日期、说明、通知）；问责 列表 [单位]；问责 详情 编号',
  example: TEMPLATE,
  roles: ['org_admin'],
  verbFirst: true,
  verbs: [
    { usage: '问责 登记（第二行起每行一项：督查、单位、对象、措施、日期、说明、通知）', example: TEMPLATE },
    { usage: '问责 列表 [单位]', example: '问责 列表 城关镇' },
    { usage: '问责 详情 编号', example: '问责 详情 1' },
  ],
  parse,
  async run(context, parsed) {
    switch (parsed.action) {
      case 'record':
        return record(context, parsed.text)
      case 'list':
        return list(context, parsed.unit)
      case 'show':
        return show(context, parsed.id)
    }
  },
})
