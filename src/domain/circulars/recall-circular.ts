import { inertText } from '../../wecom/inert-text.js'
import { In, type DataSource, type EntityManager } from 'typeorm'
import { enqueue } from '../../outbox/enqueue.js'
import { RefusalError, StateConflictError } from '../../errors.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { formatWhen } from '../../time/calendar-date.js'
import { text } from '../../wecom/messages.js'
import { CircularSchema, OutboxMessageSchema, PersonSchema, type Circular, type OutboxMessage } from '../../db/entities/index.js'

/** WeCom recalls app messages for 24 hours after sending (docs/wecom.md, Recall). */
export const RECALL_WINDOW_MS = 24 * 3_600_000

export interface RecallOutcome {
  circular: Circular
  /** Copies sent within the window: a message/recall is queued for each. */
  recalling: number
  /** Copies not sent yet: cancelled in the outbox. */
  cancelled: number
  /** People whose copy went to the WeChat plugin too: that copy stays (a note was sent to them). */
  wechatPlugin: string[]
  /** Group robots whose copy went out: the robot API has no recall. */
  robots: string[]
  /** Copies sent more than 24 hours ago. */
  pastWindow: number
  /** Copies being sent this very moment: their outcome is unknown. */
  inFlight: number
}

/**
 * Recalls a sent circular, in the caller's transaction: pending copies (and reminders) are
 * cancelled in the outbox; each copy sent within WeCom's 24-hour window gets a `recall` row,
 * which the delivery worker turns into message/recall (nothing goes to WeCom that was not first
 * stored). What cannot be recalled is counted for the answer: WeChat-plugin copies, group-robot
 * copies, copies past the window.
 */
export async function recallCircular(manager: EntityManager, circularId: number, now: Date): Promise<RecallOutcome> {
  // Locked: two 撤回 at once make one recall; a 收到 waits for it and then finds the circular recalled.
  const circular = await findOneForUpdate(manager, CircularSchema, { id: circularId })
  if (!circular) throw new RefusalError('unknown_circular', `没有编号为 #${circularId} 的通报。`)
  if (circular.status === 'recalled') throw new StateConflictError('already_recalled', `通报 #${circularId} 已于 ${formatWhen(circular.recalledAt ?? now, now)} 撤回过了。`)
  if (circular.status === 'draft') throw new RefusalError('draft', `通报 #${circularId} 还是草稿，没有发出，无需撤回。`)
  // The circular's copies (to people and robots) and its reminders, by subject (docs/delivery.md).
  const rows = await manager.find(OutboxMessageSchema, {
    where: [
      { subjectKind: 'circular', subjectId: circularId },
      { subjectKind: 'circular_reminder', subjectId: circularId },
    ],
    order: { id: 'ASC' },
  })
  const windowStart = now.getTime() - RECALL_WINDOW_MS
  const pending = rows.filter((r) => r.status === 'pending')
  const sent = rows.filter((r) => r.status === 'sent')
  const recallable = sent.filter((r) => r.channel !== 'webhook' && r.wecomMsgid && (r.sentAt?.getTime() ?? 0) >= windowStart)
  const isOwn = (r: OutboxMessage) => r.subjectKind === 'circular'
  /** A copy to a person (not a group robot's). */
  const isCopy = (r: OutboxMessage) => isOwn(r) && r.personId !== null
  const pastWindow = sent.filter((r) => r.channel !== 'webhook' && isCopy(r) && (r.sentAt?.getTime() ?? 0) < windowStart).length
  // Only the circular's own copies count: a reminder waiting in the outbox does not make a
  // circular whose copies are all past the window recallable.
  const pendingCopies = pending.filter(isOwn)
  if (pendingCopies.length === 0 && recallable.length === 0 && pastWindow > 0) {
    throw new RefusalError('past_window', `通报 #${circularId} 发出已超过 24 小时，企业微信不允许撤回。如需更正，请发布更正通报。`)
  }
  await manager.update(CircularSchema, { id: circularId, status: 'sent' }, { status: 'recalled', recalledAt: now })
  if (pending.length > 0) await manager.update(OutboxMessageSchema, { id: In(pending.map((r) => r.id)), status: 'pending' }, { status: 'cancelled', lastError: '通报已撤回' })
  for (const row of recallable) {
    for (const [index, msgid] of row.wecomMsgid!.split(',').entries()) {
      await enqueue(
        manager,
        {
          dedupeKey: `circular-recall:${circularId}:${row.id}:${index}`,
          recall: msgid,
          subject: { kind: 'circular_recall', id: circularId, person: row.personId },
          // A recall is late soon enough: quiet hours do not hold it back.
          urgent: true,
        },
        now,
      )
    }
  }
  const wechatPlugin = await tellWeChatPluginReaders(manager, circular, sent.filter(isCopy), now)
  const robots = sent.filter((r) => r.channel === 'webhook').map((r) => String((JSON.parse(r.recipients) as { robot: string }).robot))
  return {
    circular: { ...circular, status: 'recalled', recalledAt: now },
    recalling: recallable.filter(isCopy).length,
    cancelled: pendingCopies.length,
    wechatPlugin,
    robots: [...new Set(robots)],
    pastWindow,
    inFlight: rows.filter((r) => r.status === 'sending' && isCopy(r)).length,
  }
}

/** WeChat-plugin copies stay after a recall: their readers get a short note instead. */
async function tellWeChatPluginReaders(manager: EntityManager, circular: Circular, sentCopies: OutboxMessage[], now: Date): Promise<string[]> {
  const personIds = [...new Set(sentCopies.map((r) => r.personId).filter((id): id is number => id !== null))]
  if (personIds.length === 0) return []
  const readers = await manager.find(PersonSchema, { where: { id: In(personIds), viaWechat: true, active: true }, order: { id: 'ASC' } })
  for (const person of readers) {
    await enqueue(
      manager,
      { dedupeKey: `circular-recalled:${circular.id}:${person.id}`, subject: { kind: 'circular_recall', id: circular.id, person: person.id }, to: { users: [person.userid] }, message: text(`通报 #${circular.id}《${inertText(circular.title)}》已撤回，请勿执行，以组织部后续通知为准。`), urgent: true },
      now,
    )
  }
  return readers.map((p) => p.name)
}

/** 通报 撤回 编号, in its own transaction. */
export async function recallCircularNow(ds: DataSource, circularId: number, now: Date): Promise<RecallOutcome> {
  return ds.transaction((manager) => recallCircular(manager, circularId, now))
}
