import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * 典型案例通报: the ledger items and inspections a typical-case circular names, one
 * row per link, each to exactly one of them.
 */
export class CircularLinks1764838800000 implements MigrationInterface {
  name = 'CircularLinks1764838800000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'circular_link',
      columns: [d.id(), d.int('circular_id'), d.int('ledger_item_id', true), d.int('inspection_id', true)],
      uniques: [{ name: 'uq_circular_link', columnNames: ['circular_id', 'ledger_item_id', 'inspection_id'] }],
      foreignKeys: [
        d.references('fk_circular_link_circular', 'circular_id', 'circular', 'CASCADE'),
        d.references('fk_circular_link_item', 'ledger_item_id', 'ledger_item', 'CASCADE'),
        d.references('fk_circular_link_inspection', 'inspection_id', 'inspection', 'CASCADE'),
      ],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('circular_link', true, true, true)
  }
}
