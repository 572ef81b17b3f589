import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions, type TableForeignKeyOptions } from 'typeorm'

/**
 * The whole campaign data model (docs/architecture.md), portable through the QueryRunner Table API.
 * Where the dialects differ it branches on the driver, and says why:
 * - creation timestamps default to `CURRENT_TIMESTAMP(6)` on MySQL and `datetime('now')` on
 *   SQLite (each dialect's spelling of "now"); MySQL also refreshes `updated_at` itself;
 * - on MySQL every text column and the table default are utf8mb4 whatever the database's
 *   default charset, so that Chinese text and emoji survive (a database left on latin1 or
 *   utf8mb3 would mangle them). Columns are declared so rather than converted afterwards:
 *   CONVERT TO CHARACTER SET would silently widen TEXT to MEDIUMTEXT.
 * This file is a snapshot: later schema changes go in new migrations, never here.
 */
export class InitialSchema1764147600000 implements MigrationInterface {
  name = 'InitialSchema1764147600000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = isMysql(queryRunner)
    for (const table of tables(mysql)) {
      const columns = mysql ? table.columns.map(withUtf8mb4) : table.columns
      await queryRunner.createTable(new Table({ ...table, columns }), false, true, true)
      if (mysql) {
        await queryRunner.query(`ALTER TABLE \`${table.name}\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = isMysql(queryRunner)
    for (const table of tables(mysql).reverse()) await queryRunner.dropTable(table.name, true, true, true)
  }
}

/** MySQL or MariaDB (the DataSource type is 'mariadb' when the server is MariaDB). */
function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.driver.options.type
  return type === 'mysql' || type === 'mariadb'
}

function withUtf8mb4(column: TableColumnOptions): TableColumnOptions {
  return column.type === 'varchar' || column.type === 'text'
    ? { ...column, charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' }
    : column
}

interface TableSpec {
  name: string
  columns: TableColumnOptions[]
  uniques?: { name: string; columnNames: string[] }[]
  indices?: { name: string; columnNames: string[] }[]
  foreignKeys?: TableForeignKeyOptions[]
}

const varchar = (name: string, length: number, options: { nullable?: boolean; default?: string } = {}): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: options.nullable ?? false,
  ...(options.default === undefined ? {} : { default: `'${options.default}'` }),
})
const text = (name: string, options: { nullable?: boolean } = {}): TableColumnOptions => ({
  name,
  type: 'text',
  isNullable: options.nullable ?? false,
})
const date = (name: string, options: { nullable?: boolean } = {}): TableColumnOptions => ({
  name,
  type: 'date',
  isNullable: options.nullable ?? false,
})
const instant = (name: string, options: { nullable?: boolean } = {}): TableColumnOptions => ({
  name,
  type: 'datetime',
  precision: 6,
  isNullable: options.nullable ?? false,
})
const flag = (name: string, defaultValue: boolean): TableColumnOptions => ({
  name,
  type: 'boolean',
  isNullable: false,
  default: defaultValue ? 1 : 0,
})
const fk = (
  name: string,
  column: string,
  table: string,
  onDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT',
): TableForeignKeyOptions => ({
  name,
  columnNames: [column],
  referencedTableName: table,
  referencedColumnNames: ['id'],
  onDelete,
  onUpdate: 'NO ACTION',
})

function tables(mysql: boolean): TableSpec[] {
  // SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
  const intType = mysql ? 'int' : 'integer'
  const id = (): TableColumnOptions => ({
    name: 'id',
    type: intType,
    isPrimary: true,
    isGenerated: true,
    generationStrategy: 'increment',
  })
  const int = (name: string, options: { nullable?: boolean; default?: number } = {}): TableColumnOptions => ({
    name,
    type: intType,
    isNullable: options.nullable ?? false,
    ...(options.default === undefined ? {} : { default: options.default }),
  })
  const now = mysql ? 'CURRENT_TIMESTAMP(6)' : "datetime('now')"
  const createdAt = (): TableColumnOptions => ({ ...instant('created_at'), default: now })
  const updatedAt = (): TableColumnOptions => ({
    ...instant('updated_at'),
    default: now,
    ...(mysql ? { onUpdate: 'CURRENT_TIMESTAMP(6)' } : {}),
  })
  return [
    {
      name: 'unit',
      columns: [id(), varchar('name', 100), varchar('kind', 32), int('parent_id', { nullable: true }), createdAt()],
      uniques: [{ name: 'uq_unit_name', columnNames: ['name'] }],
      foreignKeys: [fk('fk_unit_parent', 'parent_id', 'unit', 'SET NULL')],
    },
    {
      name: 'person',
      columns: [
        id(),
        varchar('userid', 64),
        varchar('name', 50),
        int('unit_id', { nullable: true }),
        varchar('title', 100, { nullable: true }),
        varchar('mobile', 20, { nullable: true }),
        flag('via_wechat', false),
        flag('active', true),
        createdAt(),
      ],
      uniques: [{ name: 'uq_person_userid', columnNames: ['userid'] }],
      indices: [{ name: 'idx_person_unit', columnNames: ['unit_id'] }],
      foreignKeys: [fk('fk_person_unit', 'unit_id', 'unit', 'SET NULL')],
    },
    {
      name: 'role_assignment',
      columns: [id(), int('person_id'), varchar('role', 32), int('unit_id', { nullable: true }), createdAt()],
      uniques: [{ name: 'uq_role_assignment', columnNames: ['person_id', 'role', 'unit_id'] }],
      indices: [{ name: 'idx_role_assignment_unit_role', columnNames: ['unit_id', 'role'] }],
      foreignKeys: [
        fk('fk_role_assignment_person', 'person_id', 'person', 'CASCADE'),
        fk('fk_role_assignment_unit', 'unit_id', 'unit', 'CASCADE'),
      ],
    },
    {
      name: 'campaign',
      columns: [
        id(),
        varchar('name', 200),
        varchar('plan_name', 100),
        varchar('plan_version', 40),
        date('start_date'),
        date('end_date'),
        int('convener_unit_id', { nullable: true }),
        varchar('status', 16, { default: 'active' }),
        createdAt(),
      ],
      uniques: [{ name: 'uq_campaign_plan_start', columnNames: ['plan_name', 'start_date'] }],
      foreignKeys: [fk('fk_campaign_convener_unit', 'convener_unit_id', 'unit', 'SET NULL')],
    },
    {
      name: 'phase',
      columns: [
        id(),
        int('campaign_id'),
        varchar('code', 32),
        varchar('name', 50),
        int('seq'),
        date('start_date'),
        date('end_date'),
        text('description'),
      ],
      uniques: [{ name: 'uq_phase_campaign_code', columnNames: ['campaign_id', 'code'] }],
      foreignKeys: [fk('fk_phase_campaign', 'campaign_id', 'campaign', 'CASCADE')],
    },
    {
      name: 'phase_task',
      columns: [
        id(),
        int('campaign_id'),
        int('phase_id'),
        varchar('code', 64),
        varchar('name', 200),
        text('description'),
        date('due_date'),
      ],
      uniques: [{ name: 'uq_phase_task_phase_code', columnNames: ['phase_id', 'code'] }],
      indices: [{ name: 'idx_phase_task_campaign_due', columnNames: ['campaign_id', 'due_date'] }],
      foreignKeys: [
        fk('fk_phase_task_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        fk('fk_phase_task_phase', 'phase_id', 'phase', 'CASCADE'),
      ],
    },
    {
      name: 'task_submission',
      columns: [
        id(),
        int('task_id'),
        int('unit_id'),
        int('submitted_by_id', { nullable: true }),
        text('content'),
        varchar('status', 16, { default: 'submitted' }),
        instant('submitted_at'),
        createdAt(),
      ],
      uniques: [{ name: 'uq_task_submission_task_unit', columnNames: ['task_id', 'unit_id'] }],
      foreignKeys: [
        fk('fk_task_submission_task', 'task_id', 'phase_task', 'CASCADE'),
        fk('fk_task_submission_unit', 'unit_id', 'unit', 'RESTRICT'),
        fk('fk_task_submission_person', 'submitted_by_id', 'person', 'SET NULL'),
      ],
    },
    {
      name: 'problem_category',
      columns: [id(), int('campaign_id'), int('number'), varchar('label', 10), varchar('name', 50), text('description')],
      uniques: [{ name: 'uq_problem_category_number', columnNames: ['campaign_id', 'number'] }],
      foreignKeys: [fk('fk_problem_category_campaign', 'campaign_id', 'campaign', 'CASCADE')],
    },
    {
      name: 'ledger_item',
      columns: [
        id(),
        int('campaign_id'),
        int('unit_id'),
        int('category_id'),
        text('problem'),
        text('measures'),
        text('target'),
        date('due_date'),
        date('original_due_date'),
        varchar('responsible_department', 100, { nullable: true }),
        int('responsible_leader_id', { nullable: true }),
        int('responsible_person_id', { nullable: true }),
        varchar('status', 16, { default: 'open' }),
        int('progress', { default: 0 }),
        flag('is_public', false),
        flag('is_typical_case', false),
        instant('rectified_at', { nullable: true }),
        instant('closed_at', { nullable: true }),
        createdAt(),
        updatedAt(),
      ],
      indices: [
        { name: 'idx_ledger_item_status_due', columnNames: ['status', 'due_date'] },
        { name: 'idx_ledger_item_unit_status', columnNames: ['unit_id', 'status'] },
        { name: 'idx_ledger_item_person', columnNames: ['responsible_person_id'] },
        { name: 'idx_ledger_item_leader', columnNames: ['responsible_leader_id'] },
      ],
      foreignKeys: [
        fk('fk_ledger_item_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        fk('fk_ledger_item_unit', 'unit_id', 'unit', 'RESTRICT'),
        fk('fk_ledger_item_category', 'category_id', 'problem_category', 'RESTRICT'),
        fk('fk_ledger_item_leader', 'responsible_leader_id', 'person', 'SET NULL'),
        fk('fk_ledger_item_person', 'responsible_person_id', 'person', 'SET NULL'),
      ],
    },
    {
      name: 'progress_update',
      columns: [
        id(),
        int('ledger_item_id'),
        int('person_id', { nullable: true }),
        varchar('kind', 16),
        varchar('old_status', 16, { nullable: true }),
        varchar('new_status', 16),
        int('old_progress', { nullable: true }),
        int('new_progress'),
        text('note'),
        createdAt(),
      ],
      indices: [{ name: 'idx_progress_update_item_created', columnNames: ['ledger_item_id', 'created_at'] }],
      foreignKeys: [
        fk('fk_progress_update_item', 'ledger_item_id', 'ledger_item', 'CASCADE'),
        fk('fk_progress_update_person', 'person_id', 'person', 'SET NULL'),
      ],
    },
    {
      name: 'extension_request',
      columns: [
        id(),
        int('ledger_item_id'),
        int('requested_by_id'),
        date('old_due_date'),
        date('new_due_date'),
        text('reason'),
        varchar('status', 16, { default: 'pending' }),
        int('decided_by_id', { nullable: true }),
        instant('decided_at', { nullable: true }),
        text('decision_note', { nullable: true }),
        createdAt(),
      ],
      indices: [
        { name: 'idx_extension_request_status', columnNames: ['status'] },
        { name: 'idx_extension_request_item', columnNames: ['ledger_item_id'] },
      ],
      foreignKeys: [
        fk('fk_extension_request_item', 'ledger_item_id', 'ledger_item', 'CASCADE'),
        fk('fk_extension_request_requester', 'requested_by_id', 'person', 'RESTRICT'),
        fk('fk_extension_request_decider', 'decided_by_id', 'person', 'SET NULL'),
      ],
    },
    {
      name: 'monthly_report',
      columns: [
        id(),
        int('campaign_id'),
        int('unit_id'),
        varchar('month', 7),
        text('content'),
        int('submitted_by_id', { nullable: true }),
        instant('submitted_at'),
        int('revision', { default: 1 }),
        createdAt(),
        updatedAt(),
      ],
      uniques: [{ name: 'uq_monthly_report_unit_month', columnNames: ['campaign_id', 'unit_id', 'month'] }],
      indices: [{ name: 'idx_monthly_report_month', columnNames: ['campaign_id', 'month'] }],
      foreignKeys: [
        fk('fk_monthly_report_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        fk('fk_monthly_report_unit', 'unit_id', 'unit', 'RESTRICT'),
        fk('fk_monthly_report_person', 'submitted_by_id', 'person', 'SET NULL'),
      ],
    },
    {
      name: 'inspection',
      columns: [
        id(),
        int('campaign_id'),
        int('unit_id'),
        int('inspector_id', { nullable: true }),
        varchar('method', 32),
        date('inspected_on'),
        text('findings'),
        int('ledger_item_id', { nullable: true }),
        flag('is_typical_case', false),
        createdAt(),
      ],
      indices: [{ name: 'idx_inspection_unit', columnNames: ['unit_id'] }],
      foreignKeys: [
        fk('fk_inspection_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        fk('fk_inspection_unit', 'unit_id', 'unit', 'RESTRICT'),
        fk('fk_inspection_inspector', 'inspector_id', 'person', 'SET NULL'),
        fk('fk_inspection_item', 'ledger_item_id', 'ledger_item', 'SET NULL'),
      ],
    },
    {
      name: 'meeting',
      columns: [
        id(),
        int('campaign_id'),
        varchar('title', 200),
        instant('starts_at'),
        varchar('place', 200),
        int('convener_id', { nullable: true }),
        varchar('status', 16, { default: 'scheduled' }),
        text('minutes', { nullable: true }),
        createdAt(),
        updatedAt(),
      ],
      indices: [{ name: 'idx_meeting_status_starts', columnNames: ['status', 'starts_at'] }],
      foreignKeys: [
        fk('fk_meeting_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        fk('fk_meeting_convener', 'convener_id', 'person', 'SET NULL'),
      ],
    },
    {
      name: 'agenda_item',
      columns: [
        id(),
        int('meeting_id'),
        int('seq'),
        text('topic'),
        text('decision', { nullable: true }),
        int('ledger_item_id', { nullable: true }),
      ],
      uniques: [{ name: 'uq_agenda_item_seq', columnNames: ['meeting_id', 'seq'] }],
      foreignKeys: [
        fk('fk_agenda_item_meeting', 'meeting_id', 'meeting', 'CASCADE'),
        fk('fk_agenda_item_ledger_item', 'ledger_item_id', 'ledger_item', 'SET NULL'),
      ],
    },
    {
      name: 'attendance',
      columns: [
        id(),
        int('meeting_id'),
        int('person_id'),
        varchar('response', 16, { default: 'pending' }),
        text('reason', { nullable: true }),
        instant('responded_at', { nullable: true }),
      ],
      uniques: [{ name: 'uq_attendance_meeting_person', columnNames: ['meeting_id', 'person_id'] }],
      foreignKeys: [
        fk('fk_attendance_meeting', 'meeting_id', 'meeting', 'CASCADE'),
        fk('fk_attendance_person', 'person_id', 'person', 'CASCADE'),
      ],
    },
    {
      name: 'circular',
      columns: [
        id(),
        int('campaign_id'),
        varchar('kind', 16),
        varchar('title', 200),
        text('body'),
        text('audience'),
        int('sent_by_id', { nullable: true }),
        varchar('status', 16, { default: 'draft' }),
        instant('sent_at', { nullable: true }),
        instant('recalled_at', { nullable: true }),
        createdAt(),
      ],
      foreignKeys: [
        fk('fk_circular_campaign', 'campaign_id', 'campaign', 'CASCADE'),
        fk('fk_circular_sender', 'sent_by_id', 'person', 'SET NULL'),
      ],
    },
    {
      name: 'outbox_message',
      columns: [
        id(),
        varchar('dedupe_key', 191),
        varchar('channel', 16),
        text('recipients'),
        varchar('msg_type', 32),
        text('payload'),
        varchar('status', 16, { default: 'pending' }),
        flag('urgent', false),
        int('attempts', { default: 0 }),
        instant('next_attempt_at'),
        instant('claimed_at', { nullable: true }),
        varchar('claimed_by', 100, { nullable: true }),
        text('last_error', { nullable: true }),
        varchar('wecom_msgid', 128, { nullable: true }),
        instant('sent_at', { nullable: true }),
        createdAt(),
      ],
      uniques: [{ name: 'uq_outbox_message_dedupe_key', columnNames: ['dedupe_key'] }],
      indices: [{ name: 'idx_outbox_message_status_next', columnNames: ['status', 'next_attempt_at'] }],
    },
    {
      name: 'circular_receipt',
      columns: [
        id(),
        int('circular_id'),
        int('person_id'),
        int('unit_id', { nullable: true }),
        int('outbox_message_id', { nullable: true }),
        instant('acknowledged_at', { nullable: true }),
        instant('reminded_at', { nullable: true }),
      ],
      uniques: [{ name: 'uq_circular_receipt_person', columnNames: ['circular_id', 'person_id'] }],
      foreignKeys: [
        fk('fk_circular_receipt_circular', 'circular_id', 'circular', 'CASCADE'),
        fk('fk_circular_receipt_person', 'person_id', 'person', 'CASCADE'),
        fk('fk_circular_receipt_unit', 'unit_id', 'unit', 'SET NULL'),
        fk('fk_circular_receipt_outbox', 'outbox_message_id', 'outbox_message', 'SET NULL'),
      ],
    },
    {
      name: 'inbound_message',
      columns: [
        id(),
        varchar('dedupe_key', 191),
        varchar('msg_id', 32, { nullable: true }),
        varchar('from_user', 64),
        varchar('msg_type', 32),
        varchar('event', 64, { nullable: true }),
        text('content', { nullable: true }),
        varchar('status', 16, { default: 'received' }),
        text('error', { nullable: true }),
        instant('received_at'),
        instant('processed_at', { nullable: true }),
      ],
      uniques: [{ name: 'uq_inbound_message_dedupe_key', columnNames: ['dedupe_key'] }],
      indices: [{ name: 'idx_inbound_message_from_received', columnNames: ['from_user', 'received_at'] }],
    },
  ]
}
