import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * Joint meetings: the campaign's figures when a meeting is called (so the next notice can say
 * what changed since), and decisions from the minutes kept beside the agenda's topics.
 */
export class MeetingAgenda1764925200000 implements MigrationInterface {
  name = 'MeetingAgenda1764925200000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await queryRunner.addColumn('meeting', new TableColumn(d.text('status_snapshot', true)))
    await queryRunner.addColumn('agenda_item', new TableColumn({ ...d.varchar('kind', 16), default: "'topic'" }))
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('agenda_item', 'kind')
    await queryRunner.dropColumn('meeting', 'status_snapshot')
  }
}
