import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/** 更多 and 待办: the rest of a list cut for length, and when a person last looked at a topic. */
export class ListPage1765356000000 implements MigrationInterface {
  name = 'ListPage1765356000000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'list_page',
      columns: [d.id(), d.int('person_id'), d.varchar('command', 200), d.text('pages'), d.int('next_page'), d.instant('expires_at')],
      uniques: [{ name: 'uq_list_page_person', columnNames: ['person_id'] }],
      foreignKeys: [d.references('fk_list_page_person', 'person_id', 'person', 'CASCADE')],
    })
    await d.createTable({
      name: 'person_seen',
      columns: [d.id(), d.int('person_id'), d.varchar('topic', 32), d.instant('seen_at')],
      uniques: [{ name: 'uq_person_seen_topic', columnNames: ['person_id', 'topic'] }],
      foreignKeys: [d.references('fk_person_seen_person', 'person_id', 'person', 'CASCADE')],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('person_seen', true, true, true)
    await queryRunner.dropTable('list_page', true, true, true)
  }
}
