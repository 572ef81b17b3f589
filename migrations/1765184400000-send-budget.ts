import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * The send budget in the database (docs/delivery.md): every send to a member, a group robot or
 * an app group chat is a row of send_slot, taken before the request goes to WeCom, so that all
 * instances on one database together stay within WeCom's per-member and per-robot limits, a
 * restart forgets nothing, and a send whose outcome never came is known to have begun.
 * send_budget holds one row per budgeted recipient, locked while its slots are counted.
 */
export class SendBudget1765184400000 implements MigrationInterface {
  name = 'SendBudget1765184400000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'send_budget',
      columns: [{ ...d.varchar('recipient', 191), isPrimary: true }],
    })
    await d.createTable({
      name: 'send_slot',
      columns: [
        d.id(),
        d.varchar('recipient', 191),
        d.int('outbox_id'),
        d.instant('at'),
        { name: 'settled', type: 'boolean', isNullable: false, default: 0 },
        d.varchar('fingerprint', 64, true),
      ],
      indices: [
        { name: 'idx_send_slot_recipient_at', columnNames: ['recipient', 'at'] },
        { name: 'idx_send_slot_outbox', columnNames: ['outbox_id'] },
      ],
      foreignKeys: [d.references('fk_send_slot_outbox', 'outbox_id', 'outbox_message', 'CASCADE')],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('send_slot', true, true, true)
    await queryRunner.dropTable('send_budget', true, true, true)
  }
}
