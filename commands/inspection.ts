import { inertText } from '../src/wecom/inert-text.js'
import type { CommandArgs } from '../src/bot/command-args.js'
import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { parseItemNumber, readDate } from '../src/bot/parse-args.js'
import { fieldProblemsError, readFields } from '../src/bot/read-fields.js'
import { replyList } from '../src/bot/reply-list.js'
import { runningCampaignOrSay } from '../src/bot/running-campaign.js'
import { checkFinding, type TypedFinding } from '../src/domain/inspections/finding-fields.js'
import { METHOD_NAMES, METHODS } from '../src/domain/inspections/inspection-methods.js'
import { markTypicalCase } from '../src/domain/inspections/mark-typical.js'
import { registerFinding } from '../src/domain/inspections/record-finding.js'
import { shorten, typicalCaseLine } from '../src/domain/ledger/format-item.js'
import { unitByNameOrRefuse } from '../src/domain/roster/find-unit.js'
import { quoteTyped } from '../src/domain/text/text-limits.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { STATE_NAMES, statusLight } from '../src/read-model/figures.js'
import { inspectionCoverage, inspectionDetail, listInspections, type UnitCoverage } from '../src/read-model/inspections.js'
import { beijingDate, formatChineseDate, type CalendarDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'
import type { InspectionMethod } from '../src/db/entities/inspection.js'

const TEMPLATE = '督查 登记\n单位：城关镇\n日期：9月15日\n方式：随机抽查\n发现：便民服务窗口工作时间无人值守\n类别：(六)\n整改：是'

/** The field names people write, and their synonyms (docs/inspections.md, Findings). */
const FIELDS: Record<keyof TypedFinding, readonly string[]> = {
  unit: ['单位', '被检查单位'],
  date: ['日期', '检查日期', '时间'],
  method: ['方式', '检查方式'],
  findings: ['发现', '发现问题', '问题'],
  category: ['类别', '问题类别'],
  rectify: ['整改', '是否整改'],
  due: ['时限', '整改时限', '完成时限'],
  leader: ['责任领导', '分管领导'],
  person: ['责任人', '具体责任人'],
  typical: ['典型', '典型案例'],
}

type Parsed =
  | { action: 'register'; fields: TypedFinding }
  | { action: 'list'; unit: string }
  | { action: 'show'; id: number }
  | { action: 'coverage' }
  | { action: 'typical'; id: number }

const ACTIONS: Record<string, Parsed['action']> = {
  登记: 'register',
  列表: 'list',
  详情: 'show',
  查看: 'show',
  进度: 'coverage',
  覆盖: 'coverage',
  典型: 'typical',
}

function parse(args: CommandArgs): Parsed {
  const word = args.tokens[0]?.split(/\r?\n/)[0] ?? '列表'
  const action = ACTIONS[word]
  if (!action) throw new UserFacingError('bad_action', `「${quoteTyped(word)}」不是督查的操作。可用：登记、列表、详情、进度、典型。`)
  switch (action) {
    case 'register':
      return { action, fields: readFields(args.rest(0).replace(/^\S*?登记/, ''), { names: FIELDS, severalPerLine: true }) }
    case 'list':
      return { action, unit: args.rest(1) }
    case 'coverage':
      return { action }
    case 'show':
    case 'typical':
      return { action, id: parseItemNumber(args.tokens[1]?.replace(/^督查/, ''), '督查编号') }
  }
}

/** 督查: the inspection group's findings (docs/inspections.md): record, list, show, coverage, typical cases. */
export const inspection = defineCommand<Parsed>({
  name: '督查',
  aliases: ['inspection'],
  summary: '督查：登记检查发现、进度',
  usage: '督查 登记|列表|详情|进度|典型',
  example: TEMPLATE,
  roles: ['inspector', 'org_admin'],
  verbFirst: true,
  verbs: [
    { usage: '督查 登记（第二行起每行一项：单位、日期、方式、发现、类别、整改，可加时限、责任人、典型）', example: TEMPLATE },
    { usage: '督查 列表 [单位]', example: '督查 列表 城关镇' },
    { usage: '督查 详情 编号', example: '督查 详情 3' },
    { usage: '督查 进度', example: '督查 进度' },
    { usage: '督查 典型 编号', example: '督查 典型 3' },
  ],
  parse,
  async run(context, parsed) {
    const today = beijingDate(context.now())
    const campaign = await runningCampaignOrSay(context, today)
    if (!campaign) return
    switch (parsed.action) {
      case 'register':
        return register(context, campaign, parsed.fields, today)
      case 'list':
        return list(context, campaign.id, parsed.unit, today)
      case 'show':
        return show(context, campaign.id, parsed.id, today)
      case 'coverage':
        return coverage(context, campaign.id, today)
      case 'typical':
        return typical(context, campaign.id, parsed.id)
    }
  },
})

type Campaign = NonNullable<Awaited<ReturnType<typeof runningCampaignOrSay>>>

async function register(context: CommandContext, campaign: Campaign, fields: TypedFinding, today: CalendarDate): Promise<void> {
  const checked = await checkFinding(context.dataSource, campaign, fields, today, (text) => readDate(text, today).date)
  if (!checked.input) throw fieldProblemsError(checked.problems, checked.unreadable)
  const input = checked.input
  const { inspection, item, notified } = await registerFinding(context.dataSource, context.actor, input, context.now())
  const detail = (await inspectionDetail(context.dataSource, campaign.id, inspection.id))!
  const lines = [
    `已登记督查#${inspection.id}：${inertText(detail.unitName)} ${formatChineseDate(input.inspectedOn, today)} ${METHOD_NAMES[input.method]}`,
    `发现：${inertText(input.findings)}`,
  ]
  if (item) {
    const category = detail.category ? `${detail.category.label}${detail.category.name}` : '—'
    lines.push(`已列入台账 #${item.id}：类别 ${category} · 时限 ${formatChineseDate(item.dueDate, today)}${input.dueDate ? '' : '（默认）'}`)
  } else lines.push('不列入台账。')
  if (notified.length > 0) lines.push(`已通知单位（${notified.length} 人）。`)
  if (inspection.isTypicalCase) lines.push(`已标记为典型案例，通报时在正文写 督查#${inspection.id}。`)
  context.reply(lines.join('\n'))
}

/** "督查#3 9月15日 城关镇 随机抽查 · 窗口无人值守 · 台账#4 · 典型" */
function listLine(row: Awaited<ReturnType<typeof listInspections>>[number], today: CalendarDate, withUnit: boolean): string {
  const { inspection: i } = row
  return [
    `督查#${i.id} ${formatChineseDate(i.inspectedOn, today)}${withUnit ? ` ${inertText(row.unitName)}` : ''} ${METHOD_NAMES[i.method]}`,
    shorten(i.findings, 16),
    i.ledgerItemId === null ? '' : `台账#${i.ledgerItemId}`,
    i.isTypicalCase ? '典型' : '',
  ]
    .filter(Boolean)
    .join(' · ')
}

async function list(context: CommandContext, campaignId: number, unitText: string, today: CalendarDate): Promise<void> {
  const unit = unitText ? await unitByNameOrRefuse(context.dataSource, unitText) : null
  const rows = await listInspections(context.dataSource, campaignId, unit?.id)
  const who = unit ? inertText(unit.name) : ''
  await replyList(context, '督查 列表', {
    title: `**${who}督查记录 ${rows.length} 条**`,
    lines: rows.map((row) => listLine(row, today, !unit)),
    footer: '查看：督查 详情 编号',
    empty: `${who}还没有督查记录。`,
  })
}

async function show(context: CommandContext, campaignId: number, id: number, today: CalendarDate): Promise<void> {
  const detail = await inspectionDetail(context.dataSource, campaignId, id)
  if (!detail) throw new RefusalError('unknown_inspection', `没有督查记录 督查#${id}，请核对编号（督查 列表）。`)
  const { inspection: i, item } = detail
  const lines = [
    `**督查#${i.id} ${inertText(detail.unitName)}**`,
    `日期：${formatChineseDate(i.inspectedOn, today)} · 方式：${METHOD_NAMES[i.method]}${detail.inspectorName ? ` · 登记人：${inertText(detail.inspectorName)}` : ''}`,
    `发现：${inertText(i.findings)}`,
    `类别：${detail.category ? `${detail.category.label}${detail.category.name}` : '—'}`,
    item
      ? `整改：台账 #${item.id} ${statusLight(item, today)} ${STATE_NAMES[item.status]} ${item.progress}%，时限 ${formatChineseDate(item.dueDate, today)}`
      : i.mustRectify
        ? '整改：须整改（台账已删除）'
        : '整改：不列入台账',
    i.isTypicalCase ? '典型案例：是' : `典型案例：否（标记：督查 典型 ${i.id}）`,
  ]
  if (detail.circulars.length > 0) lines.push(typicalCaseLine(detail.circulars, today))
  // The report's number for 组织部 alone; never who reported it (docs/inspections.md, Confidentiality).
  if (detail.publicReportId !== null && context.actor.roles.includes('org_admin')) lines.push(`来自举报 #${detail.publicReportId}`)
  context.reply(markdown(lines.join('\n')))
}

/** "全面检查 1、随机抽查 2": the methods used, in the plan's order. */
function methodCounts(counts: Partial<Record<InspectionMethod, number>>): string {
  return METHODS.filter((m) => (counts[m] ?? 0) > 0).map((m) => `${METHOD_NAMES[m]} ${counts[m]}`).join('、')
}

function unitLine(unit: UnitCoverage, today: CalendarDate): string {
  if (unit.checks === 0) return `- ${inertText(unit.unitName)}：未检查`
  return `- ${inertText(unit.unitName)}：${unit.checks} 次（${methodCounts(unit.methods)}），最近 ${formatChineseDate(unit.lastCheckedOn!, today)}${unit.fullCheck ? '' : '，未全面检查'}`
}

async function coverage(context: CommandContext, campaignId: number, today: CalendarDate): Promise<void> {
  const c = await inspectionCoverage(context.dataSource, campaignId, today)
  if (c.from === null) {
    context.reply('当前没有进行中的阶段，暂无督查进度。')
    return
  }
  const checked = c.units.filter((u) => u.checks > 0).length
  const full = c.units.filter((u) => u.fullCheck).length
  const notChecked = c.units.filter((u) => u.checks === 0).map((u) => inertText(u.unitName))
  const title = [
    `**督查进度（${c.phases.map((p) => p.name).join('、')}，${formatChineseDate(c.from, today)}起）**`,
    `已检查 ${checked}/${c.units.length} 个单位，其中全面检查 ${full} 个`,
    ...(notChecked.length > 0 ? [`未检查：${notChecked.join('、')}`] : []),
    `检查 ${c.checks} 次${c.checks > 0 ? `：${methodCounts(c.byMethod)}` : ''}`,
    `须整改 ${c.mustRectify} 项，列入台账 ${c.itemsCreated} 项，已销号 ${c.itemsClosed} 项；典型案例 ${c.typicalCases} 个`,
  ].join('\n')
  await replyList(context, '督查 进度', { title, lines: c.units.map((u) => unitLine(u, today)), footer: '明细：督查 列表 [单位]' })
}

async function typical(context: CommandContext, campaignId: number, id: number): Promise<void> {
  const marked = await markTypicalCase(context.dataSource, campaignId, id)
  const use = `通报时在正文写 督查#${id}：通报 典型 受众 标题`
  context.reply(marked ? `已将督查#${id} 标记为典型案例。${use}` : `督查#${id} 已是典型案例，无需重复。${use}`)
}
