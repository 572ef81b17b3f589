import { IsNull, MoreThanOrEqual, type DataSource } from 'typeorm'
import { findOneForUpdate } from '../../db/row-lock.js'
import type { CalendarDate } from '../../time/calendar-date.js'
import { RefusalError } from '../../errors.js'
import { quoteTyped } from '../text/text-limits.js'
import { PersonLeaveSchema, PersonSchema, RoleAssignmentSchema, type Person } from '../../db/entities/index.js'

/**
 * 请假: ends the person's open leave, if any, and records the new one, in one transaction that
 * locks the person's row, so two 请假 sent at once leave one open leave, the later one.
 */
export async function startLeave(ds: DataSource, personId: number, until: CalendarDate, deputyId: number | null, now: Date): Promise<void> {
  await ds.transaction(async (manager) => {
    await findOneForUpdate(manager, PersonSchema, { id: personId })
    await manager.update(PersonLeaveSchema, { personId, endedAt: IsNull() }, { endedAt: now })
    await manager.insert(PersonLeaveSchema, { personId, until, deputyId })
  })
}

/** 销假: ends an open leave that has not run out; false when there was none. */
export async function endLeave(ds: DataSource, personId: number, today: CalendarDate, now: Date): Promise<boolean> {
  const result = await ds.getRepository(PersonLeaveSchema).update({ personId, endedAt: IsNull(), until: MoreThanOrEqual(today) }, { endedAt: now })
  return (result.affected ?? 0) > 0
}

/**
 * Who takes a person's reminders while they are away: the deputy they named (by name or userid;
 * only someone of their own unit, since the deputy reads the unit's items and escalations), or,
 * with none named, their unit's liaisons. `deputy` null: the liaisons, by name.
 */
export async function leaveTaker(ds: DataSource, sender: Person, typed: string): Promise<{ deputy: Person } | { deputy: null; liaisons: string[] }> {
  if (!typed) {
    const liaisons = await ds
      .createQueryBuilder()
      .select('p.name', 'name')
      .from(PersonSchema, 'p')
      .innerJoin(RoleAssignmentSchema.options.name, 'r', 'r.person_id = p.id')
      .where("r.role = 'liaison' AND r.unit_id = :unit AND p.id <> :me", { unit: sender.unitId ?? -1, me: sender.id })
      .getRawMany<{ name: string }>()
    return { deputy: null, liaisons: liaisons.map((l) => l.name) }
  }
  const found = await ds.getRepository(PersonSchema).find({ where: [{ name: typed, active: true }, { userid: typed.toLowerCase(), active: true }] })
  const sameUnit = found.filter((p) => p.id !== sender.id && p.unitId === sender.unitId)
  if (sameUnit.length === 1) return { deputy: sameUnit[0]! }
  const who = `代理人「${quoteTyped(typed)}」`
  throw new RefusalError('deputy', sameUnit.length > 1 ? `${who}有重名，请改写企业微信账号。` : found.length > 0 ? `${who}不是本单位人员，请选本单位的人。` : `${who}不在花名册中。`)
}
