import type { EntityManager } from 'typeorm'
import { isMysql, sqlInstant } from '../../db/sql-instant.js'
import type { ReminderAudience } from '../../db/entities/index.js'
import type { Digest, Stage, SweepPlan } from './sweep-plan.js'

/** One reminder_record row as the sweep writes it (docs/responsiveness.md, The reminder record). */
interface RecordRow {
  campaignId: number
  stage: Required<Stage>
  audience: ReminderAudience
  personId: number
  forPersonId: number | null
  outboxKey: string
}

const itemStageKey = (item: NonNullable<Stage['item']>, stage: string) => `${item.id}/${item.dueDate}/${stage}`

const COLUMNS = ['campaign_id', 'ledger_item_id', 'unit_id', 'stage', 'stage_days', 'due_date', 'audience', 'person_id', 'for_person_id', 'outbox_key', 'queued_at']

/**
 * The rows a sweep's messages carry: each item stage of a digest for its recipient (a stage a
 * deputy took for a person on leave names that person), and 组织部's escalations for each
 * administrator when the summary goes out. `keyOf` gives the outbox key of a digest.
 */
export function reminderRows(plan: SweepPlan, keyOf: (digest: Digest) => string, summary: { key: string; sent: boolean }): RecordRow[] {
  if (plan.campaignId === null) return []
  const campaignId = plan.campaignId
  const rows: RecordRow[] = []
  for (const digest of plan.digests) {
    const personId = plan.personIds.get(digest.userid)
    if (personId === undefined || digest.stages.length === 0) continue
    // Stages taken for someone away (routeAroundLeave says which were not the taker's own).
    const behalf = new Map<string, number>()
    for (const away of digest.behalf) {
      const awayId = plan.personIds.get(away.digest.userid)
      if (awayId !== undefined) for (const stage of away.taken) if (stage.item) behalf.set(itemStageKey(stage.item, stage.stage), awayId)
    }
    const outboxKey = keyOf(digest)
    const seen = new Set<string>()
    for (const stage of digest.stages) {
      if (!stage.item) continue
      const key = itemStageKey(stage.item, stage.stage)
      if (seen.has(key)) continue
      seen.add(key)
      rows.push({ campaignId, stage: stage as Required<Stage>, audience: 'unit', personId, forPersonId: behalf.get(key) ?? null, outboxKey })
    }
  }
  if (summary.sent) {
    for (const admin of plan.admins) {
      const personId = plan.personIds.get(admin)
      if (personId === undefined) continue
      for (const stage of plan.summaryStages) {
        if (stage.item) rows.push({ campaignId, stage: stage as Required<Stage>, audience: 'org', personId, forPersonId: null, outboxKey: summary.key })
      }
    }
  }
  return rows
}

/**
 * Writes the rows in the sweep's transaction, in multi-row statements; a row another sweep wrote
 * (the same digest, on another instance) is left as it is.
 */
export async function recordReminders(manager: EntityManager, rows: readonly RecordRow[], now: Date): Promise<void> {
  const queued = sqlInstant(manager, now)
  const ignore = isMysql(manager) ? ' ON DUPLICATE KEY UPDATE id = id' : ' ON CONFLICT DO NOTHING'
  // 11 values a row: 2,000 rows stay under SQLite's 32,766 variables.
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000)
    await manager.query(
      `INSERT INTO reminder_record (${COLUMNS.join(', ')}) VALUES ${chunk.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ')}${ignore}`,
      chunk.flatMap((r) => [r.campaignId, r.stage.item.id, r.stage.item.unitId, r.stage.stage, r.stage.item.days, r.stage.item.dueDate, r.audience, r.personId, r.forPersonId, r.outboxKey, queued]),
    )
  }
}

/**
 * The reminders a message carried reached `reached` (the userids its sent row went to, less those
 * WeCom refused) at `at` (docs/responsiveness.md): set once, by the first row of the message
 * recorded sent to each of them (its parts and plain copies share the key, "#2" after it).
 */
export async function markRemindersDelivered(manager: EntityManager, dedupeKey: string, at: Date, reached: readonly string[]): Promise<void> {
  const outboxKey = dedupeKey.replace(/#\d+$/, '')
  for (let i = 0; i < reached.length; i += 1000) {
    const chunk = reached.slice(i, i + 1000)
    await manager.query(
      `UPDATE reminder_record SET delivered_at = ? WHERE outbox_key = ? AND delivered_at IS NULL AND person_id IN (SELECT id FROM person WHERE userid IN (${chunk.map(() => '?').join(', ')}))`,
      [sqlInstant(manager, at), outboxKey, ...chunk],
    )
  }
}
