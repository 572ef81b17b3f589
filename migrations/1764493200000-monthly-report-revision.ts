import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/** Keeps every submitted version of a monthly report: a resubmission replaces the report, not its history. */
export class MonthlyReportRevision1764493200000 implements MigrationInterface {
  name = 'MonthlyReportRevision1764493200000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'monthly_report_revision',
      columns: [d.id(), d.int('report_id'), d.int('revision'), d.text('content'), d.int('submitted_by_id', true), d.instant('submitted_at')],
      uniques: [{ name: 'uq_monthly_report_revision', columnNames: ['report_id', 'revision'] }],
      foreignKeys: [
        d.references('fk_monthly_report_revision_report', 'report_id', 'monthly_report', 'CASCADE'),
        d.references('fk_monthly_report_revision_person', 'submitted_by_id', 'person', 'SET NULL'),
      ],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('monthly_report_revision', true, true, true)
  }
}
