import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * Files the bot sends (the monthly report workbook), kept in the database like every
 * other message so that any replica's worker can send them: the file, and its content in
 * chunks of at most 60,000 bytes (a BLOB holds 64 KB on MySQL; SQLite does not mind).
 */
export class StoredFiles1765011600000 implements MigrationInterface {
  name = 'StoredFiles1765011600000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await d.createTable({
      name: 'stored_file',
      columns: [
        d.id(),
        d.varchar('filename', 200),
        d.int('byte_size'),
        d.varchar('sha256', 64),
        d.varchar('media_id', 128, true),
        d.instant('media_uploaded_at', true),
        d.createdAt(),
      ],
    })
    await d.createTable({
      name: 'stored_file_chunk',
      columns: [
        { ...d.int('file_id'), isPrimary: true },
        { ...d.int('seq'), isPrimary: true },
        { name: 'data', type: 'blob' },
      ],
      foreignKeys: [d.references('fk_stored_file_chunk_file', 'file_id', 'stored_file', 'CASCADE')],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stored_file_chunk', true, true, true)
    await queryRunner.dropTable('stored_file', true, true, true)
  }
}
