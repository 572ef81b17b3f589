import { performance } from 'node:perf_hooks'
import type { EntityManager } from 'typeorm'
import type { OutboxMessage } from '../db/entities/index.js'
import { unknownOutcome } from './failure-outcome.js'
import { recordAll } from './record-outcomes.js'
import { renewClaims, renewReservation, reserveSendsIn, type Reservation } from './reserve-sends.js'
import { deliver, send } from './send-row.js'
import type { BatchResult, Outcome, WorkerContext } from './worker-context.js'

/**
 * A reserved send begins within this long of its reservation, or the reservation is renewed
 * first (its slots move to when the send begins): a slot never says a send began earlier than
 * it did by more than this, which UNSETTLED_MARGIN_MS allows for (docs/delivery.md).
 */
export const RESERVE_AHEAD_MS = 1000

/**
 * Rows reserved ahead per sender, at most; fewer when sends are slow, so that a reserved row
 * begins well within RESERVE_AHEAD_MS. Each round tops them up, so that a sender rarely waits for
 * the database to find its next row.
 */
const AHEAD_PER_SENDER = 16

/** Rows reserved ahead per sender with the claim, before the worker knows how fast sends go. */
const FIRST_AHEAD_PER_SENDER = 4

/** One claimed batch on its way: what its lanes share. */
export interface Batch {
  claimToken: string
  result: BatchResult
  /** The first database failure stops every lane from beginning another row. */
  failure?: { error: unknown }
}

/** The rows to one set of recipients, sent in order; `next` is the first not yet begun. */
interface Lane {
  rows: OutboxMessage[]
  next: number
}

/** A lane's next row with its reservation, waiting for a free sender; none: reserved when it begins (app chats, robots). */
interface Ready {
  lane: Lane
  row: OutboxMessage
  reserved?: { reservation: Extract<Reservation, { kind: 'reserved' }>; at: Date }
}

/** What the senders of one batch share. */
export interface Pipeline {
  /** Lanes whose next row is to be reserved. */
  open: Lane[]
  ready: Ready[]
  /** Outcomes of finished sends, not yet written. */
  finished: Outcome[]
  /** The database round running: outcomes written, the next rows reserved. */
  round?: Promise<void>
  /** The round that will write the outcomes finished since the running one began. */
  next?: Promise<void>
  /** How long a sender has taken lately from beginning a row to its outcome written (real milliseconds, a moving average); none yet: unknown. */
  cycleMs?: number
  /** The first reservations, made right after the claim: what they come to is taken when the batch begins. */
  first?: { ahead: Lane[]; reservations: Reservation[]; at: Date }
}

/**
 * Rows to the same recipients go in order (numbered parts); different recipients in parallel,
 * `concurrency` at a time. The database is asked in rounds, not per row (docs/delivery.md,
 * Rounds): a round writes the outcomes of the sends that finished since the last one
 * (recordAll) and reserves the next rows of several lanes (reserveSends), so that a sender
 * finds its next row reserved. The first reservations follow the claim. A sender begins
 * its next row once its last outcome is written. After a database failure the sends in flight
 * finish, nothing else begins, and what was not written is kept for catchUp: the outcomes, and
 * the slots of rows reserved but not begun.
 */
export async function deliverLanes(ctx: WorkerContext, batch: Batch, pipe: Pipeline): Promise<void> {
  if (pipe.first) take(ctx, batch, pipe, pipe.first.ahead, pipe.first.reservations, pipe.first.at)
  pipe.first = undefined
  await Promise.all(Array.from({ length: Math.min(ctx.concurrency, pipe.open.length + pipe.ready.length) }, () => sender(ctx, batch, pipe)))
  await pipe.next
  await pipe.round
  if (!batch.failure) await recordAll(ctx, pipe.finished.splice(0), batch.result).catch((error: unknown) => void (batch.failure ??= { error }))
  for (const outcome of pipe.finished) ctx.unrecorded.add(outcome)
  for (const { row, reserved } of pipe.ready.splice(0)) if (reserved && ctx.budgeted) ctx.unbegun.set(row.id, reserved.at)
}

/** The claimed rows in lanes, one per set of recipients, in the order claimed. */
export function createPipeline(rows: readonly OutboxMessage[]): Pipeline {
  const byRecipients = new Map<string, OutboxMessage[]>()
  for (const row of rows) byRecipients.set(row.recipients, [...(byRecipients.get(row.recipients) ?? []), row])
  return { open: [...byRecipients.values()].map((lane) => ({ rows: lane, next: 0 })), ready: [], finished: [] }
}

/**
 * The first reservations, right after the claim (claimDue). It may run again if the transaction
 * is retried, so it only returns what it reserved.
 */
export async function reserveFirst(ctx: WorkerContext, manager: EntityManager, claimToken: string, rows: readonly OutboxMessage[], at: Date): Promise<Pipeline> {
  const pipe = createPipeline(rows)
  const ahead = plan(ctx, pipe, pipe.open.splice(0, aheadLimit(ctx, pipe)))
  pipe.first = { ahead, at, reservations: await reserveIn(ctx, manager, ahead, claimToken, at) }
  return pipe
}

/**
 * One sender: takes the next reserved row, or waits for a round to reserve some, until none is
 * left. A row's outcome is written before its sender begins another (the round after its send
 * writes the outcomes of every sender that finished meanwhile): a worker that dies repeats at
 * most the sends in flight, and after a database failure no row begins.
 */
async function sender(ctx: WorkerContext, batch: Batch, pipe: Pipeline): Promise<void> {
  while (!ctx.stopping && !batch.failure) {
    const ready = pipe.ready.shift()
    if (!ready) {
      if (pipe.open.length === 0 && !pipe.round && !pipe.next) return
      await (pipe.next ?? pipe.round ?? startRound(ctx, batch, pipe))
      continue
    }
    const began = performance.now()
    try {
      if (await begin(ctx, batch, pipe, ready)) await nextRound(ctx, batch, pipe)
    } catch (error) {
      batch.failure ??= { error }
    }
    const took = performance.now() - began
    pipe.cycleMs = pipe.cycleMs === undefined ? took : 0.8 * pipe.cycleMs + 0.2 * took
  }
}

/**
 * Sends one ready row; true when its outcome waits for the next round (a row reserved alone is
 * recorded alone). The lane's next row is open to reserve once this one has finished.
 */
async function begin(ctx: WorkerContext, batch: Batch, pipe: Pipeline, { lane, row, reserved }: Ready): Promise<boolean> {
  const { claimToken, result } = batch
  const remaining = lane.rows.length - lane.next - 1
  lane.next += 1
  let waits = false
  if (!reserved) {
    // Reserved and recorded alone, right before its send (send-row.ts).
    const later = await deliver(ctx, row, claimToken, result, remaining)
    if (later) {
      defer(ctx, batch, pipe, lane, later)
      return false
    }
  } else {
    let at: Date | undefined = reserved.at
    const now = ctx.now()
    if (now.getTime() - at.getTime() > RESERVE_AHEAD_MS) {
      // Not begun: when the database fails here, its slots are given back with the claim (catchUp).
      const renewed = await renewReservation(ctx.dataSource, row, claimToken, at, now).catch((error: unknown) => {
        if (ctx.budgeted) ctx.unbegun.set(row.id, reserved.at)
        throw error
      })
      at = renewed ? now : undefined
    }
    if (at) {
      pipe.finished.push(await send(ctx, row, claimToken, at, reserved.reservation))
      waits = true
    } else lost(ctx, result, row)
  }
  if (lane.next < lane.rows.length) pipe.open.push(lane)
  return waits
}

/**
 * The round that writes what has finished so far: the one after the round running, if any. It
 * begins at the next turn of the event loop, so that the senders whose answers came together
 * are written together.
 */
function nextRound(ctx: WorkerContext, batch: Batch, pipe: Pipeline): Promise<void> {
  pipe.next ??= (async () => {
    await new Promise((resolve) => setImmediate(resolve))
    await pipe.round
    pipe.next = undefined
    await startRound(ctx, batch, pipe)
  })()
  return pipe.next
}

/** How many rows to keep reserved ahead: as many as the senders begin in half of RESERVE_AHEAD_MS, one per sender at least. */
function aheadLimit(ctx: WorkerContext, pipe: Pipeline): number {
  const most = AHEAD_PER_SENDER * ctx.concurrency
  if (pipe.cycleMs === undefined) return FIRST_AHEAD_PER_SENDER * ctx.concurrency
  return Math.max(ctx.concurrency, Math.min(most, Math.floor((ctx.concurrency * RESERVE_AHEAD_MS) / 2 / Math.max(pipe.cycleMs, 0.1))))
}

/** Starts a round; senders with nothing to send wait for it. */
function startRound(ctx: WorkerContext, batch: Batch, pipe: Pipeline): Promise<void> {
  pipe.round = round(ctx, batch, pipe).finally(() => (pipe.round = undefined))
  return pipe.round
}

async function round(ctx: WorkerContext, batch: Batch, pipe: Pipeline): Promise<void> {
  const outcomes = pipe.finished.splice(0)
  const wanted = Math.max(0, aheadLimit(ctx, pipe) - pipe.ready.length)
  const ahead = plan(ctx, pipe, ctx.stopping ? [] : pipe.open.splice(0, wanted))
  const at = ctx.now()
  const reserve = (manager: EntityManager) => reserveIn(ctx, manager, ahead, batch.claimToken, at)
  try {
    // The outcomes written and the next rows reserved in one transaction.
    const reservations = await recordAll(ctx, outcomes, batch.result, ahead.length > 0 ? reserve : undefined)
    if (reservations) take(ctx, batch, pipe, ahead, reservations, at)
  } catch (error) {
    batch.failure ??= { error }
  }
}

/**
 * The lanes whose next row is reserved ahead. Through WeCom, app chat and robot rows are not: a
 * reservation whose worker died is, for them, a send of unknown outcome. They go to the senders
 * unreserved and are reserved right before their send.
 */
function plan(ctx: WorkerContext, pipe: Pipeline, lanes: Lane[]): Lane[] {
  const aheadOf = (lane: Lane) => !ctx.budgeted || !['appchat', 'webhook'].includes(lane.rows[lane.next]!.channel)
  for (const lane of lanes.filter((l) => !aheadOf(l))) pipe.ready.push({ lane, row: lane.rows[lane.next]! })
  return lanes.filter(aheadOf)
}

/** Reserves the next row of each lane (through WeCom its slots; the console has nothing to count, only the claims to renew). */
async function reserveIn(ctx: WorkerContext, manager: EntityManager, lanes: Lane[], claimToken: string, at: Date): Promise<Reservation[]> {
  if (lanes.length === 0) return []
  const items = lanes.map((lane) => ({ row: lane.rows[lane.next]!, count: lane.rows.length - lane.next }))
  if (ctx.budgeted) return reserveSendsIn(manager, items, claimToken, at)
  const held = await renewClaims(manager, items.map((i) => i.row.id), claimToken, at)
  return items.map(({ row }) => (held.has(row.id) ? { kind: 'reserved', payload: row.payload } : { kind: 'lost' }))
}

/** What the reservations of a round come to: rows ready to send, lanes deferred, rows lost. */
function take(ctx: WorkerContext, batch: Batch, pipe: Pipeline, ahead: Lane[], reservations: Reservation[], at: Date): void {
  ahead.forEach((lane, k) => {
    const row = lane.rows[lane.next]!
    const reservation = reservations[k]!
    if (reservation.kind === 'reserved') {
      pipe.ready.push({ lane, row, reserved: { reservation, at } })
      return
    }
    lane.next += 1
    if (reservation.kind === 'limited') return defer(ctx, batch, pipe, lane, reservation.retryAt, row)
    if (reservation.kind === 'unknown') pipe.finished.push(unknownOutcome(ctx, row, batch.claimToken, at, reservation.since))
    else lost(ctx, batch.result, row)
    if (lane.next < lane.rows.length) pipe.open.push(lane)
  })
}

/** The budget is full: `first` (when given) and the rest of the lane wait, each until a slot frees for it. */
function defer(ctx: WorkerContext, batch: Batch, pipe: Pipeline, lane: Lane, retryAt: Date[], first?: OutboxMessage): void {
  const at = ctx.now()
  const waiting = [...(first ? [first] : []), ...lane.rows.slice(lane.next)]
  lane.next = lane.rows.length
  waiting.forEach((row, k) => pipe.finished.push({ row, claimToken: batch.claimToken, at, kind: 'deferred', values: { status: 'pending', nextAttemptAt: retryAt[k]! } }))
}

function lost(ctx: WorkerContext, result: BatchResult, row: OutboxMessage): void {
  result.skipped += 1
  ctx.metrics.delivery('skipped')
  ctx.logger.warn({ outboxId: row.id }, 'claim taken over by another worker; not sending')
}
