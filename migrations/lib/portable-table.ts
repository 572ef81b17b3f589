import { Table, type QueryRunner, type TableColumnOptions, type TableForeignKeyOptions, type TableIndexOptions, type TableUniqueOptions } from 'typeorm'

/**
 * What differs between SQLite and MySQL/MariaDB when a migration creates a table, in one place
 * (the initial migration spells the same out for itself). Kept stable: migrations already run
 * depend on it, so a change in behaviour belongs in a new helper.
 * - SQLite auto-increments only a column declared exactly INTEGER PRIMARY KEY;
 * - "now" is CURRENT_TIMESTAMP(6) on MySQL, datetime('now') on SQLite;
 * - on MySQL, text columns and the table default are utf8mb4 whatever the database's default.
 */
export function dialect(queryRunner: QueryRunner) {
  const type = queryRunner.connection.driver.options.type
  const mysql = type === 'mysql' || type === 'mariadb'
  const int = mysql ? 'int' : 'integer'
  const utf8mb4 = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {}
  return {
    mysql,
    id: (): TableColumnOptions => ({ name: 'id', type: int, isPrimary: true, isGenerated: true, generationStrategy: 'increment' }),
    int: (name: string, isNullable = false): TableColumnOptions => ({ name, type: int, isNullable }),
    varchar: (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable, ...utf8mb4 }),
    text: (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable, ...utf8mb4 }),
    date: (name: string): TableColumnOptions => ({ name, type: 'date' }),
    instant: (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 6, isNullable }),
    createdAt: (): TableColumnOptions => ({ name: 'created_at', type: 'datetime', precision: 6, default: mysql ? 'CURRENT_TIMESTAMP(6)' : "datetime('now')" }),
    /** A foreign key to another table's id. */
    references: (name: string, column: string, table: string, onDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT'): TableForeignKeyOptions => ({
      name,
      columnNames: [column],
      referencedTableName: table,
      referencedColumnNames: ['id'],
      onDelete,
      onUpdate: 'NO ACTION',
    }),
    async createTable(table: {
      name: string
      columns: TableColumnOptions[]
      uniques?: TableUniqueOptions[]
      indices?: TableIndexOptions[]
      foreignKeys?: TableForeignKeyOptions[]
    }): Promise<void> {
      await queryRunner.createTable(new Table(table), false, true, true)
      if (mysql) await queryRunner.query(`ALTER TABLE \`${table.name}\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    },
  }
}
