import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * 总览 is kept while nothing it reads changed (docs/dashboard.md, Performance); one of its marks
 * is a campaign's items' last change, read through this index without scanning the ledger.
 */
export class LedgerItemChangeIndex1765615200000 implements MigrationInterface {
  name = 'LedgerItemChangeIndex1765615200000'

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX idx_ledger_item_campaign_updated ON ledger_item (campaign_id, updated_at)')
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(dialect(queryRunner).mysql ? 'DROP INDEX idx_ledger_item_campaign_updated ON ledger_item' : 'DROP INDEX idx_ledger_item_campaign_updated')
  }
}
