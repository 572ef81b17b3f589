import type { MigrationInterface, QueryRunner } from 'typeorm'
import { dialect } from './lib/portable-table.js'

/**
 * Evidence of rectification (docs/evidence.md): the photos, voice notes, videos and locations
 * people send, each attached to a ledger item (or waiting for the sender to name one) and
 * downloaded into the stored-file tables; the window in which a person's media go to an item;
 * the campaign's rules (evidence required before 销号, days kept after closing); a stored file's
 * upload type, since WeCom's media ids differ for an image and a file; and its content key
 * (digest and size, unique) that stores the same evidence file once, also when two instances store
 * it at the same moment (NULL for the workbooks, which are not shared). Columns are added by plain ALTER TABLE, as in
 * LedgerProblemKey1765098000000 (TypeORM's addColumn rebuilds a SQLite table).
 */
export class Evidence1765702800000 implements MigrationInterface {
  name = 'Evidence1765702800000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    const utf8mb4 = d.mysql ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci' : ''
    await queryRunner.query(`ALTER TABLE stored_file ADD COLUMN media_type varchar(8)${utf8mb4} NULL`)
    await queryRunner.query(`ALTER TABLE stored_file ADD COLUMN content_key varchar(80)${utf8mb4} NULL`)
    await queryRunner.query('CREATE UNIQUE INDEX uq_stored_file_content ON stored_file (content_key)')
    await queryRunner.query('ALTER TABLE campaign ADD COLUMN require_evidence boolean NOT NULL DEFAULT 0')
    await queryRunner.query(`ALTER TABLE campaign ADD COLUMN evidence_retention_days ${d.mysql ? 'int' : 'integer'} NULL`)
    await d.createTable({
      name: 'evidence',
      columns: [
        d.id(),
        d.int('ledger_item_id', true),
        d.int('person_id'),
        d.varchar('dedupe_key', 191),
        d.varchar('kind', 16),
        d.varchar('media_id', 256, true),
        d.varchar('format', 16, true),
        d.varchar('latitude', 32, true),
        d.varchar('longitude', 32, true),
        d.int('scale', true),
        d.varchar('label', 200, true),
        d.varchar('status', 16),
        d.int('stored_file_id', true),
        d.varchar('content_type', 100, true),
        d.int('byte_size', true),
        { ...d.int('attempts'), default: 0 },
        d.instant('next_attempt_at', true),
        d.varchar('last_error', 200, true),
        d.varchar('ack_key', 191, true),
        d.instant('received_at'),
        d.instant('attached_at', true),
      ],
      uniques: [{ name: 'uq_evidence_dedupe_key', columnNames: ['dedupe_key'] }],
      indices: [
        { name: 'idx_evidence_status_next', columnNames: ['status', 'next_attempt_at'] },
        { name: 'idx_evidence_item', columnNames: ['ledger_item_id'] },
        { name: 'idx_evidence_person_item', columnNames: ['person_id', 'ledger_item_id'] },
      ],
      foreignKeys: [
        d.references('fk_evidence_item', 'ledger_item_id', 'ledger_item', 'CASCADE'),
        d.references('fk_evidence_person', 'person_id', 'person', 'CASCADE'),
        d.references('fk_evidence_file', 'stored_file_id', 'stored_file', 'SET NULL'),
      ],
    })
    await d.createTable({
      name: 'evidence_window',
      columns: [d.id(), d.int('person_id'), d.int('ledger_item_id'), d.instant('until')],
      uniques: [{ name: 'uq_evidence_window_person', columnNames: ['person_id'] }],
      foreignKeys: [
        d.references('fk_evidence_window_person', 'person_id', 'person', 'CASCADE'),
        d.references('fk_evidence_window_item', 'ledger_item_id', 'ledger_item', 'CASCADE'),
      ],
    })
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const d = dialect(queryRunner)
    await queryRunner.dropTable('evidence_window', true, true, true)
    await queryRunner.dropTable('evidence', true, true, true)
    await queryRunner.query('ALTER TABLE campaign DROP COLUMN evidence_retention_days')
    await queryRunner.query('ALTER TABLE campaign DROP COLUMN require_evidence')
    await queryRunner.query(d.mysql ? 'DROP INDEX uq_stored_file_content ON stored_file' : 'DROP INDEX uq_stored_file_content')
    await queryRunner.query('ALTER TABLE stored_file DROP COLUMN content_key')
    await queryRunner.query('ALTER TABLE stored_file DROP COLUMN media_type')
  }
}
