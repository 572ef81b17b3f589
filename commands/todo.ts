import { evidenceCount, evidenceLine } from '../src/read-model/evidence.js'
import { defineCommand } from '../src/bot/define-command.js'
import { replyList } from '../src/bot/reply-list.js'
import { runningCampaignOrSay } from '../src/bot/running-campaign.js'
import { markSeen } from '../src/domain/conversation/person-seen.js'
import { itemLine, shorten } from '../src/domain/ledger/format-item.js'
import { isVerifier } from '../src/domain/ledger/ledger-access.js'
import { meetingTime } from '../src/domain/meetings/agenda-message.js'
import { statusLight } from '../src/read-model/figures.js'
import { lastSeen, personNames, REPORTS_SEEN, todoFor, type Todo } from '../src/read-model/todo.js'
import { itemOrFail } from '../src/domain/ledger/item-lifecycle.js'
import type { DataSource } from 'typeorm'
import type { ExtensionRequest } from '../src/db/entities/index.js'
import { beijingDate, formatChineseDate, formatWhen, lastDayOfMonth, type CalendarDate } from '../src/time/calendar-date.js'
import { inertText } from '../src/wecom/inert-text.js'
import type { CardMessage } from '../src/wecom/messages.js'
import type { DashboardLinks } from '../src/domain/dashboard-links.js'
import { circularCard, digestCard, extensionCard, verifyCard } from '../src/domain/cards/build-cards.js'
import { kindLabel } from '../src/domain/circulars/circular-message.js'

/** 待办: what waits for this person, by role, each line ending with the command that acts on it (docs/chat.md, 待办). */
export const todo = defineCommand<Record<string, never>>({
  name: '待办',
  aliases: ['todo', 'db'],
  summary: '现在要办的事，附办理命令',
  usage: '待办',
  example: '待办',
  roles: 'everyone',
  featured: 0,
  parse: () => ({}),
  async run(context) {
    const { dataSource, actor } = context
    const now = context.now()
    const today = beijingDate(now)
    const campaign = await runningCampaignOrSay(context, today)
    if (!campaign) return
    const verifier = isVerifier(actor)
    const seen = verifier ? await lastSeen(dataSource, actor.person.id, REPORTS_SEEN) : null
    const todo = await todoFor(dataSource, actor, campaign.id, today, now, seen)
    if (verifier) await markSeen(dataSource, actor.person.id, REPORTS_SEEN, now)
    const lines = todoLines(todo, today, now, seen)
    const empty = `待办（${inertText(actor.person.name)}）：暂无待办事项。${verifier ? '' : '发送「我的」查看全部台账。'}`
    const extension = todo.extensionsToDecide.length === 1 ? await extensionParties(dataSource, todo.extensionsToDecide[0]!) : null
    const [verify] = todo.toVerify
    const evidence = verify ? evidenceLine(await evidenceCount(dataSource, verify.id), today).replace('佐证：', '') : undefined
    await replyList(context, '待办', { title: `**待办（${inertText(actor.person.name)}）**`, lines, empty }, (text) => decisionCard(todo, today, now, text, extension, context.links, evidence))
  },
})

/**
 * 待办 as a card when all it names is one thing to decide (docs/cards.md, Which cards): one item
 * to verify, one extension request, one circular to acknowledge, or one item of one's own.
 */
function decisionCard(todo: Todo, today: CalendarDate, now: Date, text: string, extension: { requester: string; problem: string } | null, links: DashboardLinks | null, evidence: string | undefined): CardMessage | null {
  const decisions = [todo.toVerify, todo.extensionsToDecide, todo.circularsToAcknowledge, todo.items, todo.reportsToVerify, todo.meetingsToAnswer, todo.reportsOwed, todo.deliverablesOwed, todo.reportsSubmitted, todo.circularsUnacknowledged, todo.meetingsWithoutMinutes]
  if (decisions.reduce((sum, list) => sum + list.length, 0) !== 1) return null
  const unit = (id: number) => todo.unitNames.get(id) ?? ''
  const [verify] = todo.toVerify
  if (verify) return verifyCard({ itemId: verify.id, problem: verify.problem, reporter: unit(verify.unitId), detail: verify.rectifiedAt ? `${formatWhen(verify.rectifiedAt, now)}报完成，「详情 ${verify.id}」看说明` : `「详情 ${verify.id}」看说明`, evidence, text, link: links?.item(verify.id) })
  const [request] = todo.extensionsToDecide
  if (request && extension) return extensionCard({ requestId: request.id, itemId: request.ledgerItemId, ...extension, from: formatChineseDate(request.oldDueDate, today), to: formatChineseDate(request.newDueDate, today), reason: request.reason, text, link: links?.item(request.ledgerItemId) })
  const [circular] = todo.circularsToAcknowledge
  if (circular) return circularCard({ id: circular.id, label: kindLabel(circular.kind), title: circular.title, body: circular.body, from: '县委组织部', text })
  const [item] = todo.items
  if (item) return digestCard({ items: [item], more: [], today, text })
  return null
}

/** Who asked for an extension and about what, for its card. */
async function extensionParties(dataSource: DataSource, request: ExtensionRequest): Promise<{ requester: string; problem: string }> {
  const names = await personNames(dataSource, [request.requestedById])
  return { requester: names.get(request.requestedById) ?? '', problem: (await itemOrFail(dataSource, request.ledgerItemId)).problem }
}

function todoLines(todo: Todo, today: CalendarDate, now: Date, reportsSeenAt: Date | null): string[] {
  const lines: string[] = []
  const unit = (id: number) => inertText(todo.unitNames.get(id) ?? '')
  const section = <T>(title: string, entries: readonly T[], line: (entry: T) => string) => {
    if (entries.length === 0) return
    lines.push(`**${title}**`)
    for (const entry of entries) lines.push(line(entry))
  }
  section(`待核实销号 ${todo.toVerify.length} 项`, todo.toVerify, (item) => {
    const reported = item.rectifiedAt ? ` ${formatWhen(item.rectifiedAt, now)}报完成` : ''
    return `- #${item.id} ${unit(item.unitId)} ${shorten(item.problem, 14)}${reported} →「销号 ${item.id}」或「退回 ${item.id} 理由」`
  })
  section(`举报待核查 ${todo.reportsToVerify.length} 件`, todo.reportsToVerify, (report) => {
    const where = report.unitId === null ? '' : ` ${unit(report.unitId)}`
    return `- ${statusLight({ status: 'in_progress', dueDate: report.verifyBy }, today)} 举报 #${report.id}${where} · ${formatChineseDate(report.verifyBy, today)}前 →「举报 核查 ${report.id} 属实|部分属实|不属实 说明」`
  })
  section(`延期申请待审批 ${todo.extensionsToDecide.length} 项`, todo.extensionsToDecide, (request) => {
    const dates = `${formatChineseDate(request.oldDueDate, today)}→${formatChineseDate(request.newDueDate, today)}`
    return `- 申请 #${request.id}：事项 #${request.ledgerItemId} ${dates}，${shorten(request.reason, 12)} →「批准 ${request.id}」或「驳回 ${request.id} 理由」`
  })
  section(`${reportsSeenAt ? '新提交的月报' : '近两个月已提交的月报'} ${todo.reportsSubmitted.length} 份`, todo.reportsSubmitted, (report) => {
    const revision = report.revision > 1 ? `（第 ${report.revision} 版）` : ''
    const month = `${Number(report.month.slice(5, 7))}月`
    return `- ${inertText(report.unitName)}${month}月报 ${formatWhen(report.submittedAt, now)}${revision} →「查看月报 ${inertText(report.unitName)} ${month}」`
  })
  section('提醒后仍未确认的通报', todo.circularsUnacknowledged, ({ circular, waiting }) => `- #${circular.id}《${shorten(circular.title, 16)}》${waiting} 人未确认 →「通报 状态 ${circular.id}」`)
  section('已开会未记纪要', todo.meetingsWithoutMinutes, (meeting) => `- 会议 #${meeting.id} ${meetingTime(meeting.startsAt, today)} →「会议 纪要 ${meeting.id}」`)
  section(`台账事项 ${todo.items.length} 项`, todo.items, (item) => `${itemLine(item, today)} →「进度 ${item.id}」`)
  if (todo.items.length > 0) lines.push('进度：进度 编号 百分比 说明；完成：完成 编号 整改说明')
  if (todo.itemsAwaitingVerification > 0) lines.push(`另有 ${todo.itemsAwaitingVerification} 项已报整改完成，等待组织部核实销号。`)
  const deadline = formatChineseDate(lastDayOfMonth(today), today)
  const month = `${Number(today.slice(5, 7))}月`
  section('月报未提交', todo.reportsOwed, (owed) => `- ${inertText(owed.unitName)}${month}月报（${deadline}前）→「月报 内容」`)
  section('阶段任务待交', todo.deliverablesOwed, ({ task, light }) => `- ${light} ${inertText(task.name)}（${formatChineseDate(task.dueDate, today)}截止）→「阶段」`)
  section('待确认的通报', todo.circularsToAcknowledge, (circular) => `- #${circular.id}《${shorten(circular.title, 16)}》→「收到 ${circular.id}」`)
  section('待回复的会议', todo.meetingsToAnswer, (meeting) => `- 会议 #${meeting.id} ${meetingTime(meeting.startsAt, today)} ${shorten(meeting.place, 10)} →「参会 ${meeting.id} 参加」或「参会 ${meeting.id} 请假 理由」`)
  return lines
}

