import { inertText } from '../../wecom/inert-text.js'
import type { DataSource } from 'typeorm'
import { UserFacingError } from '../../errors.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { ExtensionRequestSchema, LedgerItemSchema, ProgressUpdateSchema, type ExtensionRequest } from '../entities/index.js'
import { itemOrFail } from './item-lifecycle.js'
import { canUpdateItem, UPDATE_DENIED, type Actor } from './ledger-access.js'
import { notifyAdmins, notifyPeople } from './notify.js'

/** 延期: asks the organization department for a new due date. */
export async function requestExtension(
  ds: DataSource,
  actor: Actor,
  itemId: number,
  newDueDate: CalendarDate,
  reason: string,
  today: CalendarDate,
  now: Date,
): Promise<ExtensionRequest> {
  return ds.transaction(async (manager) => {
    const item = await itemOrFail(manager, itemId)
    if (!canUpdateItem(actor, item)) throw new UserFacingError('denied', UPDATE_DENIED)
    if (item.status === 'closed' || item.status === 'rectified') throw new UserFacingError('finished', `#${itemId} 已整改完成，不需要延期。`)
    if (newDueDate <= item.dueDate) {
      throw new UserFacingError('not_later', `新的时限应晚于现在的时限 ${formatChineseDate(item.dueDate, today)}。`)
    }
    if (newDueDate <= today) throw new UserFacingError('past', '新的时限应晚于今天。')
    const pending = await manager.findOneBy(ExtensionRequestSchema, { ledgerItemId: itemId, status: 'pending' })
    if (pending) throw new UserFacingError('pending', `#${itemId} 已有待审批的延期申请 #${pending.id}，请等待组织部答复。`)
    const request = await manager.save(ExtensionRequestSchema, {
      ledgerItemId: itemId,
      requestedById: actor.person.id,
      oldDueDate: item.dueDate,
      newDueDate,
      reason,
      status: 'pending',
    })
    await notifyAdmins(
      manager,
      `extension:${request.id}`,
      `**延期申请 #${request.id}**\n${inertText(actor.person.name)}申请将 #${itemId}「${inertText(item.problem)}」的时限从 ${formatChineseDate(item.dueDate, today)} 延至 ${formatChineseDate(newDueDate, today)}。\n理由：${inertText(reason)}\n同意发送「批准 ${request.id}」，不同意发送「驳回 ${request.id} 意见」。`,
      now,
      actor.person.userid,
    )
    return request
  })
}

/** 批准 / 驳回: the organization department answers an extension request; approval moves the due date. */
export async function decideExtension(
  ds: DataSource,
  actor: Actor,
  requestId: number,
  decision: 'approved' | 'denied',
  note: string,
  today: CalendarDate,
  now: Date,
): Promise<{ request: ExtensionRequest; notified: string[] }> {
  if (!actor.roles.includes('org_admin')) throw new UserFacingError('denied', '只有组织部（干部监督科）可以审批延期申请。')
  return ds.transaction(async (manager) => {
    const request = await manager.findOneBy(ExtensionRequestSchema, { id: requestId })
    if (!request) throw new UserFacingError('no_request', `没有编号为 #${requestId} 的延期申请。`)
    if (request.status !== 'pending') {
      throw new UserFacingError('decided', `延期申请 #${requestId} 已${request.status === 'approved' ? '批准' : '驳回'}。`)
    }
    const item = await itemOrFail(manager, request.ledgerItemId)
    if (decision === 'approved' && (item.status === 'rectified' || item.status === 'closed')) {
      throw new UserFacingError('finished', `#${item.id} 已${item.status === 'closed' ? '销号' : '整改完成'}，不需要延期；可发送「驳回 ${requestId}」结束这件申请。`)
    }
    const decided = { ...request, status: decision, decidedById: actor.person.id, decidedAt: now, decisionNote: note || null }
    await manager.update(ExtensionRequestSchema, { id: requestId }, { status: decision, decidedById: actor.person.id, decidedAt: now, decisionNote: note || null })
    if (decision === 'approved') {
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
    const message =
      decision === 'approved'
        ? `**延期申请 #${requestId} 已批准**\n#${item.id} 的时限改为 ${formatChineseDate(request.newDueDate, today)}，提醒将按新时限发送。${note ? `\n意见：${inertText(note)}` : ''}`
        : `**延期申请 #${requestId} 未获批准**\n#${item.id} 的时限仍为 ${formatChineseDate(item.dueDate, today)}。${note ? `\n意见：${inertText(note)}` : ''}`
    const notified = await notifyPeople(
      manager,
      [request.requestedById, item.responsiblePersonId, item.responsibleLeaderId],
      `extension-${decision}:${requestId}`,
      message,
      now,
      actor.person.id,
    )
    return { request: decided, notified }
  })
}
