import type { DashboardLinks } from '../dashboard-links.js'
import { inertText } from '../../wecom/inert-text.js'
import type { DataSource, EntityManager } from 'typeorm'
import { RefusalError, StateConflictError } from '../../errors.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { beijingDate, formatChineseDate } from '../../time/calendar-date.js'
import { CampaignSchema, LedgerItemSchema, ProgressUpdateSchema, type LedgerItem, type LedgerStatus, type ProgressKind } from '../../db/entities/index.js'
import { canUpdateItem, isVerifier, UPDATE_DENIED, VERIFY_DENIED, type Actor } from './ledger-access.js'
import { notifyAdmins, notifyPeople } from './notify.js'
import { doneBy, lastChange } from './last-change.js'
import { verifyCard } from '../cards/build-cards.js'
import { openEvidenceWindow, WINDOW_MINUTES } from '../evidence/attach-evidence.js'
import { evidenceCount, evidenceLine, evidenceTotal, type EvidenceCount } from '../../read-model/evidence.js'

/** A change as it happened: the item before and after. */
export interface ItemChange {
  before: LedgerItem
  after: LedgerItem
  /** userids told about it besides the person who made it. */
  notified: string[]
}

/** 进度 and 完成 also open the reporter's evidence window and attach what waited (docs/evidence.md, Attaching). */
export interface ReportedChange extends ItemChange {
  attached: EvidenceCount
}

/** 退回: the change, and whether the progress set back to was found in the item's history. */
export interface Reopening extends ItemChange {
  /** false: no 完成 row held the progress before it, so it was set to 0% and must be reported again. */
  progressRestored: boolean
}

/**
 * Loads an item, or says there is none with that number. With `lock` (inside a transaction that
 * changes it), the row stays locked until the transaction ends: whoever comes second waits, then
 * reads what the first one wrote (docs/concurrency.md).
 */
export async function itemOrFail(db: DataSource | EntityManager, id: number, options: { lock?: boolean } = {}): Promise<LedgerItem> {
  const manager = 'manager' in db ? db.manager : db
  const item = options.lock ? await findOneForUpdate(manager, LedgerItemSchema, { id }) : await manager.findOneBy(LedgerItemSchema, { id })
  if (!item) throw new RefusalError('no_item', `没有编号为 #${id} 的台账事项。发送「我的」查看您负责的事项和编号。`)
  return item
}

/** Applies a change to an item and appends its history row, in the caller's transaction. */
async function applyChange(
  manager: EntityManager,
  actor: Actor,
  before: LedgerItem,
  change: { kind: ProgressKind; status: LedgerStatus; progress: number; note: string; extra?: Partial<LedgerItem> },
  now: Date,
): Promise<LedgerItem> {
  const values: Partial<LedgerItem> = { status: change.status, progress: change.progress, ...change.extra }
  await manager.update(LedgerItemSchema, { id: before.id }, values)
  await manager.insert(ProgressUpdateSchema, {
    ledgerItemId: before.id,
    personId: actor.person.id,
    kind: change.kind,
    oldStatus: before.status,
    newStatus: change.status,
    oldProgress: before.progress,
    newProgress: change.progress,
    note: change.note,
    // The service's clock: 「已于 … 标记整改完成」 and the figures read it.
    createdAt: now,
  })
  return { ...before, ...values }
}

/** Refuses a change to an item that is rectified or closed, saying who did that and when. */
async function requireOpen(manager: EntityManager, item: LedgerItem, now: Date, asking: 'progress' | 'done'): Promise<void> {
  if (item.status === 'closed') {
    const closed = await lastChange(manager, item.id, ['closed'])
    throw new StateConflictError('closed', `#${item.id} ${doneBy(closed, now)}销号，不能再更改。`)
  }
  if (item.status === 'rectified') {
    const done = await lastChange(manager, item.id, ['rectified'])
    const next = asking === 'done' ? '无需重复；正等待组织部核实销号。' : '正等待组织部核实销号；如需更改，请联系组织部退回。'
    throw new StateConflictError('rectified', `#${item.id} ${doneBy(done, now)}标记整改完成，${next}`)
  }
}

/**
 * What 进度, 完成 and 延期 check first, on its own: the item exists, the actor may report on it,
 * and it is still open. Tapping 更新进度, 已整改 or 申请延期 asks this before asking for words
 * (docs/cards.md, Short conversations); throws the same refusal the command would.
 */
export async function checkReportable(ds: DataSource, actor: Actor, id: number, now: Date, asking: 'progress' | 'done'): Promise<LedgerItem> {
  const item = await itemOrFail(ds, id)
  if (!canUpdateItem(actor, item)) throw new RefusalError('denied', UPDATE_DENIED)
  await requireOpen(ds.manager, item, now, asking)
  return item
}

/** What 退回 checks first, on its own: the actor verifies, and the item waits for verification. */
export async function checkReturnable(ds: DataSource, actor: Actor, id: number, now: Date): Promise<LedgerItem> {
  const item = await itemOrFail(ds, id)
  if (!isVerifier(actor)) throw new RefusalError('denied', VERIFY_DENIED)
  if (item.status === 'closed') {
    const closed = await lastChange(ds.manager, item.id, ['closed'])
    throw new StateConflictError('closed', `#${item.id} ${doneBy(closed, now)}销号，不能再退回。`)
  }
  if (item.status !== 'rectified') throw new StateConflictError('not_rectified', `#${item.id} 已不在待核实状态（可能已被退回），无需退回。`)
  return item
}

/** 进度: records progress; open items become in progress. */
export async function recordProgress(ds: DataSource, actor: Actor, id: number, progress: number, note: string, now = new Date()): Promise<ReportedChange> {
  return ds.transaction(async (manager) => {
    const before = await itemOrFail(manager, id, { lock: true })
    if (!canUpdateItem(actor, before)) throw new RefusalError('denied', UPDATE_DENIED)
    await requireOpen(manager, before, now, 'progress')
    if (progress === 100) throw new RefusalError('use_done', `进度 100% 请用「完成 ${id} 整改说明」标记整改完成，由组织部核实销号。`)
    const after = await applyChange(manager, actor, before, { kind: 'progress', status: 'in_progress', progress, note }, now)
    return { before, after, notified: [], attached: await openEvidenceWindow(manager, actor.person.id, id, now) }
  })
}

/** 完成: marks the item rectified and asks the organization department to verify it. */
export async function markRectified(ds: DataSource, actor: Actor, id: number, note: string, now: Date, links: DashboardLinks | null = null): Promise<ReportedChange> {
  return ds.transaction(async (manager) => {
    const before = await itemOrFail(manager, id, { lock: true })
    if (!canUpdateItem(actor, before)) throw new RefusalError('denied', UPDATE_DENIED)
    await requireOpen(manager, before, now, 'done')
    // What the reporter sent before naming the item counts for it, on the verifier's card too.
    const attached = await openEvidenceWindow(manager, actor.person.id, id, now)
    const evidence = await evidenceCount(manager, id)
    if (evidenceTotal(evidence) === 0 && (await evidenceRequired(manager, before))) {
      // The window the answer asks the photos in is opened although 完成 is refused (docs/evidence.md, Rules).
      throw new StateConflictError('no_evidence', `#${id} 须先提交整改佐证才能报告完成：请在 ${WINDOW_MINUTES} 分钟内发送整改照片、语音、视频或位置，再发送「完成 ${id} 整改说明」。`, async (db) => {
        await openEvidenceWindow(db, actor.person.id, id, now)
      })
    }
    const after = await applyChange(manager, actor, before, { kind: 'rectified', status: 'rectified', progress: 100, note, extra: { rectifiedAt: now } }, now)
    const evidenceText = evidenceLine(evidence, beijingDate(now))
    const history = await manager.countBy(ProgressUpdateSchema, { ledgerItemId: id })
    const notified = await notifyAdmins(
      manager,
      `rectified:${id}:${history}`,
      { kind: 'item', id },
      verifyCard({
        itemId: id,
        problem: before.problem,
        reporter: actor.person.name,
        detail: `整改说明：${note}`,
        evidence: evidenceText.replace('佐证：', ''),
        link: links?.item(id),
        text: `**待核实销号 #${id}**\n${inertText(actor.person.name)}报告整改完成：${inertText(before.problem)}\n整改说明：${inertText(note)}\n${evidenceText}${evidenceTotal(evidence) > 0 ? `（发送「佐证 ${id}」查看）` : ''}\n核实后发送「销号 ${id} 意见」，或「退回 ${id} 理由」。`,
      }),
      now,
      actor.person.userid,
    )
    return { before, after, notified, attached }
  })
}

/** 销号: the organization department or the inspection group verifies a rectified item and closes it. */
export async function verifyItem(ds: DataSource, actor: Actor, id: number, decision: 'close', note: string, now: Date): Promise<ItemChange>
/**
 * 退回: sends a rectified item back. Its progress goes back to what it was before 完成 (the last
 * 完成 row's old progress), so 详情, lists and reminders show that again, not 100%; without such a
 * row it is set to 0% and the people are told to report it again.
 */
export async function verifyItem(ds: DataSource, actor: Actor, id: number, decision: 'reopen', note: string, now: Date): Promise<Reopening>
export async function verifyItem(ds: DataSource, actor: Actor, id: number, decision: 'close' | 'reopen', note: string, now: Date): Promise<ItemChange | Reopening> {
  if (!isVerifier(actor)) throw new RefusalError('denied', VERIFY_DENIED)
  return ds.transaction(async (manager) => {
    const before = await itemOrFail(manager, id, { lock: true })
    const verb = decision === 'close' ? '销号' : '退回'
    if (before.status === 'closed') throw new StateConflictError('closed', `#${id} ${doneBy(await lastChange(manager, id, ['closed']), now)}销号。`)
    if (before.status !== 'rectified') {
      // Sent back a moment ago by someone else: say so, rather than "not reported done".
      const reopened = await lastChange(manager, id, ['reopened', 'rectified'])
      if (reopened?.kind === 'reopened') {
        throw new StateConflictError('reopened', `#${id} ${doneBy(reopened, now)}退回（${reopened.note}），当前整改中，不能${verb}。`)
      }
      throw new StateConflictError('not_rectified', `#${id} 还没有报告整改完成（当前进度 ${before.progress}%），不能${verb}。`)
    }
    const history = await manager.countBy(ProgressUpdateSchema, { ledgerItemId: id })
    if (decision === 'close' && evidenceTotal(await evidenceCount(manager, id)) === 0 && (await evidenceRequired(manager, before))) {
      throw new StateConflictError('no_evidence', `#${id} 还没有整改佐证，按组织部的要求不能销号。可发送「退回 ${id} 请补充整改照片」。`)
    }
    if (decision === 'close') {
      const after = await applyChange(manager, actor, before, { kind: 'closed', status: 'closed', progress: 100, note, extra: { closedAt: now } }, now)
      const message = `**#${id} 已销号**\n${inertText(before.problem)}\n核实人：${inertText(actor.person.name)}${note ? `；意见：${inertText(note)}` : ''}`
      return { before, after, notified: await notifyItemPeople(manager, actor, before, `close:${id}:${history}`, message, now) }
    }
    const restored = (await lastChange(manager, id, ['rectified']))?.oldProgress ?? null
    const after = await applyChange(manager, actor, before, { kind: 'reopened', status: 'in_progress', progress: restored ?? 0, note, extra: { rectifiedAt: null } }, now)
    const progress =
      restored === null ? `报告完成前的进度没有记录，进度置为 0%，请发送「进度 ${id} 百分比 说明」重新报告。` : `进度退回到 ${restored}%（报告完成前的进度）。`
    const message = `**#${id} 被退回，请继续整改**\n${inertText(before.problem)}\n退回理由：${inertText(note)}\n${progress}\n完成时限：${formatChineseDate(before.dueDate)}。整改后再次发送「完成 ${id} 整改说明」。`
    const notified = await notifyItemPeople(manager, actor, before, `reopen:${id}:${history}`, message, now)
    return { before, after, notified, progressRestored: restored !== null }
  })
}

/** Tells an item's responsible person and leader, leaving out the one who acted. */
function notifyItemPeople(manager: EntityManager, actor: Actor, item: LedgerItem, key: string, message: string, now: Date): Promise<string[]> {
  return notifyPeople(manager, [item.responsiblePersonId, item.responsibleLeaderId], key, { kind: 'item', id: item.id }, message, now, actor.person.id)
}

/** The item's campaign requires evidence before 完成 and 销号 (docs/evidence.md, Rules). */
async function evidenceRequired(manager: EntityManager, item: LedgerItem): Promise<boolean> {
  return (await manager.findOneBy(CampaignSchema, { id: item.campaignId }))?.requireEvidence === true
}
