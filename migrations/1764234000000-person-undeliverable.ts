import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm'

/**
 * Records against a person that WeCom refused to deliver to them (invaliduser: not a member
 * or outside the app's visible range; unlicenseduser: no API licence), so that the failure is
 * reported to the administrators once and the roster can be corrected.
 */
export class PersonUndeliverable1764234000000 implements MigrationInterface {
  name = 'PersonUndeliverable1764234000000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const mysql = type === 'mysql' || type === 'mariadb'
    await queryRunner.addColumns('person', [
      new TableColumn({
        name: 'undeliverable',
        type: 'varchar',
        length: '16',
        isNullable: true,
        ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {}),
      }),
      new TableColumn({ name: 'undeliverable_since', type: 'datetime', precision: 6, isNullable: true }),
    ])
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('person', 'undeliverable_since')
    await queryRunner.dropColumn('person', 'undeliverable')
  }
}
