import { inertText } from '../src/wecom/inert-text.js'
import type { CommandArgs } from '../src/bot/command-args.js'
import { ROLE_NAMES } from '../src/bot/command-registry.js'
import { quoteTyped, withinLimit } from '../src/domain/text/text-limits.js'
import { replyList } from '../src/bot/reply-list.js'
import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { parseItemNumber } from '../src/bot/parse-args.js'
import { currentCampaign } from '../src/domain/campaign/current-campaign.js'
import { parseAudienceSelector, type AudienceSelector } from '../src/domain/circulars/audience.js'
import { circularContent, kindLabel } from '../src/domain/circulars/circular-message.js'
import { circularStatus, type CircularStatus } from '../src/domain/circulars/circular-status.js'
import { caseLines } from '../src/domain/circulars/links.js'
import { draftCircularText, draftFigures } from '../src/domain/circulars/draft-circular.js'
import { editDraft, joinParagraphs, paragraphsOf, type DraftEdit } from '../src/domain/circulars/edit-draft.js'
import { previewCircular, publishCircular, sendDraft, type CircularInput, type Drafted } from '../src/domain/circulars/publish-circular.js'
import { checkedMonth, defaultMonth, parseMonth } from '../src/domain/reports/month-span.js'
import type { ResolvedAudience } from '../src/domain/circulars/audience.js'
import { recallCircularNow } from '../src/domain/circulars/recall-circular.js'
import { latestCirculars } from '../src/domain/circulars/list-circulars.js'
import { type Campaign, type Circular, type CircularKind, type Role } from '../src/db/entities/index.js'
import { quietHoursNote } from '../src/outbox/outbox-backlog.js'
import { linkedCases } from '../src/read-model/circulars.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'
import { markdown } from '../src/wecom/messages.js'

type Parsed =
  | { action: 'list' }
  | { action: 'publish' | 'preview'; input: CircularInput }
  | { action: 'send' | 'status' | 'recall'; id: number }
  | { action: 'draft'; month: string }
  | { action: 'edit'; id: number; edit: DraftEdit }

const VERBS: Record<string, 'publish' | 'typical' | 'preview' | 'send' | 'status' | 'recall' | 'list' | 'draft' | 'edit'> = {
  发布: 'publish', publish: 'publish',
  典型: 'typical', 典型案例: 'typical', typical: 'typical',
  预览: 'preview', preview: 'preview',
  草稿: 'draft', 起草: 'draft', draft: 'draft',
  修改: 'edit', 编辑: 'edit', edit: 'edit',
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

/** What 通报 修改 编号 changes: "标题 新标题", or "段 N" (also 段3, 第3段) with the new text on the lines after it. */
function parseEdit(args: CommandArgs): { action: 'edit'; id: number; edit: DraftEdit } {
  const id = parseItemNumber(args.tokens[1], '通报编号')
  const raw = args.rest(2)
  const newline = raw.search(/\r?\n/)
  const header = newline < 0 ? raw : raw.slice(0, newline)
  const following = newline < 0 ? '' : raw.slice(newline)
  const spans = [...header.matchAll(/\S+/g)].map((m) => ({ start: m.index!, token: m[0].normalize('NFKC') }))
  const what = spans[0]?.token ?? ''
  const after = (index: number) => (index < spans.length ? header.slice(spans[index]!.start).trim() : '')
  if (/^(标题|题目|title)$/i.test(what)) {
    const title = after(1) || following.trim()
    if (/\n/.test(title)) throw new UserFacingError('multiline_title', '标题只能写一行：写在「标题」后面，不要换行。')
    return { action: 'edit', id, edit: { title } }
  }
  const glued = /^(?:第)?段?(\d{1,4})段?$/.exec(what)
  const numbered = /^(段|paragraph)$/i.test(what) ? { number: spans[1]?.token, rest: 2 } : glued && /段/.test(what) ? { number: glued[1], rest: 1 } : null
  if (!numbered) {
    throw new UserFacingError(
      'bad_edit',
      what ? `不知道要修改「${quoteTyped(what)}」：编号后面写「标题 新标题」，或「段 N」并从第二行起写这一段的新内容。` : `缺少要修改的内容：通报 #${id} 后面写「标题 新标题」，或「段 N」并从第二行起写这一段的新内容。`,
    )
  }
  if (!numbered.number || !/^\d{1,4}$/.test(numbered.number)) throw new UserFacingError('bad_paragraph', `「段」后面写段号（预览中的【段N】），例：段 3。`)
  // The new text: on the lines after, or (forgiving) on the same line after the number.
  const text = [after(numbered.rest), following.replace(/^\s*\n/, '')].filter((t) => t.trim() !== '').join('\n')
  return { action: 'edit', id, edit: { paragraph: Number(numbered.number), text } }
}

function parse(args: CommandArgs): Parsed {
  const first = (args.tokens[0] ?? '').toLowerCase()
  if (!first) return { action: 'list' }
  if (/^#?\d{1,9}$/.test(first)) return { action: 'status', id: parseItemNumber(first, '通报编号') }
  const verb = VERBS[first]
  if (verb === 'list') return { action: 'list' }
  if (verb === 'draft') return { action: 'draft', month: args.rest(1) }
  if (verb === 'edit') return parseEdit(args)
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
  summary: '通报：发布、确认情况、撤回',
  usage: '通报 发布|典型|预览 受众 标题（第二行起写正文）；通报 草稿 [月份]；通报 修改 编号 标题|段 N；通报 发送|状态|撤回 编号；通报 列表',
  example: '通报 发布 镇 关于报送8月工作台账的通知\n请各镇于9月5日前报送本月台账。',
  roles: ['org_admin'],
  verbFirst: true,
  verbs: [
    { usage: '通报 发布 受众 标题（第二行起写正文）', example: '通报 发布 镇 关于报送8月工作台账的通知\n请各镇于9月5日前报送本月台账。' },
    { usage: '通报 典型 受众 标题（正文写 #编号 关联台账）', example: '通报 典型 全体 关于招商引资不作为问题的通报\n经查，#12 长期未整改。' },
    { usage: '通报 预览 受众 标题（先看效果，不发送）', example: '通报 预览 县直 关于开展自查的通知\n请于9月10日前完成自查。' },
    { usage: '通报 草稿 [月份]（按该月数据起草工作通报，不发送）', example: '通报 草稿 9月' },
    { usage: '通报 修改 编号 标题 新标题 或 通报 修改 编号 段 N（第二行起写新内容）', example: '通报 修改 5 段 3\n截至9月30日，全县台账共 120 项。' },
    { usage: '通报 发送 编号', example: '通报 发送 5' },
    { usage: '通报 状态 编号', example: '通报 状态 5' },
    { usage: '通报 撤回 编号', example: '通报 撤回 5' },
    { usage: '通报 列表', example: '通报 列表' },
  ],
  parse,
  async run(context, parsed) {
    switch (parsed.action) {
      case 'list':
        return list(context)
      case 'preview':
        return preview(context, parsed.input)
      case 'draft':
        return draftMonthly(context, parsed.month)
      case 'edit':
        return edit(context, parsed.id, parsed.edit)
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

async function runningCampaign(context: CommandContext): Promise<Campaign> {
  const campaign = await currentCampaign(context.dataSource, beijingDate(context.now()))
  if (!campaign) throw new RefusalError('no_campaign', '当前没有进行中的专项治理，无法发布通报。')
  return campaign
}

async function campaignId(context: CommandContext): Promise<number> {
  return (await runningCampaign(context)).id
}

/** The answer to a circular just sent; a typical case also names the cases it links (their 详情 show the circular). */
async function sentSummary(context: CommandContext, circular: Circular, audience: ResolvedAudience): Promise<string> {
  const { id, kind, title } = circular
  const people = audience.recipients.length
  const units = audience.units.length
  const robots = audience.robots
  const reach = [people > 0 ? `${units > 0 ? `${units} 个单位 ` : ''}${people} 人` : '', robots.length > 0 ? `群 ${robots.join('、')}` : ''].filter(Boolean).join('，')
  const ack = people > 0 ? `收件人回复「收到 ${id}」即确认；查看确认情况：通报 状态 ${id}；24 小时内可撤回：通报 撤回 ${id}` : '群机器人消息发出后无法撤回。'
  const cases = kind === 'typical_case' ? caseLines(await linkedCases(context.dataSource, id)) : []
  return [`已发布${kindLabel(kind)} #${id}《${inertText(title)}》，发给 ${reach}。`, ...cases, ack].join('\n')
}

async function publish(context: CommandContext, input: CircularInput): Promise<void> {
  const campaign = await campaignId(context)
  const now = context.now()
  const { circular, audience } = await publishCircular(context.dataSource, { campaignId: campaign, input, senderId: context.sender.id, robotNames: context.robotNames, now })
  context.reply(await sentSummary(context, circular, audience))
}

async function preview(context: CommandContext, input: CircularInput): Promise<void> {
  const campaign = await campaignId(context)
  const { drafted, from } = await previewCircular(context.dataSource, { campaignId: campaign, input, senderId: context.sender.id, robotNames: context.robotNames })
  context.reply(markdown(await previewText(context, drafted, from)))
}

/**
 * What 通报 预览 shows of a draft: the audience, the cases a typical case names, and the text its
 * recipients will read. `numbered`: each paragraph with its number, for 通报 修改 (草稿 and 修改 answer so).
 */
async function previewText(context: CommandContext, drafted: Drafted, from: string, numbered = false): Promise<string> {
  const { circular, audience } = drafted
  const reach = [
    audience.recipients.length > 0 ? `${audience.recipients.length} 人（${audience.units.length} 个单位：${audience.units.map((u) => inertText(u.name)).join('、') || '—'}）` : '',
    audience.robots.length > 0 ? `群 ${audience.robots.join('、')}` : '',
  ].filter(Boolean)
  const { id } = circular
  const shown = numbered ? { ...circular, body: joinParagraphs(paragraphsOf(circular.body).map((p, i) => `【段${i + 1}】${p}`)) } : circular
  const lines = [
    `**预览：${kindLabel(circular.kind)} #${id}（草稿，尚未发送）**`,
    `受众：${drafted.audienceText}，${reach.join('，')}`,
    ...(circular.kind === 'typical_case' ? [...caseLines(await linkedCases(context.dataSource, id)), '发送后以上事项标记为典型案例，其「详情」显示本通报。'] : []),
    '────── 收件人将看到 ──────',
    circularContent(shown, from, audience.recipients.length === 0),
    '──────────────',
    ...(numbered ? ['【段N】是段号，发送时不显示。', `修改标题：通报 修改 ${id} 标题 新标题`, `修改某段：通报 修改 ${id} 段 N（第二行起写新内容）`] : []),
    `确认无误请发送「通报 发送 ${id}」`,
  ]
  return lines.join('\n')
}

/** 通报 草稿 [月份]: the month's work circular drafted from the figures (docs/responsiveness.md, The drafted circular), to 全体, stored as 预览 stores a draft. */
async function draftMonthly(context: CommandContext, typed: string): Promise<void> {
  const now = context.now()
  const today = beijingDate(now)
  const campaign = await runningCampaign(context)
  const asked = typed ? parseMonth(typed, today) : defaultMonth(campaign, today)
  const month = checkedMonth(asked, campaign, today, `${asked} 还没有到（今天是 ${today}），不能起草该月的通报。`)
  const { title, paragraphs } = draftCircularText(await draftFigures(context.dataSource, campaign, month, now))
  const body = withinLimit(joinParagraphs(paragraphs), 'circularBody')
  const input: CircularInput = { kind: 'work', title, body, selector: parseAudienceSelector(['全体']).selector }
  const { drafted, from } = await previewCircular(context.dataSource, { campaignId: campaign.id, input, senderId: context.sender.id, robotNames: context.robotNames })
  context.reply(markdown(await previewText(context, drafted, from, true)))
}

/** 通报 修改 编号 标题|段 N: a draft's title or one paragraph replaced; the answer is the new preview. */
async function edit(context: CommandContext, id: number, change: DraftEdit): Promise<void> {
  const { drafted, from } = await editDraft(context.dataSource, { circularId: id, edit: change, editorId: context.sender.id, now: context.now() })
  const done = 'paragraph' in change ? `已修改通报 #${id} 的第 ${change.paragraph} 段。` : `已修改通报 #${id} 的标题。`
  context.reply(markdown(`${done}\n${await previewText(context, drafted, from, true)}`))
}

async function sendDrafted(context: CommandContext, id: number): Promise<void> {
  const { circular, audience } = await sendDraft(context.dataSource, { circularId: id, senderId: context.sender.id, robotNames: context.robotNames, now: context.now() })
  context.reply(await sentSummary(context, circular, audience))
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
  // While it is quiet, copies wait on purpose (docs/delivery.md, Quiet hours): said, with when they go.
  const held = quietHoursNote(context.now(), context.quietHours)
  const lines = [
    `**${kindLabel(circular.kind)} #${id} 确认情况${circular.status === 'recalled' ? '（已撤回）' : ''}**`,
    `《${inertText(circular.title)}》· ${s.audienceText} · ${circular.sentAt ? `${formatChineseDate(beijingDate(circular.sentAt), today)}发出` : ''}`,
  ]
  if (total > 0) lines.push(...deliveryLines(s.receipts, held))
  const head = lines.splice(0)
  const pending = new Map<string, string[]>()
  for (const r of s.receipts.filter((x) => x.acknowledgedAt === null)) {
    const unit = inertText(r.unitName || '其他')
    pending.set(unit, [...(pending.get(unit) ?? []), `${inertText(r.name)}${r.role ? `（${ROLE_NAMES[r.role as Role]}）` : ''}`])
  }
  if (pending.size > 0) {
    head.push(`未确认的单位（${pending.size} 个）：`)
    for (const [unit, names] of pending) lines.push(`- ${unit}：${names.join('、')}`)
  } else if (total > 0) {
    head.push('全部已确认 ✅')
  }
  const robotStatus: Record<string, string> = { sent: '已发送', pending: '待发送', sending: '发送中', dead: '发送失败', cancelled: '已取消' }
  if (s.robots.length > 0) {
    const waiting = held !== null && s.robots.some((r) => r.status === 'pending')
    lines.push(`群：${s.robots.map((r) => `${r.name} ${robotStatus[r.status] ?? r.status}`).join('、')}${waiting ? `（${held}）` : ''}`)
  }
  if (circular.kind === 'typical_case') lines.push(...caseLines(await linkedCases(context.dataSource, id)))
  await replyList(context, '通报', { title: head.join('\n'), lines })
}

/**
 * "已送达 4/6 人（2 人待发送：静默时段，08:00 后发送）" and "已确认 3 人（含 1 人在消息送达前回复），未确认 3 人":
 * what has not gone out says why, and acknowledgements beyond deliveries say where they came from
 * (a reply to a copy not yet delivered: the person heard of it another way).
 */
function deliveryLines(receipts: CircularStatus['receipts'], held: string | null): string[] {
  const count = (test: (r: CircularStatus['receipts'][number]) => boolean) => receipts.filter(test).length
  const sent = count((r) => r.sent)
  const waiting = count((r) => r.delivery === 'pending' || r.delivery === 'sending')
  const failed = count((r) => r.delivery === 'dead')
  const acked = count((r) => r.acknowledgedAt !== null)
  const early = count((r) => r.acknowledgedAt !== null && !r.sent)
  const notes = [waiting > 0 ? `${waiting} 人待发送${held ? `：${held}` : ''}` : '', failed > 0 ? `${failed} 人发送失败` : ''].filter(Boolean)
  return [
    `已送达 ${sent}/${receipts.length} 人${notes.length > 0 ? `（${notes.join('，')}）` : ''}`,
    `已确认 ${acked} 人${early > 0 ? `（含 ${early} 人在消息送达前回复）` : ''}，未确认 ${receipts.length - acked} 人`,
  ]
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
