import { Table, type MigrationInterface, type QueryRunner } from 'typeorm'

/**
 * Which units take part in a campaign and how (participant, joint-meeting member, convener):
 * the reminder sweeps ask which units owe a deliverable or a monthly report in this campaign,
 * and a county department can be a joint-meeting member and keep its own ledger at once.
 */
export class CampaignUnit1764320400000 implements MigrationInterface {
  name = 'CampaignUnit1764320400000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const mysql = type === 'mysql' || type === 'mariadb'
    const int = mysql ? 'int' : 'integer'
    await queryRunner.createTable(
      new Table({
        name: 'campaign_unit',
        columns: [
          { name: 'id', type: int, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'campaign_id', type: int },
          { name: 'unit_id', type: int },
          { name: 'role', type: 'varchar', length: '16', ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {}) },
          { name: 'created_at', type: 'datetime', precision: 6, default: mysql ? 'CURRENT_TIMESTAMP(6)' : "datetime('now')" },
        ],
        uniques: [{ name: 'uq_campaign_unit_role', columnNames: ['campaign_id', 'unit_id', 'role'] }],
        indices: [{ name: 'idx_campaign_unit_role', columnNames: ['campaign_id', 'role'] }],
        foreignKeys: [
          { name: 'fk_campaign_unit_campaign', columnNames: ['campaign_id'], referencedTableName: 'campaign', referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' },
          { name: 'fk_campaign_unit_unit', columnNames: ['unit_id'], referencedTableName: 'unit', referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' },
        ],
      }),
      false,
      true,
      true,
    )
    if (mysql) await queryRunner.query('ALTER TABLE `campaign_unit` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci')
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('campaign_unit', true, true, true)
  }
}
