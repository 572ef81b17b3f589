import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { DataSource, EntityManager } from 'typeorm'
import { retryOnDeadlock } from '../db/retry-on-deadlock.js'
import { enqueueMany } from '../delivery/enqueue.js'
import { isMysql } from '../delivery/sql-instant.js'
import { markdown } from '../wecom/messages.js'
import { formatDigest } from './format-digest.js'
import { planSweep } from './plan-sweep.js'
import { DEFAULT_RULES, type ReminderRules } from './reminder-rules.js'
import type { Stage, SweepPlan } from './sweep-plan.js'

export interface SweepMessage {
  dedupeKey: string
  to: string[]
  content: string
}

export interface SweepResult {
  plan: SweepPlan
  messages: SweepMessage[]
  /**
   * Outbox rows written (0 for a dry run, and for a sweep that found everything sent already).
   * Two sweeps at once may both count a row only one of them inserted; the table holds it once.
   */
  written: number
  /** Milliseconds spent deciding and writing, for the log and the benchmark. */
  timings: { planMs: number; writeMs: number }
}

/** A digest's key names the stages it sends: the same sweep run twice, or on two replicas, writes one message. */
function digestKey(userid: string, today: string, stages: Stage[]): string {
  const hash = createHash('sha1').update(stages.map((s) => `${s.subject}/${s.stage}`).sort().join('\n')).digest('hex').slice(0, 12)
  return `digest:${userid}:${today}:${hash}`
}

const summaryKey = (today: string) => `summary:${today}`

/** The messages a plan makes: one digest per person, and the organization department's summary. */
export function sweepMessages(plan: SweepPlan): SweepMessage[] {
  const messages = plan.digests
    .filter((d) => d.stages.length > 0)
    .map((d) => ({ dedupeKey: digestKey(d.userid, plan.today, d.stages), to: [d.userid], content: formatDigest(d, plan.today) }))
  if (plan.summary && plan.admins.length > 0) messages.push({ dedupeKey: summaryKey(plan.today), to: plan.admins, content: plan.summary })
  return messages
}

/**
 * Runs a sweep at `now`: plans it, and — unless `dryRun` — writes its messages to the outbox
 * and records its stages, all in one transaction, so a stage is sent once, with its message.
 */
export async function runSweep(ds: DataSource, now: Date, options: { rules?: ReminderRules; dryRun?: boolean } = {}): Promise<SweepResult> {
  const started = performance.now()
  const plan = await planSweep(ds, now, options.rules ?? DEFAULT_RULES)
  const messages = sweepMessages(plan)
  const planMs = performance.now() - started
  if (options.dryRun || messages.length === 0) return { plan, messages, written: 0, timings: { planMs, writeMs: 0 } }
  const written = await retryOnDeadlock(() => ds.transaction(async (manager) => {
    const { rows, keys } = await enqueueMany(
      manager,
      messages.map((message) => ({ dedupeKey: message.dedupeKey, to: { users: message.to }, message: markdown(message.content) })),
      now,
    )
    // 组织部's escalations are recorded only with the day's summary that tells them; one found by
    // a later sweep the same day waits for tomorrow's summary rather than be marked and not sent.
    const summarySent = keys.has(summaryKey(plan.today))
    await recordStages(manager, [...plan.digests.flatMap((d) => d.stages), ...(summarySent ? plan.summaryStages : [])], plan.today)
    return rows
  }))
  return { plan, messages, written, timings: { planMs, writeMs: performance.now() - started - planMs } }
}

/**
 * Records the stages in plain multi-row SQL: the first sweep after an import records one row per
 * overdue item and stage (a hundred thousand in a province), which TypeORM's builder would
 * spend seconds preparing. A stage another writer recorded meanwhile is left as it is.
 */
async function recordStages(manager: EntityManager, stages: Stage[], today: string): Promise<void> {
  const unique = [...new Map(stages.map((s) => [`${s.subject}/${s.stage}`, s])).values()]
  const conflict = isMysql(manager) ? ' ON DUPLICATE KEY UPDATE subject = subject' : ' ON CONFLICT DO NOTHING'
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500)
    await manager.query(
      `INSERT INTO reminder_sent (subject, stage, sent_on) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}${conflict}`,
      chunk.flatMap((s) => [s.subject, s.stage, today]),
    )
  }
}
