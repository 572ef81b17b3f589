import { performance } from 'node:perf_hooks'
import { withDeadline } from '../time/with-deadline.js'

/**
 * Every phase of a callback (storing, the duplicate lookup, the passive-reply budget) ends
 * within this much of its arrival: WeCom gives up after 5 s, and the answer still has to be
 * written and travel back.
 */
const ANSWER_WITHIN_MS = 4000

/** How long a phase of `phase` ms may still take, counted from now. */
export type TimeLeft = (phase: number) => number

/** The time left to the phases of a callback that arrived at `arrived` (performance.now()). */
export function timeLeft(arrived: number): TimeLeft {
  return (phase) => Math.max(0, Math.min(phase, ANSWER_WITHIN_MS - (performance.now() - arrived)))
}

/** The database did not answer within the deadline (the work goes on, see storeDeadlineMs). */
export class StoreDeadlineError extends Error {}

/** Rejects (503) when `work` takes longer than `ms`; `onLate` sees to the work that goes on. */
export function withinDeadline<T>(work: Promise<T>, what: string, ms: number, onLate?: () => void): Promise<T> {
  return withDeadline(work, ms, () => {
    onLate?.()
    return new StoreDeadlineError(`${what}: no answer from the database within ${Math.round(ms)} ms`)
  })
}
