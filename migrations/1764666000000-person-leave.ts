import { Table, type MigrationInterface, type QueryRunner } from 'typeorm'

/** 请假 / 销假: who is away until when, and who receives their reminders meanwhile. */
export class PersonLeave1764666000000 implements MigrationInterface {
  name = 'PersonLeave1764666000000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const mysql = type === 'mysql' || type === 'mariadb'
    const int = mysql ? 'int' : 'integer'
    await queryRunner.createTable(
      new Table({
        name: 'person_leave',
        columns: [
          { name: 'id', type: int, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'person_id', type: int },
          { name: 'until', type: 'date' },
          { name: 'deputy_id', type: int, isNullable: true },
          { name: 'ended_at', type: 'datetime', precision: 6, isNullable: true },
          { name: 'created_at', type: 'datetime', precision: 6, default: mysql ? 'CURRENT_TIMESTAMP(6)' : "datetime('now')" },
        ],
        indices: [{ name: 'idx_person_leave_person', columnNames: ['person_id', 'until'] }],
        foreignKeys: [
          { name: 'fk_person_leave_person', columnNames: ['person_id'], referencedTableName: 'person', referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' },
          { name: 'fk_person_leave_deputy', columnNames: ['deputy_id'], referencedTableName: 'person', referencedColumnNames: ['id'], onDelete: 'SET NULL', onUpdate: 'NO ACTION' },
        ],
      }),
      false,
      true,
      true,
    )
    if (mysql) await queryRunner.query('ALTER TABLE `person_leave` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci')
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('person_leave', true, true, true)
  }
}
