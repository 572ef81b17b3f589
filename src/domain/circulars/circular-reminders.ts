import { inertText } from '../../wecom/inert-text.js'
import { In, IsNull, type DataSource } from 'typeorm'
import { enqueueMany, type OutgoingMessage } from '../../outbox/enqueue.js'
import { CircularReceiptSchema, CircularSchema, PersonSchema, RoleAssignmentSchema, type Circular, type CircularReceipt } from '../../db/entities/index.js'
import { beijingDate, formatChineseDate } from '../../time/calendar-date.js'
import { isWorkday } from '../../time/work-calendar.js'
import { addWorkingHours } from '../../time/working-hours.js'
import { markdown } from '../../wecom/messages.js'
import { kindLabel } from './circular-message.js'

/** Outbox key of a person's one reminder about a circular. */
export const circularReminderKey = (circularId: number, personId: number) => `circular-remind:${circularId}:p:${personId}`

/**
 * The non-acknowledger reminder: `remindAfterHours` working hours after a circular
 * was sent, each recipient who has not replied 收到 gets one reminder; a unit head whose
 * liaison has not acknowledged either is told so. A function of the database and `now`: run
 * again, it writes nothing (reminded_at is claimed per receipt, the outbox key is unique).
 * Nothing on rest days.
 */
export async function sweepCircularReminders(ds: DataSource, now: Date, remindAfterHours: number): Promise<{ reminded: number }> {
  const today = beijingDate(now)
  if (!isWorkday(today)) return { reminded: 0 }
  const open = (await ds.query(
    `SELECT DISTINCT r.circular_id AS id FROM circular_receipt r JOIN circular c ON c.id = r.circular_id
      WHERE c.status = 'sent' AND r.acknowledged_at IS NULL AND r.reminded_at IS NULL`,
  )) as { id: number }[]
  let reminded = 0
  for (const { id } of open) {
    const circular = await ds.getRepository(CircularSchema).findOneBy({ id: Number(id) })
    if (!circular?.sentAt || addWorkingHours(circular.sentAt, remindAfterHours) > now) continue
    reminded += await ds.transaction(async (manager) => {
      const receipts = await manager.findBy(CircularReceiptSchema, { circularId: circular.id })
      const waiting = receipts.filter((r) => r.acknowledgedAt === null && r.remindedAt === null)
      if (waiting.length === 0) return 0
      const people = await manager.find(PersonSchema, { where: { id: In(receipts.map((r) => r.personId)) } })
      const roles = await manager.find(RoleAssignmentSchema, { where: { personId: In(receipts.map((r) => r.personId)), role: In(['unit_head', 'liaison']) } })
      const byId = new Map(people.map((p) => [p.id, p]))
      const outgoing: OutgoingMessage[] = []
      for (const receipt of waiting) {
        const person = byId.get(receipt.personId)
        if (!person?.active) continue
        // Claimed first: a second sweep (or replica) finds reminded_at set and writes nothing.
        const claimed = await manager.update(CircularReceiptSchema, { id: receipt.id, remindedAt: IsNull(), acknowledgedAt: IsNull() }, { remindedAt: now })
        if (!claimed.affected) continue
        const isHead = roles.some((a) => a.personId === person.id && a.role === 'unit_head' && a.unitId === receipt.unitId)
        const note = isHead ? liaisonNote(receipt, receipts, roles, byId) : ''
        outgoing.push({ dedupeKey: circularReminderKey(circular.id, person.id), subject: { kind: 'circular_reminder', id: circular.id, person: person.id }, to: { users: [person.userid] }, message: markdown(reminderContent(circular, today, note)) })
      }
      await enqueueMany(manager, outgoing, now)
      return outgoing.length
    })
  }
  return { reminded }
}

/** For a unit head: the unit's liaisons who received the circular and have not acknowledged it either. */
function liaisonNote(
  head: CircularReceipt,
  receipts: readonly CircularReceipt[],
  roles: readonly { personId: number; role: string; unitId: number | null }[],
  people: ReadonlyMap<number, { name: string }>,
): string {
  const liaisons = receipts.filter((r) => r.unitId === head.unitId && r.personId !== head.personId && roles.some((a) => a.personId === r.personId && a.role === 'liaison' && a.unitId === head.unitId))
  if (liaisons.length === 0 || liaisons.some((r) => r.acknowledgedAt !== null)) return ''
  return `本单位联络员 ${liaisons.map((r) => inertText(people.get(r.personId)?.name ?? '')).join('、')} 也尚未确认，请督促落实。`
}

function reminderContent(circular: Circular, today: string, note: string): string {
  const lines = [
    `**请确认收到${kindLabel(circular.kind)} #${circular.id}**`,
    `《${inertText(circular.title)}》已于 ${formatChineseDate(beijingDate(circular.sentAt!), today)} 发出，您尚未确认。`,
    ...(note ? [note] : []),
    `阅后请回复「收到 ${circular.id}」`,
  ]
  return lines.join('\n')
}
