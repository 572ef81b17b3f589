import { Table, type MigrationInterface, type QueryRunner } from 'typeorm'

/** Keeps every submitted version of a monthly report: a resubmission replaces the report, not its history. */
export class MonthlyReportRevision1764493200000 implements MigrationInterface {
  name = 'MonthlyReportRevision1764493200000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const mysql = type === 'mysql' || type === 'mariadb'
    const int = mysql ? 'int' : 'integer'
    await queryRunner.createTable(
      new Table({
        name: 'monthly_report_revision',
        columns: [
          { name: 'id', type: int, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'report_id', type: int },
          { name: 'revision', type: int },
          { name: 'content', type: 'text', ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {}) },
          { name: 'submitted_by_id', type: int, isNullable: true },
          { name: 'submitted_at', type: 'datetime', precision: 6 },
        ],
        uniques: [{ name: 'uq_monthly_report_revision', columnNames: ['report_id', 'revision'] }],
        foreignKeys: [
          { name: 'fk_monthly_report_revision_report', columnNames: ['report_id'], referencedTableName: 'monthly_report', referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' },
          { name: 'fk_monthly_report_revision_person', columnNames: ['submitted_by_id'], referencedTableName: 'person', referencedColumnNames: ['id'], onDelete: 'SET NULL', onUpdate: 'NO ACTION' },
        ],
      }),
      false,
      true,
      true,
    )
    if (mysql) await queryRunner.query('ALTER TABLE `monthly_report_revision` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci')
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('monthly_report_revision', true, true, true)
  }
}
