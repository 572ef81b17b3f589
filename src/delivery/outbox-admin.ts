import type { DataSource } from 'typeorm'
import { OutboxMessageSchema, type OutboxMessage, type OutboxStatus } from '../domain/entities/index.js'

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
 * (dead or pending), or every dead row. Returns how many.
 */
export async function retryOutbox(dataSource: DataSource, target: { id: number } | { allDead: true }, now: Date): Promise<number> {
  const query = dataSource
    .getRepository(OutboxMessageSchema)
    .createQueryBuilder()
    .update()
    .set({ status: 'pending', attempts: 0, nextAttemptAt: now, claimedBy: null, claimedAt: null })
  const result =
    'id' in target
      ? await query.where('id = :id AND status IN (:...statuses)', { id: target.id, statuses: ['dead', 'pending'] }).execute()
      : await query.where("status = 'dead'").execute()
  return result.affected ?? 0
}
