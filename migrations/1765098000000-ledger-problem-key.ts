import type { MigrationInterface, QueryRunner } from 'typeorm'
import { problemKey } from '../src/db/problem-key.js'

/**
 * One unit cannot register the same problem twice in a campaign (登记 sent twice at once, or
 * typed again with other spacing): ledger_item.problem_key, the hash of the normalized problem
 * text, is unique per campaign and unit. Existing rows get their key; of rows that already
 * repeat one, the first keeps it and the others stay NULL (a unique index admits many NULLs).
 *
 * Plain ALTER TABLE on both databases: TypeORM's addColumn/dropColumn rebuild a SQLite table
 * (copy, DROP, rename), and dropping ledger_item inside the migration's transaction, where
 * foreign keys cannot be switched off, would cascade to its history, reminders and requests.
 */
export class LedgerProblemKey1765098000000 implements MigrationInterface {
  name = 'LedgerProblemKey1765098000000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const utf8mb4 = type === 'mysql' || type === 'mariadb' ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci' : ''
    await queryRunner.query(`ALTER TABLE ledger_item ADD COLUMN problem_key varchar(64)${utf8mb4} NULL`)
    const rows = (await queryRunner.query('SELECT id, campaign_id, unit_id, problem FROM ledger_item ORDER BY id')) as { id: number; campaign_id: number; unit_id: number; problem: string }[]
    const seen = new Set<string>()
    const keyed: [number, string][] = []
    for (const row of rows) {
      const key = problemKey(row.problem)
      const scope = `${row.campaign_id}:${row.unit_id}:${key}`
      if (seen.has(scope)) continue
      seen.add(scope)
      keyed.push([Number(row.id), key])
    }
    for (let i = 0; i < keyed.length; i += 500) {
      const batch = keyed.slice(i, i + 500)
      await queryRunner.query(
        `UPDATE ledger_item SET problem_key = CASE id ${batch.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE id IN (${batch.map(() => '?').join(', ')})`,
        [...batch.flat(), ...batch.map(([id]) => id)],
      )
    }
    await queryRunner.query('CREATE UNIQUE INDEX uq_ledger_item_problem ON ledger_item (campaign_id, unit_id, problem_key)')
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    await queryRunner.query(type === 'mysql' || type === 'mariadb' ? 'DROP INDEX uq_ledger_item_problem ON ledger_item' : 'DROP INDEX uq_ledger_item_problem')
    await queryRunner.query('ALTER TABLE ledger_item DROP COLUMN problem_key')
  }
}
