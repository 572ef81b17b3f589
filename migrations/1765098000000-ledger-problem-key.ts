import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm'
import { problemKey } from '../src/domain/ledger/problem-key.js'

/**
 * One unit cannot register the same problem twice in a campaign (登记 sent twice at once, or
 * typed again with other spacing): ledger_item.problem_key, the hash of the normalized problem
 * text, is unique per campaign and unit. Existing rows get their key; of rows that already
 * repeat one, the first keeps it and the others stay NULL (a unique index admits many NULLs).
 */
export class LedgerProblemKey1765098000000 implements MigrationInterface {
  name = 'LedgerProblemKey1765098000000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const utf8mb4 = type === 'mysql' || type === 'mariadb' ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {}
    await queryRunner.addColumn('ledger_item', new TableColumn({ name: 'problem_key', type: 'varchar', length: '64', isNullable: true, ...utf8mb4 }))
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
    await queryRunner.createIndex('ledger_item', new TableIndex({ name: 'uq_ledger_item_problem', columnNames: ['campaign_id', 'unit_id', 'problem_key'], isUnique: true }))
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('ledger_item', 'uq_ledger_item_problem')
    await queryRunner.dropColumn('ledger_item', 'problem_key')
  }
}
