import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDataSource } from '../src/db/create-data-source.js'
import { entities } from '../src/db/entities/index.js'
import { migrations } from '../migrations/index.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { createTestDatabase, dialect, type TestDatabase } from './helpers/test-database.js'

const TABLES = [
  'accountability',
  'agenda_item',
  'attendance',
  'campaign',
  'campaign_unit',
  'card_state',
  'circular',
  'circular_link',
  'circular_receipt',
  'evidence',
  'evidence_window',
  'extension_request',
  'inbound_message',
  'inspection',
  'item_reminder',
  'ledger_item',
  'list_page',
  'meeting',
  'monthly_report',
  'monthly_report_revision',
  'outbox_message',
  'person',
  'person_leave',
  'person_question',
  'person_seen',
  'phase',
  'phase_task',
  'problem_category',
  'progress_update',
  'public_report',
  'public_report_reporter',
  'reminder_record',
  'reminder_sent',
  'role_assignment',
  'send_budget',
  'send_slot',
  'stored_file',
  'stored_file_chunk',
  'task_submission',
  'unit',
]

async function tableNames(dataSource: DataSource): Promise<string[]> {
  const rows: { name: string }[] =
    dialect === 'mysql'
      ? await dataSource.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')
      : await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
  return rows.map((r) => r.name).filter((name) => name !== 'migrations').sort()
}

describe(`migrations on ${dialect}`, () => {
  let database: TestDatabase
  let dataSource: DataSource

  beforeAll(async () => {
    database = await createTestDatabase()
    dataSource = await createDataSource(database.target)
    await dataSource.initialize()
  })
  afterAll(async () => {
    await dataSource?.destroy()
    await database?.drop()
  })

  it('creates every table of the vocabulary', async () => {
    expect(await tableNames(dataSource)).toEqual([])
    await dataSource.runMigrations({ transaction: 'each' })
    expect(await tableNames(dataSource)).toEqual(TABLES)
    expect(entities.map((e) => e.options.tableName).sort()).toEqual(TABLES)
  })

  it('builds exactly the schema the entities describe (nothing left for TypeORM to change)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log()
    expect(pending.upQueries.map((q) => q.query)).toEqual([])
  })

  it.runIf(dialect === 'mysql')('makes every table and text column utf8mb4 even in a latin1 database', async () => {
    const tables: { name: string; collation: string }[] = await dataSource.query(
      'SELECT table_name AS name, table_collation AS collation FROM information_schema.tables WHERE table_schema = DATABASE()',
    )
    for (const table of tables.filter((t) => t.name !== 'migrations')) expect(table.collation, table.name).toBe('utf8mb4_unicode_ci')
    const columns: { charset: string | null }[] = await dataSource.query(
      "SELECT character_set_name AS charset FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name <> 'migrations' AND data_type IN ('varchar', 'text')",
    )
    expect(columns.length).toBeGreaterThan(50)
    expect(new Set(columns.map((c) => c.charset))).toEqual(new Set(['utf8mb4']))
  })

  it('reverts every migration, one at a time, to an empty database and migrates up again', async () => {
    for (let i = 0; i < dataSource.migrations.length; i += 1) await dataSource.undoLastMigration({ transaction: 'each' })
    expect(await tableNames(dataSource)).toEqual([])
    await dataSource.runMigrations({ transaction: 'each' })
    expect(await tableNames(dataSource)).toEqual(TABLES)
    expect(await dataSource.showMigrations()).toBe(false)
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([])
  })

  it('carries the item stages already sent from reminder_sent to item_reminder, and back on revert', async () => {
    const stagesOf = async (subject: string) =>
      ((await dataSource.query('SELECT stage FROM reminder_sent WHERE subject = ? ORDER BY stage', [subject])) as { stage: string }[]).map((r) => r.stage)
    // Back to just before item_reminder (the migrations after it undone first).
    const undo = async () => {
      for (let i = migrations.findIndex((m) => m.name === 'ItemReminder1764752400000'); i < migrations.length; i++) await dataSource.undoLastMigration({ transaction: 'each' })
    }
    // The items are written with today's entities, so before going back.
    const { items } = await seedLedger(dataSource)
    await undo()
    const sent = [
      [`item:${items.overdue}`, 'overdue-1'],
      [`item:${items.overdue}`, 'escalate-3'],
      [`item:${items.soon}`, 'due-3'],
      ['item:999999', 'overdue-1'],
      ['task:1:unit:1', 'due-7'],
    ]
    for (const [subject, stage] of sent) await dataSource.query('INSERT INTO reminder_sent (subject, stage, sent_on) VALUES (?, ?, ?)', [subject, stage, '2015-09-01'])
    await dataSource.runMigrations({ transaction: 'each' })
    const reached = (await dataSource.query('SELECT ledger_item_id, stage, sent_on FROM item_reminder ORDER BY ledger_item_id')) as { ledger_item_id: number; stage: number; sent_on: string }[]
    // The furthest stage of each item that still exists; the item that is gone is dropped.
    expect(reached.map((r) => [Number(r.ledger_item_id), Number(r.stage), String(r.sent_on).slice(0, 10)])).toEqual([
      [items.overdue, 3, '2015-09-01'],
      [items.soon, -3, '2015-09-01'],
    ])
    expect(((await dataSource.query('SELECT subject FROM reminder_sent')) as { subject: string }[]).map((r) => r.subject)).toEqual(['task:1:unit:1'])

    await undo()
    expect(await stagesOf(`item:${items.overdue}`)).toEqual(expect.arrayContaining(['overdue-1', 'escalate-3']))
    expect(await stagesOf(`item:${items.overdue}`)).not.toContain('escalate-7')
    expect(await stagesOf(`item:${items.soon}`)).toEqual(['due-3'])
    await dataSource.runMigrations({ transaction: 'each' })
  })

  it('reverts only the stages counted from an item’s current due date (not those of the date before an extension)', async () => {
    const stagesOf = async (subject: string) => ((await dataSource.query('SELECT stage FROM reminder_sent WHERE subject = ?', [subject])) as unknown[]).length
    const [item] = (await dataSource.query('SELECT id, due_date FROM ledger_item ORDER BY id')) as { id: number; due_date: string }[]
    await dataSource.query('DELETE FROM item_reminder')
    // Stage 3 reached for 25 August; the item was then extended to 15 September.
    await dataSource.query('INSERT INTO item_reminder (ledger_item_id, due_date, stage, sent_on) VALUES (?, ?, ?, ?)', [item!.id, '2015-08-25', 3, '2015-08-31'])
    await dataSource.query('UPDATE ledger_item SET due_date = ? WHERE id = ?', ['2015-09-15', item!.id])
    await dataSource.query('DELETE FROM reminder_sent')
    for (let i = migrations.findIndex((m) => m.name === 'ItemReminder1764752400000'); i < migrations.length; i++) await dataSource.undoLastMigration({ transaction: 'each' })
    expect(await stagesOf(`item:${item!.id}`)).toBe(0)
    await dataSource.runMigrations({ transaction: 'each' })
  })

  it('gives the outbox rows written before subjects the subject their key names, once', async () => {
    const people = (await dataSource.query('SELECT id, userid FROM person ORDER BY id')) as { id: number; userid: string }[]
    const [a, b] = people.map((p) => ({ id: Number(p.id), userid: p.userid }))
    for (let i = migrations.findIndex((m) => m.name === 'OutboxSubject1765270800000'); i < migrations.length; i++) await dataSource.undoLastMigration({ transaction: 'each' })
    const to = (...users: string[]) => JSON.stringify({ touser: users, toparty: [], totag: [] })
    const insert = async (key: string, recipients: string, channel = 'app') => {
      await dataSource.query(
        'INSERT INTO outbox_message (dedupe_key, channel, recipients, msg_type, payload, status, urgent, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [key, channel, recipients, 'markdown', '{}', 'sent', 0, 0, dialect === 'mysql' ? '2015-09-01 08:00:00.000000' : '2015-09-01 08:00:00.000'],
      )
      return Number(((await dataSource.query('SELECT id FROM outbox_message WHERE dedupe_key = ?', [key])) as { id: number }[])[0]!.id)
    }
    await dataSource.query('DELETE FROM send_slot')
    await dataSource.query('UPDATE circular_receipt SET outbox_message_id = NULL')
    await dataSource.query('DELETE FROM outbox_message')
    const copy = await insert(`circular:1:p:${a!.id}`, to(a!.userid))
    await insert(`circular:1:p:${a!.id}#2`, to(a!.userid))
    await insert(`circular:12:p:${b!.id}`, to(b!.userid))
    await insert('circular:1:robot:lianxi', JSON.stringify({ robot: 'lianxi' }), 'webhook')
    await insert(`circular-remind:12:p:${b!.id}`, to(b!.userid))
    await insert(`circular-recall:1:${copy}:0`, JSON.stringify({ msgid: 'm1' }), 'recall')
    await insert(`circular-recalled:1:${a!.id}`, to(a!.userid))
    await insert('meeting:3:notice', to(a!.userid, b!.userid))
    await insert(`meeting:3:notice:${b!.id}`, to(b!.userid))
    await insert('meeting:3:changed:1', to(a!.userid, b!.userid))
    await insert('meeting:3:2015-09-02T07:00:00.000Z:day-before', to(a!.userid))
    await insert('meeting:3:2015-09-02T07:00:00.000Z:two-hours:unanswered', to(a!.userid, b!.userid))
    await insert('meeting:3:cancelled', to(a!.userid, b!.userid))
    await insert('registered:5', to(a!.userid, b!.userid))
    await insert('close:5:3', to(a!.userid))
    await insert('extension-approved:7', to(a!.userid, b!.userid))
    await insert(`digest:${a!.userid}:2015-09-01:1f3a`, to(a!.userid))
    await insert('summary:2015-09-01', to(a!.userid))
    await insert('summary:2015-09-01#2', to(b!.userid))
    await insert('monthly-workbook:1:2015-09:file', to(a!.userid, b!.userid))
    await insert('reply:42', to(b!.userid.toUpperCase()))
    await insert(`greeting:${a!.userid}:2015-09-01`, to(a!.userid))
    await insert('alert:dead:1,2', to(a!.userid))
    await insert('overdue:12:2015-09-01:1', to(a!.userid))
    await dataSource.runMigrations({ transaction: 'each' })
    const rows = (await dataSource.query('SELECT dedupe_key, subject_kind, subject_id, person_id FROM outbox_message ORDER BY id')) as { dedupe_key: string; subject_kind: string; subject_id: number | null; person_id: number | null }[]
    const n = (v: number | null) => (v === null ? null : Number(v))
    expect(Object.fromEntries(rows.map((r) => [r.dedupe_key, [r.subject_kind, n(r.subject_id), n(r.person_id)]]))).toEqual({
      [`circular:1:p:${a!.id}`]: ['circular', 1, a!.id],
      [`circular:1:p:${a!.id}#2`]: ['circular', 1, a!.id],
      [`circular:12:p:${b!.id}`]: ['circular', 12, b!.id],
      'circular:1:robot:lianxi': ['circular', 1, null],
      [`circular-remind:12:p:${b!.id}`]: ['circular_reminder', 12, b!.id],
      [`circular-recall:1:${copy}:0`]: ['circular_recall', 1, a!.id],
      [`circular-recalled:1:${a!.id}`]: ['circular_recall', 1, a!.id],
      'meeting:3:notice': ['meeting', 3, null],
      [`meeting:3:notice:${b!.id}`]: ['meeting', 3, b!.id],
      'meeting:3:changed:1': ['meeting_change', 3, null],
      'meeting:3:2015-09-02T07:00:00.000Z:day-before': ['meeting_reminder', 3, a!.id],
      'meeting:3:2015-09-02T07:00:00.000Z:two-hours:unanswered': ['meeting_reminder', 3, null],
      'meeting:3:cancelled': ['meeting', 3, null],
      'registered:5': ['item', 5, null],
      'close:5:3': ['item', 5, a!.id],
      'extension-approved:7': ['extension', 7, null],
      [`digest:${a!.userid}:2015-09-01:1f3a`]: ['digest', null, a!.id],
      // One message to two people (one of them on the WeChat plugin): no one person.
      'summary:2015-09-01': ['digest', null, null],
      'summary:2015-09-01#2': ['digest', null, null],
      'monthly-workbook:1:2015-09:file': ['monthly_report', 1, null],
      'reply:42': ['reply', 42, b!.id],
      [`greeting:${a!.userid}:2015-09-01`]: ['reply', null, a!.id],
      'alert:dead:1,2': ['alert', null, a!.id],
      'overdue:12:2015-09-01:1': ['other', null, null],
    })
    // Columns and index exactly as the entity describes them.
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([])
  })
})
