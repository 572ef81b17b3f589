import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * The reminder record (docs/responsiveness.md): one row per item, stage, due date and recipient,
 * written with the digest that carries it and marked delivered when that digest is recorded sent.
 * Responsiveness figures start from it; nothing is filled in for the reminders sent before.
 */
export class ReminderRecord1765875600000 implements MigrationInterface {
  name = 'ReminderRecord1765875600000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'reminder_record',
      columns: [
        d.id(),
        d.int('campaign_id'),
        d.int('ledger_item_id'),
        d.int('unit_id'),
        d.varchar('stage', 16),
        d.int('stage_days'),
        d.date('due_date'),
        d.varchar('audience', 8),
        d.int('person_id', true),
        d.int('for_person_id', true),
        d.varchar('outbox_key', 191),
        d.instant('queued_at'),
        d.instant('delivered_at', true),
      ],
      uniques: [{ name: 'uq_reminder_record', columnNames: ['ledger_item_id', 'due_date', 'stage', 'person_id'] }],
      indices: [
        { name: 'idx_reminder_record_outbox', columnNames: ['outbox_key'] },
        { name: 'idx_reminder_record_delivered', columnNames: ['campaign_id', 'delivered_at'] },
        // One unit's reminders (时效 单位, its dashboard page) without reading the county's.
        { name: 'idx_reminder_record_unit', columnNames: ['campaign_id', 'unit_id', 'delivered_at'] },
        // When a campaign's records begin (docs/responsiveness.md): MIN(queued_at) read off the index.
        { name: 'idx_reminder_record_queued', columnNames: ['campaign_id', 'queued_at'] },
      ],
      foreignKeys: [
        d.references('fk_reminder_record_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        d.references('fk_reminder_record_item', 'ledger_item_id', 'ledger_item', 'CASCADE'),
        d.references('fk_reminder_record_person', 'person_id', 'person', 'SET NULL'),
        d.references('fk_reminder_record_for_person', 'for_person_id', 'person', 'SET NULL'),
      ],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('reminder_record', true, true, true)
  }
}
