import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/** Which reminder stages have gone out for which item, task or report: each stage once. */
export class ReminderSent1764579600000 implements MigrationInterface {
  name = 'ReminderSent1764579600000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'reminder_sent',
      columns: [d.id(), d.varchar('subject', 64), d.varchar('stage', 32), d.date('sent_on'), d.createdAt()],
      uniques: [{ name: 'uq_reminder_sent_stage', columnNames: ['subject', 'stage'] }],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('reminder_sent', true, true, true)
  }
}
