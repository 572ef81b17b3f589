import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * 监督检查 (docs/inspections.md): a finding's category and whether it must be rectified; reports
 * from the public, their reporters kept apart (confidential); accountability decisions.
 * inspection gains its columns by plain ALTER TABLE, as in LedgerProblemKey1765098000000: on
 * SQLite TypeORM's addColumn rebuilds the table, and inspection is referenced by circular_link.
 */
export class InspectionPhase1765442400000 implements MigrationInterface {
  name = 'InspectionPhase1765442400000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await queryRunner.query(`ALTER TABLE inspection ADD COLUMN category_id ${d.mysql ? 'int' : 'integer'} NULL`)
    await queryRunner.query(`ALTER TABLE inspection ADD COLUMN must_rectify boolean NOT NULL DEFAULT 0`)
    await d.createTable({
      name: 'public_report',
      columns: [
        d.id(),
        d.int('campaign_id'),
        d.varchar('source', 16),
        d.date('received_on'),
        d.text('content'),
        d.int('unit_id', true),
        d.varchar('concerned_person', 64, true),
        d.int('registered_by_id', true),
        d.int('assigned_to_id', true),
        d.date('verify_by'),
        { ...d.varchar('status', 16), default: "'assigned'" },
        d.varchar('verdict', 16, true),
        d.text('verdict_note', true),
        d.instant('verified_at', true),
        d.int('inspection_id', true),
        d.createdAt(),
      ],
      indices: [{ name: 'idx_public_report_status', columnNames: ['campaign_id', 'status', 'verify_by'] }],
      foreignKeys: [
        d.references('fk_public_report_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        d.references('fk_public_report_unit', 'unit_id', 'unit', 'SET NULL'),
        d.references('fk_public_report_registered_by', 'registered_by_id', 'person', 'SET NULL'),
        d.references('fk_public_report_assigned_to', 'assigned_to_id', 'person', 'SET NULL'),
        d.references('fk_public_report_inspection', 'inspection_id', 'inspection', 'SET NULL'),
      ],
    })
    await d.createTable({
      name: 'public_report_reporter',
      columns: [d.id(), d.int('public_report_id'), { name: 'anonymous', type: 'boolean', isNullable: false, default: 0 }, d.varchar('name', 64, true), d.varchar('contact', 128, true)],
      uniques: [{ name: 'uq_public_report_reporter', columnNames: ['public_report_id'] }],
      foreignKeys: [d.references('fk_public_report_reporter_report', 'public_report_id', 'public_report', 'CASCADE')],
    })
    await d.createTable({
      name: 'accountability',
      columns: [
        d.id(),
        d.int('campaign_id'),
        d.int('inspection_id', true),
        d.int('unit_id', true),
        d.int('person_id', true),
        d.varchar('measure', 32),
        d.date('decided_on'),
        d.text('note'),
        d.int('recorded_by_id', true),
        d.instant('notified_at', true),
        d.createdAt(),
      ],
      indices: [{ name: 'idx_accountability_campaign', columnNames: ['campaign_id', 'decided_on'] }],
      foreignKeys: [
        d.references('fk_accountability_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        d.references('fk_accountability_inspection', 'inspection_id', 'inspection', 'SET NULL'),
        d.references('fk_accountability_unit', 'unit_id', 'unit', 'SET NULL'),
        d.references('fk_accountability_person', 'person_id', 'person', 'SET NULL'),
        d.references('fk_accountability_recorded_by', 'recorded_by_id', 'person', 'SET NULL'),
      ],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('accountability', true, true, true)
    await queryRunner.dropTable('public_report_reporter', true, true, true)
    await queryRunner.dropTable('public_report', true, true, true)
    await queryRunner.query('ALTER TABLE inspection DROP COLUMN must_rectify')
    await queryRunner.query('ALTER TABLE inspection DROP COLUMN category_id')
  }
}
