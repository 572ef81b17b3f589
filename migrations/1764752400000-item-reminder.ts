import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/** Signed working days from the due date that a stage name stands for ("due-3" → -3, "overdue-1" → 1, "escalate-7" → 7). */
function stageDays(stage: string): number | null {
  const match = /^(due|overdue|escalate)-(\d+)$/.exec(stage)
  if (!match) return null
  return match[1] === 'due' ? -Number(match[2]) : Number(match[2])
}

const DEFAULT_STAGES = ['due-3', 'due-1', 'overdue-1', 'escalate-3', 'escalate-7']
const stageName = (days: number) => (days <= 0 ? `due-${-days}` : days === 1 ? 'overdue-1' : `escalate-${days}`)

/**
 * A ledger item's reminder progress moves from reminder_sent (one row per item and stage,
 * looked up by text key) to item_reminder (one row per item: the furthest stage, joined to the
 * items the sweep reads). Stages already sent are carried over, so nothing is sent again.
 * And an index with which the sweep counts a campaign's open items per person without reading
 * the rows.
 */
export class ItemReminder1764752400000 implements MigrationInterface {
  name = 'ItemReminder1764752400000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'item_reminder',
      columns: [{ ...d.int('ledger_item_id'), isPrimary: true }, d.date('due_date'), d.int('stage'), d.date('sent_on')],
      foreignKeys: [d.references('fk_item_reminder_item', 'ledger_item_id', 'ledger_item', 'CASCADE')],
    })
    const sent = (await queryRunner.query("SELECT subject, stage, sent_on FROM reminder_sent WHERE subject LIKE 'item:%'")) as { subject: string; stage: string; sent_on: string | Date }[]
    const furthest = new Map<number, { stage: number; sentOn: string }>()
    for (const row of sent) {
      const id = Number(row.subject.slice('item:'.length))
      const days = stageDays(row.stage)
      if (!Number.isInteger(id) || days === null) continue
      const sentOn = typeof row.sent_on === 'string' ? row.sent_on.slice(0, 10) : row.sent_on.toISOString().slice(0, 10)
      const known = furthest.get(id)
      if (!known || days > known.stage) furthest.set(id, { stage: days, sentOn })
    }
    const rows = [...furthest.entries()]
    // 200 SELECTs per UNION ALL: SQLite allows 500.
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200)
      await queryRunner.query(
        // Only items that still exist (a deleted item's stages would break the foreign key), counted from their current due date.
        `INSERT INTO item_reminder (ledger_item_id, due_date, stage, sent_on) SELECT id, due_date, ?, ? FROM ledger_item WHERE id = ?${' UNION ALL SELECT id, due_date, ?, ? FROM ledger_item WHERE id = ?'.repeat(chunk.length - 1)}`,
        chunk.flatMap(([id, r]) => [r.stage, r.sentOn, id]),
      )
    }
    await queryRunner.query("DELETE FROM reminder_sent WHERE subject LIKE 'item:%'")
    await queryRunner.createIndex(
      'ledger_item',
      new TableIndex({ name: 'idx_ledger_item_campaign_open', columnNames: ['campaign_id', 'status', 'due_date', 'responsible_person_id', 'responsible_leader_id'] }),
    )
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (dialect(queryRunner).mysql) {
      // InnoDB let the new index serve the campaign foreign key and dropped the one it had made
      // for it; it is made again (under the name InnoDB gave it) before the new one can go.
      const kept = (await queryRunner.query("SHOW INDEX FROM ledger_item WHERE Key_name = 'fk_ledger_item_campaign'")) as unknown[]
      if (kept.length === 0) await queryRunner.query('CREATE INDEX fk_ledger_item_campaign ON ledger_item (campaign_id)')
    }
    await queryRunner.dropIndex('ledger_item', 'idx_ledger_item_campaign_open')
    // Only stages counted from an item's current due date: a row left for the date before an
    // approved extension would mark the new date's reminders as sent.
    const rows = (await queryRunner.query(
      'SELECT r.ledger_item_id, r.stage, r.sent_on FROM item_reminder r JOIN ledger_item i ON i.id = r.ledger_item_id AND i.due_date = r.due_date',
    )) as { ledger_item_id: number; stage: number; sent_on: string | Date }[]
    for (const row of rows) {
      const sentOn = typeof row.sent_on === 'string' ? row.sent_on.slice(0, 10) : row.sent_on.toISOString().slice(0, 10)
      // The old table kept every stage: those of the default rules up to the furthest, and that one.
      const names = new Set([...DEFAULT_STAGES.filter((s) => (stageDays(s) ?? 0) <= row.stage), stageName(row.stage)])
      for (const stage of names) {
        await queryRunner.query('INSERT INTO reminder_sent (subject, stage, sent_on) VALUES (?, ?, ?)', [`item:${row.ledger_item_id}`, stage, sentOn])
      }
    }
    await queryRunner.dropTable('item_reminder', true, true, true)
  }
}
