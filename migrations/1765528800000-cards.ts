import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * Cards and short conversations (docs/cards.md): an outbox row's task id (made when the row is
 * written, unique for all time), a card's current version once a tap changed it, and the one
 * open question per person. outbox_message gains its column by plain ALTER TABLE, as in
 * LedgerProblemKey1765098000000: on SQLite TypeORM's addColumn rebuilds the table.
 */
export class Cards1765528800000 implements MigrationInterface {
  name = 'Cards1765528800000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await queryRunner.query(`ALTER TABLE outbox_message ADD COLUMN task_id varchar(128)${d.mysql ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci' : ''} NULL`)
    await queryRunner.query('CREATE UNIQUE INDEX uq_outbox_message_task_id ON outbox_message (task_id)')
    await d.createTable({
      name: 'card_state',
      columns: [d.id(), d.varchar('task_id', 128), d.text('card'), d.text('outcomes'), d.int('version'), d.instant('updated_at')],
      uniques: [{ name: 'uq_card_state_task', columnNames: ['task_id'] }],
    })
    await d.createTable({
      name: 'person_question',
      columns: [
        d.id(),
        d.int('person_id'),
        d.varchar('kind', 32),
        d.int('subject_id'),
        d.varchar('task_id', 128, true),
        d.varchar('response_code', 512, true),
        d.varchar('prompt', 200),
        d.instant('asked_at'),
        d.instant('expires_at'),
      ],
      uniques: [{ name: 'uq_person_question_person', columnNames: ['person_id'] }],
      foreignKeys: [d.references('fk_person_question_person', 'person_id', 'person', 'CASCADE')],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('person_question', true, true, true)
    await queryRunner.dropTable('card_state', true, true, true)
    await queryRunner.query(dialect(queryRunner).mysql ? 'DROP INDEX uq_outbox_message_task_id ON outbox_message' : 'DROP INDEX uq_outbox_message_task_id')
    await queryRunner.query('ALTER TABLE outbox_message DROP COLUMN task_id')
  }
}
