import { Table, type MigrationInterface, type QueryRunner } from 'typeorm'

/** Which reminder stages have gone out for which item, task or report: each stage once. */
export class ReminderSent1764579600000 implements MigrationInterface {
  name = 'ReminderSent1764579600000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const mysql = type === 'mysql' || type === 'mariadb'
    const utf8mb4 = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {}
    await queryRunner.createTable(
      new Table({
        name: 'reminder_sent',
        columns: [
          { name: 'id', type: mysql ? 'int' : 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'subject', type: 'varchar', length: '64', ...utf8mb4 },
          { name: 'stage', type: 'varchar', length: '32', ...utf8mb4 },
          { name: 'sent_on', type: 'date' },
          { name: 'created_at', type: 'datetime', precision: 6, default: mysql ? 'CURRENT_TIMESTAMP(6)' : "datetime('now')" },
        ],
        uniques: [{ name: 'uq_reminder_sent_stage', columnNames: ['subject', 'stage'] }],
      }),
      false,
      true,
      true,
    )
    if (mysql) await queryRunner.query('ALTER TABLE `reminder_sent` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci')
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('reminder_sent', true, true, true)
  }
}
