import { LessThan, type DataSource } from 'typeorm'
import { enqueue } from '../outbox/enqueue.js'
import { InboundMessageSchema } from '../db/entities/index.js'
import { FAILURE_REPLY } from './failure-reply.js'
import { finishInbound, lockInbound } from './inbound-store.js'

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
  let recovered = 0
  for (const row of stuck) if (await apologizeOnce(dataSource, { id: row.id, fromUser: row.fromUser, answer: row.msgType !== 'event' }, now)) recovered += 1
  return recovered
}

/**
 * Gives up on a message and tells its sender, in one transaction that first locks the message's
 * row: a message whose command is still being written waits here, and one that was handled (its
 * change committed with its outcome) is left alone, so nobody is told "处理失败" about a change
 * that took effect (docs/concurrency.md). A message already failed with no answer (its request
 * was answered 503) gets the apology now. True when it was given up here.
 */
export async function apologizeOnce(dataSource: DataSource, message: { id: number; fromUser: string; answer: boolean }, now: Date): Promise<boolean> {
  return dataSource.transaction(async (manager) => {
    const row = await lockInbound(manager, message.id)
    const received = row?.status === 'received'
    if (!received && !(row?.status === 'failed' && row.replyVia === null)) return false
    if (message.answer) await enqueue(manager, { dedupeKey: `reply:${message.id}`, subject: { kind: 'reply', id: message.id }, to: { users: [message.fromUser] }, message: FAILURE_REPLY, reply: true, urgent: true }, now)
    await finishInbound(manager, message.id, {
      status: 'failed',
      processedAt: now,
      reply: message.answer ? JSON.stringify(FAILURE_REPLY) : null,
      replyVia: message.answer ? 'outbox' : null,
      error: received ? 'not finished: the service stopped or lost its database while handling it' : null,
    })
    return true
  })
}
