import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm'

/**
 * What the bot answered to each inbound message, and how (passive: in the HTTP response;
 * outbox: as an active message). Stored before the answer leaves, so a retried callback whose
 * passive answer was lost is answered again with the same text, and every answer is on record.
 */
export class InboundReply1764406800000 implements MigrationInterface {
  name = 'InboundReply1764406800000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const utf8mb4 = type === 'mysql' || type === 'mariadb' ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {}
    await queryRunner.addColumns('inbound_message', [
      new TableColumn({ name: 'reply', type: 'text', isNullable: true, ...utf8mb4 }),
      new TableColumn({ name: 'reply_via', type: 'varchar', length: '16', isNullable: true, ...utf8mb4 }),
    ])
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('inbound_message', 'reply_via')
    await queryRunner.dropColumn('inbound_message', 'reply')
  }
}
