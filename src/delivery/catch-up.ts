import { In } from 'typeorm'
import { alertDeadRows } from './dead-row-alert.js'
import { recordAll } from './record-outcomes.js'
import { releaseSends } from './send-budget.js'
import type { WorkerContext } from './worker-context.js'

/** Rows a claim still holds, pending again (read first, then updated by id: see reclaimStale). */
export async function release(ctx: WorkerContext, claimToken: string): Promise<number> {
  const held = await ctx.outbox.find({ where: { claimedBy: claimToken, status: 'sending' }, select: { id: true } })
  if (held.length === 0) return 0
  const { affected } = await ctx.outbox.update({ id: In(held.map((r) => r.id)), claimedBy: claimToken, status: 'sending' }, { status: 'pending', claimedBy: null, claimedAt: null })
  return affected ?? 0
}

/** One alert for the rows that died (dead-row-alert.ts), kept when it cannot be written. */
export async function alertUnalerted(ctx: WorkerContext): Promise<void> {
  if (ctx.unalerted.length === 0) return
  const dead = ctx.unalerted.splice(0)
  try {
    await alertDeadRows(ctx.dataSource, dead, ctx.now(), ctx.logger)
  } catch (error) {
    ctx.unalerted.unshift(...dead)
    throw error
  }
}

/** Gives back the slots of rows reserved ahead and never begun (deliver-lanes.ts), before their claims are released. */
export async function releaseUnbegun(ctx: WorkerContext): Promise<void> {
  for (const [outboxId, at] of ctx.unbegun) {
    await releaseSends(ctx.dataSource, [outboxId], at)
    ctx.unbegun.delete(outboxId)
  }
}

/** Writes what a failed database could not take; throws (nothing new is claimed) while it still fails. */
export async function catchUp(ctx: WorkerContext): Promise<void> {
  // Written together, as they were to be (record-outcomes.ts).
  await recordAll(ctx, [...ctx.unrecorded])
  await releaseUnbegun(ctx)
  for (const claimToken of ctx.unreleased) {
    const released = await release(ctx, claimToken)
    ctx.unreleased.delete(claimToken)
    if (released > 0) ctx.logger.info({ claimToken, released }, 'rows claimed when the database failed are pending again')
  }
  await alertUnalerted(ctx)
}

/**
 * At stop, one last try. What the database still refuses is lost to this process: its rows are
 * taken again after the claim timeout and resent byte-identical (WeCom's duplicate check drops an
 * app message's copy; a reply, group chat or robot message arrives twice).
 */
export async function lastCatchUp(ctx: WorkerContext): Promise<void> {
  const { unrecorded, unbegun, unreleased, unalerted } = ctx
  if (unrecorded.size === 0 && unbegun.size === 0 && unreleased.size === 0 && unalerted.length === 0) return
  await catchUp(ctx).catch((error: unknown) =>
    ctx.logger.error(
      {
        err: error,
        unrecorded: [...unrecorded].map((o) => ({ outboxId: o.row.id, outcome: o.kind, wecomMsgid: o.values.wecomMsgid })),
        claims: [...unreleased],
        unalertedDead: unalerted.map((r) => r.id),
      },
      'delivery outcomes not recorded at stop; their rows are taken again after the claim timeout',
    ),
  )
}
