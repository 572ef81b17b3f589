import { LessThan, type DataSource } from 'typeorm'
import { enqueue } from '../delivery/enqueue.js'
import { InboundMessageSchema } from '../domain/entities/index.js'
import { FAILURE_REPLY } from './failure-reply.js'
import { finishInbound } from './inbound-store.js'

/**
 * Messages still `received` long after they arrived were being handled when the process died
 * (or the database went away): nobody will answer them. Each is marked failed and its sender
 * told, once (the answer's key is the message's). Returns how many. Runs as a scheduled job.
 */
export async function recoverStuckInbound(dataSource: DataSource, now: Date, olderThanMs = 2 * 60_000): Promise<number> {
  const stuck = await dataSource.getRepository(InboundMessageSchema).find({
    where: { status: 'received', receivedAt: LessThan(new Date(now.getTime() - olderThanMs)) },
    order: { id: 'ASC' },
    take: 100,
  })
  for (const row of stuck) {
    await dataSource.transaction(async (manager) => {
      const answer = row.msgType !== 'event'
      if (answer) await enqueue(manager, { dedupeKey: `reply:${row.id}`, to: { users: [row.fromUser] }, message: FAILURE_REPLY, reply: true, urgent: true }, now)
      await finishInbound(manager, row.id, {
        status: 'failed',
        processedAt: now,
        reply: answer ? JSON.stringify(FAILURE_REPLY) : null,
        replyVia: answer ? 'outbox' : null,
        error: 'not finished: the service stopped or lost its database while handling it',
      })
    })
  }
  return stuck.length
}
