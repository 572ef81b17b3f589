import { IsNull, MoreThanOrEqual, type DataSource } from 'typeorm'
import { findOneForUpdate } from '../../db/row-lock.js'
import type { CalendarDate } from '../../time/calendar-date.js'
import { PersonLeaveSchema, PersonSchema } from '../entities/index.js'

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
