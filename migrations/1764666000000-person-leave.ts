import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/** 请假 / 销假: who is away until when, and who receives their reminders meanwhile. */
export class PersonLeave1764666000000 implements MigrationInterface {
  name = 'PersonLeave1764666000000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'person_leave',
      columns: [d.id(), d.int('person_id'), d.date('until'), d.int('deputy_id', true), d.instant('ended_at', true), d.createdAt()],
      indices: [{ name: 'idx_person_leave_person', columnNames: ['person_id', 'until'] }],
      foreignKeys: [
        d.references('fk_person_leave_person', 'person_id', 'person', 'CASCADE'),
        d.references('fk_person_leave_deputy', 'deputy_id', 'person', 'SET NULL'),
      ],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('person_leave', true, true, true)
  }
}
