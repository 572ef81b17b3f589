import type { DataSource } from 'typeorm'
import { OutboxMessageSchema, type OutboxMessage, type OutboxStatus } from '../db/entities/index.js'
import { forgetUnknownOutcomes } from './send-budget.js'
import { OUTCOME_UNKNOWN } from './unknown-outcome.js'

export interface OutboxStatusReport {
  counts: Record<OutboxStatus, number>
  oldestPending: OutboxMessage | null
  dead: OutboxMessage[]
}

/** Counts by status, the oldest pending row, and the dead rows (newest first, at most `deadLimit`). */
export async function outboxStatus(dataSource: DataSource, deadLimit = 20): Promise<OutboxStatusReport> {
  const repository = dataSource.getRepository(OutboxMessageSchema)
  const rows = await repository
    .createQueryBuilder('o')
    .select('o.status', 'status')
    .addSelect('COUNT(*)', 'n')
    .groupBy('o.status')
    .getRawMany<{ status: OutboxStatus; n: string | number }>()
  const counts: Record<OutboxStatus, number> = { pending: 0, sending: 0, sent: 0, dead: 0, cancelled: 0 }
  for (const row of rows) counts[row.status] = Number(row.n)
  const oldestPending = await repository.findOne({ where: { status: 'pending' }, order: { nextAttemptAt: 'ASC', id: 'ASC' } })
  const dead = await repository.find({ where: { status: 'dead' }, order: { id: 'DESC' }, take: deadLimit })
  return { counts, oldestPending, dead }
}

/**
 * Puts rows back in the queue to be tried now with a fresh count of attempts: one row by id
 * (dead or pending), or every dead row that failed. A group message whose outcome was unknown
 * (it may have arrived) goes again only by its id, once someone has checked the group
 * (docs/delivery.md). Returns how many.
 */
export async function retryOutbox(dataSource: DataSource, target: { id: number } | { allDead: true }, now: Date): Promise<number> {
  const query = dataSource
    .getRepository(OutboxMessageSchema)
    .createQueryBuilder()
    .update()
    .set({ status: 'pending', attempts: 0, nextAttemptAt: now, claimedBy: null, claimedAt: null })
  if ('id' in target) {
    // First, or a worker could take the row and hold it back again.
    await forgetUnknownOutcomes(dataSource, [target.id])
    const result = await query.where('id = :id AND status IN (:...statuses)', { id: target.id, statuses: ['dead', 'pending'] }).execute()
    return result.affected ?? 0
  }
  const result = await query.where("status = 'dead' AND (last_error IS NULL OR last_error NOT LIKE :unknown)", { unknown: `${OUTCOME_UNKNOWN}%` }).execute()
  return result.affected ?? 0
}
