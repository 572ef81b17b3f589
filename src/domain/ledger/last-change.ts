import type { EntityManager } from 'typeorm'
import { formatWhen } from '../../time/calendar-date.js'
import { personName } from '../roster/person-name.js'
import { ProgressUpdateSchema, type ProgressKind, type ProgressUpdate } from '../../db/entities/index.js'

/** The latest history row of an item among `kinds`, with who made it (their name, or 系统 for an import). */
export async function lastChange(manager: EntityManager, itemId: number, kinds: readonly ProgressKind[]): Promise<(ProgressUpdate & { who: string }) | null> {
  const rows = await manager
    .getRepository(ProgressUpdateSchema)
    .createQueryBuilder('u')
    .where('u.ledger_item_id = :itemId AND u.kind IN (:...kinds)', { itemId, kinds })
    .orderBy('u.id', 'DESC')
    .limit(1)
    .getMany()
  const row = rows[0]
  if (!row) return null
  return { ...row, who: await personName(manager, row.personId) }
}

/** "已于 10:32 由李娜" for an answer that says who got there first. */
export function doneBy(change: { who: string; createdAt: Date } | null, now: Date): string {
  return change ? `已于 ${formatWhen(change.createdAt, now)} 由${change.who}` : '已'
}
