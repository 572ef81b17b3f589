import { inertText } from '../src/wecom/inert-text.js'
import type { CommandArgs } from '../src/bot/command-args.js'
import { ROLE_NAMES } from '../src/bot/command-registry.js'
import { withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { parseItemNumber } from '../src/bot/parse-args.js'
import { currentCampaign } from '../src/domain/campaign/current-campaign.js'
import { parseAudienceSelector, type AudienceSelector } from '../src/domain/circulars/audience.js'
import { circularContent, kindLabel } from '../src/domain/circulars/circular-message.js'
import { circularStatus } from '../src/domain/circulars/circular-status.js'
import { describeLinks } from '../src/domain/circulars/links.js'
import { previewCircular, publishCircular, sendDraft, type CircularInput } from '../src/domain/circulars/publish-circular.js'
import { recallCircularNow } from '../src/domain/circulars/recall-circular.js'
import { latestCirculars } from '../src/domain/circulars/list-circulars.js'
import { type CircularKind, type Role } from '../src/db/entities/index.js'
import { UserFacingError } from '../src/errors.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'

type Parsed =
  | { action: 'list' }
  | { action: 'publish' | 'preview'; input: CircularInput }
  | { action: 'send' | 'status' | 'recall'; id: number }

const VERBS: Record<string, 'publish' | 'typical' | 'preview' | 'send' | 'status' | 'recall' | 'list'> = {
  发布: 'publish', publish: 'publish',
  典型: 'typical', 典型案例: 'typical', typical: 'typical',
  预览: 'preview', preview: 'preview',
  发送: 'send', send: 'send',
  状态: 'status', 查看: 'status', 情况: 'status', status: 'status',
  撤回: 'recall', recall: 'recall',
  列表: 'list', list: 'list', ls: 'list',
}

const TITLE_MAX = 100

/** "受众 标题" on the first line, the body on the lines after it. */
function parseComposition(raw: string, kind: CircularKind): CircularInput {
  const newline = raw.search(/\r?\n/)
  const header = newline < 0 ? raw : raw.slice(0, newline)
  const body = newline < 0 ? '' : raw.slice(newline).replace(/^\s*\n/, '').trimEnd()
  const spans = [...header.matchAll(/\S+/g)].map((m) => ({ start: m.index!, token: m[0].normalize('NFKC') }))
  const { selector, used } = parseAudienceSelector(spans.map((s) => s.token))
  const title = used < spans.length ? header.slice(spans[used]!.start).trim() : ''
  if (!title) throw new UserFacingError('no_title', '缺少标题：受众后面写标题，正文从第二行起写。')
  if ([...title].length > TITLE_MAX) throw new UserFacingError('long_title', `标题太长（${[...title].length} 字），请控制在 ${TITLE_MAX} 字以内，详细内容写在正文里。`)
  if (!body) throw new UserFacingError('no_body', '缺少正文：请从第二行起写通报正文。')
  withinLimit(body, 'circularBody')
  return { kind, title, body, selector: selector as AudienceSelector }
}

function parse(args: CommandArgs): Parsed {
  const first = (args.tokens[0] ?? '').toLowerCase()
  if (!first) return { action: 'list' }
  if (/^#?\d{1,9}$/.test(first)) return { action: 'status', id: parseItemNumber(first, '通报编号') }
  const verb = VERBS[first]
  if (verb === 'list') return { action: 'list' }
  // "通报 发送 全体 标题…" means publish; "通报 发送 12" sends a draft.
  if (verb === 'send' && args.tokens[1] && !/^#?\d+$/.test(args.tokens[1])) return { action: 'publish', input: parseComposition(args.rest(1), 'work') }
  if (verb === 'send' || verb === 'status' || verb === 'recall') return { action: verb, id: parseItemNumber(args.tokens[1], '通报编号') }
  if (verb === 'publish') return { action: 'publish', input: parseComposition(args.rest(1), 'work') }
  if (verb === 'typical') return { action: 'publish', input: parseComposition(args.rest(1), 'typical_case') }
  if (verb === 'preview') {
    const typical = VERBS[(args.tokens[1] ?? '').toLowerCase()] === 'typical'
    return { action: 'preview', input: parseComposition(args.rest(typical ? 2 : 1), typical ? 'typical_case' : 'work') }
  }
  // No verb but an audience: shown as a preview first, never sent unasked.
  return { action: 'preview', input: parseComposition(args.rest(0), 'work') }
}

/** 通报: circulars to an audience, with previews, acknowledgement tracking and recall. */
export const circular = defineCommand<Parsed>({
  name: '通报',
  aliases: ['circular'],
  summary: '发布通报或典型案例通报（可先预览），查看确认情况，24 小时内撤回',
  usage: '通报 发布|典型|预览 受众 标题（第二行起写正文）；通报 发送|状态|撤回 编号；通报 列表',
  example: '通报 发布 镇 关于报送8月工作台账的通知\n请各镇于9月5日前报送本月台账。',
  roles: ['org_admin'],
  parse,
  async run(context, parsed) {
    switch (parsed.action) {
      case 'list':
        return list(context)
      case 'preview':
        return preview(context, parsed.input)
      case 'publish':
        return publish(context, parsed.input)
      case 'send':
        return sendDrafted(context, parsed.id)
      case 'status':
        return status(context, parsed.id)
      case 'recall':
        return recall(context, parsed.id)
    }
  },
})

async function campaignId(context: CommandContext): Promise<number> {
  const campaign = await currentCampaign(context.dataSource, beijingDate(context.now()))
  if (!campaign) throw new UserFacingError('no_campaign', '当前没有进行中的专项治理，无法发布通报。')
  return campaign.id
}

function sentSummary(id: number, title: string, kind: CircularKind, people: number, units: number, robots: readonly string[]): string {
  const reach = [people > 0 ? `${units > 0 ? `${units} 个单位 ` : ''}${people} 人` : '', robots.length > 0 ? `群 ${robots.join('、')}` : ''].filter(Boolean).join('，')
  const ack = people > 0 ? `收件人回复「收到 ${id}」即确认；查看确认情况：通报 状态 ${id}；24 小时内可撤回：通报 撤回 ${id}` : '群机器人消息发出后无法撤回。'
  return `已发布${kindLabel(kind)} #${id}《${inertText(title)}》，发给 ${reach}。\n${ack}`
}

async function publish(context: CommandContext, input: CircularInput): Promise<void> {
  const campaign = await campaignId(context)
  const now = context.now()
  const { circular, audience } = await publishCircular(context.dataSource, { campaignId: campaign, input, senderId: context.sender.id, robotNames: context.robotNames, now })
  context.reply(sentSummary(circular.id, circular.title, circular.kind, audience.recipients.length, audience.units.length, audience.robots))
}

async function preview(context: CommandContext, input: CircularInput): Promise<void> {
  const campaign = await campaignId(context)
  const { drafted, from } = await previewCircular(context.dataSource, { campaignId: campaign, input, senderId: context.sender.id, robotNames: context.robotNames })
  const { circular, audience, links } = drafted
  const reach = [
    audience.recipients.length > 0 ? `${audience.recipients.length} 人（${audience.units.length} 个单位：${audience.units.map((u) => inertText(u.name)).join('、') || '—'}）` : '',
    audience.robots.length > 0 ? `群 ${audience.robots.join('、')}` : '',
  ].filter(Boolean)
  const lines = [
    `**预览：${kindLabel(circular.kind)} #${circular.id}（草稿，尚未发送）**`,
    `受众：${drafted.audienceText}，${reach.join('，')}`,
    ...(links.ledgerItemIds.length + links.inspectionIds.length > 0 ? [`涉及：${describeLinks(links)}（发送后标记为典型案例）`] : []),
    '────── 收件人将看到 ──────',
    circularContent(circular, from, audience.recipients.length === 0),
    '──────────────',
    `确认无误请发送「通报 发送 ${circular.id}」`,
  ]
  context.reply(markdown(lines.join('\n')))
}

async function sendDrafted(context: CommandContext, id: number): Promise<void> {
  const { circular, audience } = await sendDraft(context.dataSource, { circularId: id, senderId: context.sender.id, robotNames: context.robotNames, now: context.now() })
  context.reply(sentSummary(circular.id, circular.title, circular.kind, audience.recipients.length, audience.units.length, audience.robots))
}

async function status(context: CommandContext, id: number): Promise<void> {
  const s = await circularStatus(context.dataSource, id)
  const { circular } = s
  const today = beijingDate(context.now())
  if (circular.status === 'draft') {
    context.reply(`${kindLabel(circular.kind)} #${id}《${inertText(circular.title)}》是草稿，尚未发送。发送：通报 发送 ${id}`)
    return
  }
  const total = s.receipts.length
  const sent = s.receipts.filter((r) => r.sent).length
  const acked = s.receipts.filter((r) => r.acknowledgedAt !== null).length
  const lines = [
    `**${kindLabel(circular.kind)} #${id} 确认情况${circular.status === 'recalled' ? '（已撤回）' : ''}**`,
    `《${inertText(circular.title)}》· ${s.audienceText} · ${circular.sentAt ? `${formatChineseDate(beijingDate(circular.sentAt), today)}发出` : ''}`,
  ]
  if (total > 0) lines.push(`已送达 ${sent}/${total} 人，已确认 ${acked} 人，未确认 ${total - acked} 人`)
  const pending = new Map<string, string[]>()
  for (const r of s.receipts.filter((x) => x.acknowledgedAt === null)) {
    const unit = inertText(r.unitName || '其他')
    pending.set(unit, [...(pending.get(unit) ?? []), `${inertText(r.name)}${r.role ? `（${ROLE_NAMES[r.role as Role]}）` : ''}`])
  }
  if (pending.size > 0) {
    lines.push(`未确认的单位（${pending.size} 个）：`)
    const shown = [...pending].slice(0, 20)
    for (const [unit, names] of shown) lines.push(`- ${unit}：${names.join('、')}`)
    if (pending.size > shown.length) lines.push(`- 另有 ${pending.size - shown.length} 个单位`)
  } else if (total > 0) {
    lines.push('全部已确认 ✅')
  }
  const robotStatus: Record<string, string> = { sent: '已发送', pending: '待发送', sending: '发送中', dead: '发送失败', cancelled: '已取消' }
  if (s.robots.length > 0) lines.push(`群：${s.robots.map((r) => `${r.name} ${robotStatus[r.status] ?? r.status}`).join('、')}`)
  if (s.links.ledgerItemIds.length + s.links.inspectionIds.length > 0) lines.push(`涉及：${describeLinks(s.links)}`)
  context.reply(markdown(lines.join('\n')))
}

async function recall(context: CommandContext, id: number): Promise<void> {
  const now = context.now()
  const outcome = await recallCircularNow(context.dataSource, id, now)
  const lines = [`已撤回${kindLabel(outcome.circular.kind)} #${id}《${inertText(outcome.circular.title)}》。`]
  const done = [outcome.recalling > 0 ? `已发出的 ${outcome.recalling} 份正在从企业微信撤回` : '', outcome.cancelled > 0 ? `未发出的 ${outcome.cancelled} 份已取消` : ''].filter(Boolean)
  if (done.length > 0) lines.push(`${done.join('，')}。`)
  const failed = [
    outcome.wechatPlugin.length > 0 ? `微信插件中的副本（${outcome.wechatPlugin.map(inertText).join('、')}），已另发撤回说明` : '',
    outcome.robots.length > 0 ? `群机器人消息（群 ${outcome.robots.join('、')}），请在群内说明` : '',
    outcome.pastWindow > 0 ? `发出超过 24 小时的 ${outcome.pastWindow} 份` : '',
    outcome.inFlight > 0 ? `正在发送中的 ${outcome.inFlight} 份（稍后发送「通报 状态 ${id}」核对）` : '',
  ].filter(Boolean)
  if (failed.length > 0) lines.push(`无法撤回：${failed.join('；')}。`)
  context.reply(lines.join('\n'))
}

async function list(context: CommandContext): Promise<void> {
  const circulars = await latestCirculars(context.dataSource)
  if (circulars.length === 0) {
    context.reply('还没有通报。发布：通报 发布 受众 标题（第二行起写正文）')
    return
  }
  const today = beijingDate(context.now())
  const lines = circulars.map(({ circular: c, receipts, acknowledged }) => {
    const label = c.kind === 'typical_case' ? '【典型】' : ''
    const state =
      c.status === 'draft'
        ? '草稿'
        : `${c.sentAt ? formatChineseDate(beijingDate(c.sentAt), today) : ''}${c.status === 'recalled' ? ' · 已撤回' : receipts > 0 ? ` · 确认 ${acknowledged}/${receipts}` : ''}`
    return `- #${c.id} ${label}${inertText(c.title)} · ${state}`
  })
  context.reply(markdown(`**最近的通报**\n${lines.join('\n')}\n查看：通报 状态 编号`))
}
