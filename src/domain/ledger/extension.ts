import type { DashboardLinks } from '../dashboard-links.js'
import { inertText } from '../../wecom/inert-text.js'
import type { DataSource, EntityManager } from 'typeorm'
import { RefusalError, StateConflictError } from '../../errors.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { formatChineseDate, formatWhen, type CalendarDate } from '../../time/calendar-date.js'
import { checkDateBound } from '../campaign/date-bound.js'
import { CampaignSchema, ExtensionRequestSchema, LedgerItemSchema, ProgressUpdateSchema, type ExtensionRequest, type LedgerItem } from '../../db/entities/index.js'
import { itemOrFail } from './item-lifecycle.js'
import { canUpdateItem, UPDATE_DENIED, type Actor } from './ledger-access.js'
import { notifyAdmins, notifyPeople } from './notify.js'
import { doneBy, lastChange } from './last-change.js'
import { personName } from '../roster/person-name.js'
import { extensionCard } from '../cards/build-cards.js'

/** 延期: asks the organization department for a new due date; at most one request per item waits. */
export async function requestExtension(
  ds: DataSource,
  actor: Actor,
  itemId: number,
  newDueDate: CalendarDate,
  reason: string,
  today: CalendarDate,
  now: Date,
  links: DashboardLinks | null = null,
): Promise<ExtensionRequest> {
  return ds.transaction(async (manager) => {
    // Locked: a second request for the same item waits here and then finds this one pending.
    const item = await itemOrFail(manager, itemId, { lock: true })
    if (!canUpdateItem(actor, item)) throw new RefusalError('denied', UPDATE_DENIED)
    if (item.status === 'closed' || item.status === 'rectified') throw new StateConflictError('finished', `#${itemId} ${await finishedBy(manager, item, now)}，不需要延期。`)
    // The asked date with its year: a date typed without one may have been read as next year's, or this year's (docs/chat-input.md).
    const asked = formatChineseDate(newDueDate)
    if (newDueDate <= item.dueDate) {
      throw new RefusalError('not_later', `新的时限 ${asked} 应晚于现在的时限 ${formatChineseDate(item.dueDate, today)}。`)
    }
    if (newDueDate <= today) throw new RefusalError('past', `新的时限 ${asked} 应晚于今天（${formatChineseDate(today, today)}）。`)
    checkDateBound(newDueDate, await manager.findOneByOrFail(CampaignSchema, { id: item.campaignId }), today, '新的时限')
    const pending = await manager.findOneBy(ExtensionRequestSchema, { ledgerItemId: itemId, status: 'pending' })
    if (pending) {
      const who = await personName(manager, pending.requestedById)
      throw new StateConflictError(
        'pending',
        `#${itemId} 已有待审批的延期申请 #${pending.id}（${who} ${formatWhen(pending.createdAt, now)} 提交，延至 ${formatChineseDate(pending.newDueDate, today)}），请等待组织部答复。`,
      )
    }
    const request = await manager.save(ExtensionRequestSchema, {
      ledgerItemId: itemId,
      requestedById: actor.person.id,
      oldDueDate: item.dueDate,
      newDueDate,
      reason,
      status: 'pending',
      // The service's clock, as every other action's (docs/responsiveness.md times it).
      createdAt: now,
    })
    await notifyAdmins(
      manager,
      `extension:${request.id}`,
      { kind: 'extension', id: request.id },
      extensionCard({
        requestId: request.id,
        itemId,
        problem: item.problem,
        requester: actor.person.name,
        from: formatChineseDate(item.dueDate, today),
        to: formatChineseDate(newDueDate, today),
        reason,
        link: links?.item(itemId),
        text: `**延期申请 #${request.id}**\n${inertText(actor.person.name)}申请将 #${itemId}「${inertText(item.problem)}」的时限从 ${formatChineseDate(item.dueDate, today)} 延至 ${formatChineseDate(newDueDate, today)}。\n理由：${inertText(reason)}\n同意发送「批准 ${request.id}」，不同意发送「驳回 ${request.id} 意见」。`,
      }),
      now,
      actor.person.userid,
    )
    return request
  })
}

export interface ExtensionDecision {
  request: ExtensionRequest
  /** expired: asked to approve, but the request could no longer be (`reason` says why); it is marked 已失效. */
  outcome: 'approved' | 'denied' | 'expired'
  reason?: string
  notified: string[]
}

const DECIDED: Record<string, string> = { approved: '批准', denied: '驳回', expired: '标记失效' }

/** What 驳回 checks first, on its own (tapping 驳回 asks this before asking for the reason, docs/cards.md): the actor decides, the request waits. */
export async function checkDecidable(ds: DataSource, actor: Actor, requestId: number, now: Date): Promise<void> {
  if (!actor.roles.includes('org_admin')) throw new RefusalError('denied', '只有组织部（干部监督科）可以审批延期申请。')
  const request = await ds.manager.findOneBy(ExtensionRequestSchema, { id: requestId })
  if (!request) throw new RefusalError('no_request', `没有编号为 #${requestId} 的延期申请。`)
  if (request.status !== 'pending') throw await alreadyDecided(ds.manager, request, now)
}

/** The refusal of a decision on a request decided before: when, by whom, how. */
async function alreadyDecided(manager: EntityManager, request: ExtensionRequest, now: Date): Promise<StateConflictError> {
  const when = request.decidedAt ? `于 ${formatWhen(request.decidedAt, now)} ` : ''
  return new StateConflictError('decided', `延期申请 #${request.id} 已${when}由${await personName(manager, request.decidedById)}${DECIDED[request.status] ?? request.status}。`)
}

/**
 * 批准 / 驳回: the organization department answers an extension request; approval moves the due
 * date. The item and the request are locked (in that order, as everywhere), so two decisions at
 * once make one, and an approval that would no longer move the date later (the due date moved
 * meanwhile, by an import or another approval, or the item was closed) marks the request 已失效
 * instead and tells the requester why.
 */
export async function decideExtension(
  ds: DataSource,
  actor: Actor,
  requestId: number,
  decision: 'approved' | 'denied',
  note: string,
  today: CalendarDate,
  now: Date,
): Promise<ExtensionDecision> {
  if (!actor.roles.includes('org_admin')) throw new RefusalError('denied', '只有组织部（干部监督科）可以审批延期申请。')
  return ds.transaction(async (manager) => {
    const found = await manager.findOneBy(ExtensionRequestSchema, { id: requestId })
    if (!found) throw new RefusalError('no_request', `没有编号为 #${requestId} 的延期申请。`)
    const item = await itemOrFail(manager, found.ledgerItemId, { lock: true })
    const request = (await findOneForUpdate(manager, ExtensionRequestSchema, { id: requestId }))!
    if (request.status !== 'pending') throw await alreadyDecided(manager, request, now)
    if (decision === 'approved' && item.status === 'rectified') {
      throw new StateConflictError('finished', `#${item.id} ${await finishedBy(manager, item, now)}，不需要延期；可发送「驳回 ${requestId}」结束这件申请。`)
    }
    const stale = decision === 'approved' ? staleReason(item, request, today) : null
    const status = stale ? 'expired' : decision
    const decisionNote = stale ?? (note || null)
    await manager.update(ExtensionRequestSchema, { id: requestId }, { status, decidedById: actor.person.id, decidedAt: now, decisionNote })
    const decided: ExtensionRequest = { ...request, status, decidedById: actor.person.id, decidedAt: now, decisionNote }
    if (status === 'approved') {
      await manager.update(LedgerItemSchema, { id: item.id }, { dueDate: request.newDueDate })
      // A new due date starts the reminders afresh (item_reminder counts from the old one): 3 and 1 days before it, overdue after it.
      await manager.insert(ProgressUpdateSchema, {
        ledgerItemId: item.id,
        personId: actor.person.id,
        kind: 'extended',
        oldStatus: item.status,
        newStatus: item.status,
        oldProgress: item.progress,
        newProgress: item.progress,
        note: `延期至 ${request.newDueDate}（申请 #${requestId}）${note ? `：${note}` : ''}`,
      })
    }
    const message = {
      approved: `**延期申请 #${requestId} 已批准**\n#${item.id} 的时限改为 ${formatChineseDate(request.newDueDate, today)}，提醒将按新时限发送。${note ? `\n意见：${inertText(note)}` : ''}`,
      denied: `**延期申请 #${requestId} 未获批准**\n#${item.id} 的时限仍为 ${formatChineseDate(item.dueDate, today)}。${note ? `\n意见：${inertText(note)}` : ''}`,
      expired: `**延期申请 #${requestId} 已失效**\n${inertText(stale ?? '')}如仍需延期，请重新申请。`,
    }[status]
    const notified = await notifyPeople(
      manager,
      [request.requestedById, item.responsiblePersonId, item.responsibleLeaderId],
      `extension-${status}:${requestId}`,
      { kind: 'extension', id: requestId },
      message,
      now,
      actor.person.id,
    )
    return { request: decided, outcome: status, ...(stale ? { reason: stale } : {}), notified }
  })
}

/** Why approving would be wrong now, or null: the item was closed, or its due date is already as late as asked. */
function staleReason(item: LedgerItem, request: ExtensionRequest, today: CalendarDate): string | null {
  if (item.status === 'closed') return `#${item.id} 已销号，不需要延期。`
  if (request.newDueDate <= item.dueDate) {
    return `#${item.id} 的时限已是 ${formatChineseDate(item.dueDate, today)}，不早于申请的 ${formatChineseDate(request.newDueDate, today)}，批准会把时限提前。`
  }
  return null
}

/** "已于 10:32 由李娜标记整改完成" or "已于 … 由王健销号": who finished the item, and when. */
async function finishedBy(manager: EntityManager, item: LedgerItem, now: Date): Promise<string> {
  const closed = item.status === 'closed'
  return `${doneBy(await lastChange(manager, item.id, [closed ? 'closed' : 'rectified']), now)}${closed ? '销号' : '标记整改完成'}`
}
