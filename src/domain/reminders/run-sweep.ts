import { performance } from 'node:perf_hooks'
import type { DataSource, EntityManager } from 'typeorm'
import { retryOnDeadlock } from '../../db/retry-on-deadlock.js'
import { enqueueMany } from '../../outbox/enqueue.js'
import { isMysql } from '../../db/sql-instant.js'
import { markdown, type CardMessage } from '../../wecom/messages.js'
import { digestCard } from '../cards/build-cards.js'
import { formatDigest } from './format-digest.js'
import { recordReminders, reminderRows } from './reminder-records.js'
import { planSweep } from './plan-sweep.js'
import { DEFAULT_RULES, type ReminderRules } from './reminder-rules.js'
import type { Digest, Stage, SweepPlan } from './sweep-plan.js'
import type { LedgerItem } from '../../db/entities/index.js'
import { statusLight } from '../../read-model/figures.js'
import type { CalendarDate } from '../../time/calendar-date.js'

export interface SweepMessage {
  dedupeKey: string
  to: string[]
  content: string
  /** The digest as a button card (docs/cards.md), when it lists items to act on; `content` is its fallback. */
  card?: CardMessage
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
  const names = stages.map((s) => `${s.subject}/${s.stage}`).sort()
  return `digest:${userid}:${today}:${hash53(names.join('\n')).toString(16)}`
}

/**
 * cyrb53, a 53-bit string hash (public domain): tells apart the sets of stages one person gets
 * on one day — a handful at most — at a fraction of SHA-1's cost over twenty thousand digests.
 */
function hash53(text: string): number {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

const summaryKey = (today: string) => `summary:${today}`

/** The messages a plan makes: one digest per person, and the organization department's summary. */
export function sweepMessages(plan: SweepPlan): SweepMessage[] {
  const messages = plan.digests
    .filter((d) => d.stages.length > 0)
    .map((d) => {
      const content = formatDigest(d, plan.today)
      const card = digestCard({ items: actionable(d, plan.today), more: moreOf(d), today: plan.today, text: content })
      return { dedupeKey: digestKey(d.userid, plan.today, d.stages), to: [d.userid], content, ...(card ? { card } : {}) }
    })
  if (plan.summary && plan.admins.length > 0) messages.push({ dedupeKey: summaryKey(plan.today), to: plan.admins, content: plan.summary })
  return messages
}

/** The digest's items that need action now (overdue or due soon), the person's own and those of whom they stand in for. */
function actionable(digest: Digest, today: CalendarDate): LedgerItem[] {
  const items = [...digest.items, ...digest.behalf.flatMap((away) => away.digest.items)]
  const seen = new Set<number>()
  return items.filter((item) => {
    if (seen.has(item.id) || statusLight(item, today) === '🟢') return false
    seen.add(item.id)
    return true
  })
}

/** The rest of a digest in a few words, for its card's sub-title. */
function moreOf(digest: Digest): string[] {
  const more = [
    digest.escalated.length > 0 ? `本单位逾期 ${digest.escalated.length} 项已升级给您` : '',
    digest.tasks.length > 0 ? `阶段任务待交 ${digest.tasks.length} 项` : '',
    digest.reports.length > 0 ? '本月月报待交' : '',
    digest.publicReports.length > 0 ? `举报待核查 ${digest.publicReports.length} 件` : '',
  ].filter(Boolean)
  return more.length > 0 ? [`另：${more.join('；')}。发送「待办」查看全部。`] : []
}

/**
 * Runs a sweep at `now`: plans it, and — unless `dryRun` — writes its messages to the outbox
 * and records its stages, all in one transaction, so a stage is sent once, with its message.
 * The plan is read in that transaction too, so its reads share one snapshot (MariaDB's
 * repeatable read, asked for by this transaction; SQLite's WAL read snapshot) and a replica — or the CLI on the same SQLite
 * file — sweeping at the same moment plans either exactly what this one plans (the same keys:
 * nothing written twice) or after it committed (nothing left to send); never half of each,
 * which would give a digest a different key and send it again. A writer whose snapshot was
 * overtaken is retried, and plans again.
 */
export async function runSweep(ds: DataSource, now: Date, options: { rules?: ReminderRules; dryRun?: boolean } = {}): Promise<SweepResult> {
  const rules = options.rules ?? DEFAULT_RULES
  if (options.dryRun) {
    const { value: plan, ms: planMs } = await timed(() => planSweep(ds.manager, now, rules))
    return { plan, messages: sweepMessages(plan), written: 0, timings: { planMs, writeMs: 0 } }
  }
  const sweep = async (manager: EntityManager): Promise<SweepResult> => {
      const started = performance.now()
      const { value: plan, ms: planMs } = await timed(() => planSweep(manager, now, rules))
      const messages = sweepMessages(plan)
      if (messages.length === 0) return { plan, messages, written: 0, timings: { planMs, writeMs: 0 } }
      const { rows: written, keys } = await enqueueMany(
        manager,
        messages.map((message) => ({ dedupeKey: message.dedupeKey, subject: { kind: 'digest', id: null }, to: { users: message.to }, message: message.card ?? markdown(message.content) })),
        now,
      )
      // 组织部's escalations are recorded only with the day's summary that tells them; one found by
      // a later sweep the same day waits for tomorrow's summary rather than be marked and not sent.
      const summarySent = keys.has(summaryKey(plan.today))
      await recordStages(manager, [...plan.digests.flatMap((d) => d.stages), ...(summarySent ? plan.summaryStages : [])], plan.today)
      // Who got which reminder, in the same transaction (docs/responsiveness.md).
      await recordReminders(manager, reminderRows(plan, (d) => digestKey(d.userid, plan.today, d.stages), { key: summaryKey(plan.today), sent: summarySent }), now)
      return { plan, messages, written, timings: { planMs, writeMs: performance.now() - started - planMs } }
  }
  // One snapshot for every read of the plan: repeatable read asked for explicitly, since the
  // service's MariaDB sessions read committed (src/db/utc-mysql-driver.ts).
  return retryOnDeadlock(() => (isMysql(ds) ? ds.transaction('REPEATABLE READ', sweep) : ds.transaction(sweep)))
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await work()
  return { value, ms: performance.now() - started }
}

/**
 * Records the stages in plain multi-row SQL (the first sweep after an import records one per
 * overdue item: a hundred thousand in a province). An item keeps its furthest stage in
 * item_reminder, never lowered; a task's or report's stages go to reminder_sent. A stage
 * another writer recorded meanwhile is left as it is.
 */
async function recordStages(manager: EntityManager, stages: Stage[], today: string): Promise<void> {
  const mysql = isMysql(manager)
  const furthest = new Map<number, NonNullable<Stage['item']>>()
  const others = new Map<string, Stage>()
  for (const s of stages) {
    if (s.item) {
      const known = furthest.get(s.item.id)
      if (!known || known.days < s.item.days) furthest.set(s.item.id, s.item)
    } else others.set(`${s.subject}/${s.stage}`, s)
  }
  const items = [...furthest.entries()]
  // A stage for a new due date replaces the old date's; for the same date it only moves forward.
  const raise = mysql
    ? ' ON DUPLICATE KEY UPDATE sent_on = IF(VALUES(due_date) <> due_date OR VALUES(stage) > stage, VALUES(sent_on), sent_on),' +
      ' stage = IF(VALUES(due_date) <> due_date OR VALUES(stage) > stage, VALUES(stage), stage), due_date = VALUES(due_date)'
    : ' ON CONFLICT (ledger_item_id) DO UPDATE SET due_date = excluded.due_date, stage = excluded.stage, sent_on = excluded.sent_on' +
      ' WHERE excluded.due_date <> item_reminder.due_date OR excluded.stage > item_reminder.stage'
  // 5,000 rows (20,000 values) a statement: under SQLite's limit of 32,766; on MariaDB each
  // statement costs a round trip and a foreign-key check batch.
  for (let i = 0; i < items.length; i += 5000) {
    const chunk = items.slice(i, i + 5000)
    await manager.query(
      `INSERT INTO item_reminder (ledger_item_id, due_date, stage, sent_on) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}${raise}`,
      chunk.flatMap(([id, r]) => [id, r.dueDate, r.days, today]),
    )
  }
  const rest = [...others.values()]
  const ignore = mysql ? ' ON DUPLICATE KEY UPDATE subject = subject' : ' ON CONFLICT DO NOTHING'
  for (let i = 0; i < rest.length; i += 1000) {
    const chunk = rest.slice(i, i + 1000)
    await manager.query(
      `INSERT INTO reminder_sent (subject, stage, sent_on) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}${ignore}`,
      chunk.flatMap((s) => [s.subject, s.stage, today]),
    )
  }
}
