import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * Which units take part in a campaign and how (participant, joint-meeting member, convener):
 * the reminder sweeps ask which units owe a deliverable or a monthly report in this campaign,
 * and a county department can be a joint-meeting member and keep its own ledger at once.
 */
export class CampaignUnit1764320400000 implements MigrationInterface {
  name = 'CampaignUnit1764320400000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'campaign_unit',
      columns: [d.id(), d.int('campaign_id'), d.int('unit_id'), d.varchar('role', 16), d.createdAt()],
      uniques: [{ name: 'uq_campaign_unit_role', columnNames: ['campaign_id', 'unit_id', 'role'] }],
      indices: [{ name: 'idx_campaign_unit_role', columnNames: ['campaign_id', 'role'] }],
      foreignKeys: [
        d.references('fk_campaign_unit_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        d.references('fk_campaign_unit_unit', 'unit_id', 'unit', 'CASCADE'),
      ],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('campaign_unit', true, true, true)
  }
}
