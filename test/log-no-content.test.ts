import { Writable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { EntityNotFoundError, type DataSource } from 'typeorm'
import { describeError, toSafeDatabaseMessage, toStatementName } from '../src/describe-error.js'
import { PersonSchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { createLogger } from '../src/logger.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { openPassiveReply, post, sign, textXml } from './helpers/wecom-callback-client.js'

/** A note with what a JSON line escapes (quotes, a backslash) and what it keeps (Chinese). */
const NOTE = '已约谈"承办人"并退回\\重办，材料见共享盘 note-7f3a'

/** The codes of a duplicate key, and the statement that fails: the second identical note's history row. */
const DUPLICATE = dialect === 'mysql' ? { code: 'ER_DUP_ENTRY', errno: 1062 } : { code: 'SQLITE_CONSTRAINT_UNIQUE' }
const STATEMENT = 'INSERT progress_update'

/**
 * No message content in a log line, even when a command fails on the database (docs/logging.md):
 * the failed statement carries the typed note in its parameters, in the driver's copy of the
 * statement and, on MariaDB, in the duplicate-key message itself.
 */
describe(`no typed text in the logs of a failed statement on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let url: string
  let item: number
  const lines: string[] = []
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    }),
  )

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    item = (await seedLedger(ds)).items.overdue
    // Two history rows with one note cannot both be stored: the second 进度 fails on its insert.
    await ds.query(dialect === 'mysql' ? 'CREATE UNIQUE INDEX uq_test_note ON progress_update (note(100))' : 'CREATE UNIQUE INDEX uq_test_note ON progress_update (note)')
    rig = await startCallbackRig(ds, { logger })
    url = rig.url
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })
  beforeEach(() => {
    lines.length = 0
  })

  const send = async (content: string) => openPassiveReply(await (await post(url, sign(textXml('zhaolei', content)))).text()).content
  const escaped = JSON.stringify(NOTE).slice(1, -1)

  it('logs the code and the statement of a command that failed on a duplicate key, never the note', async () => {
    expect(await send(`进度 ${item} 50% ${NOTE}`)).toContain('已记录')
    expect(await send(`进度 ${item} 60% ${NOTE}`)).not.toContain('已记录')
    const all = lines.join('')
    expect(all).not.toContain(escaped)
    expect(all).not.toContain('note-7f3a')
    const failed = lines.map((line) => JSON.parse(line) as { msg: string; err?: Record<string, unknown> }).find((line) => line.msg === 'command failed')
    expect(failed?.err).toMatchObject({ type: 'QueryFailedError', ...DUPLICATE, statement: STATEMENT })
    expect(failed?.err).not.toHaveProperty('parameters')
    expect(failed?.err).not.toHaveProperty('sql')
    expect(String(failed?.err?.stack)).toContain(`QueryFailedError: ${DUPLICATE.code}`)
    // One of the two was stored, the other not.
    expect(await ds.getRepository(ProgressUpdateSchema).countBy({ note: NOTE })).toBe(1)
  })

  it('keeps a failed statement’s values out of an error that wraps it, its message and its stack', async () => {
    const failure = await ds
      .getRepository(ProgressUpdateSchema)
      .insert({ ledgerItemId: item, personId: (await ds.getRepository(PersonSchema).findOneByOrFail({ userid: 'zhaolei' })).id, kind: 'progress', oldStatus: 'in_progress', newStatus: 'in_progress', oldProgress: 50, newProgress: 50, note: NOTE })
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      )
    expect(failure).toBeInstanceOf(Error)
    logger.error({ err: new Error(`saving the note failed: ${failure!.message}`, { cause: failure }) }, 'wrapped')
    logger.error({ err: new AggregateError([failure], 'several failed') }, 'aggregated')
    logger.error(failure, 'on its own')
    logger.error({ error: failure }, 'under error')
    logger.error({ err: new EntityNotFoundError(ProgressUpdateSchema, { note: NOTE }) }, 'not found')
    expect(lines.join('')).not.toContain(escaped)
    expect(lines.join('')).not.toContain('note-7f3a')
    const [wrapped, aggregated, alone, underError, notFound] = lines.map((line) => JSON.parse(line) as { err: { message: string; stack: string; aggregateErrors?: unknown[] }; error?: unknown })
    expect(alone!.err).toMatchObject({ ...DUPLICATE, statement: STATEMENT })
    expect(underError!.error).toMatchObject({ ...DUPLICATE, statement: STATEMENT })
    expect(notFound!.err.message).toBe('Could not find any entity of type "ProgressUpdate"')
    expect(wrapped!.err.message).toContain(DUPLICATE.code)
    expect(wrapped!.err.stack).toContain(`caused by: QueryFailedError: ${DUPLICATE.code}`)
    expect(wrapped!.err.message).toContain(STATEMENT)
    expect(aggregated!.err.aggregateErrors).toEqual([expect.objectContaining({ ...DUPLICATE, statement: STATEMENT })])
  })

  it('describes a failed statement in one line for an error column: code, statement, no value', async () => {
    const insert = 'INSERT INTO progress_update (ledger_item_id, kind, old_status, new_status, old_progress, new_progress, note) VALUES (?, ?, ?, ?, ?, ?, ?)'
    const failure = await ds.query(insert, [item, 'progress', 'in_progress', 'in_progress', 50, 50, NOTE]).then(
      () => undefined,
      (error: unknown) => error,
    )
    const described = describeError(failure)
    expect(described).toContain(DUPLICATE.code)
    expect(described).toContain(`in ${STATEMENT}`)
    expect(described).not.toContain('note-7f3a')
    if (dialect === 'mysql') expect(described).toBe(`ER_DUP_ENTRY (1062) in ${STATEMENT}: Duplicate entry '…' for key 'uq_test_note'`)
    else expect(described).toBe(`SQLITE_CONSTRAINT_UNIQUE in ${STATEMENT}: SqliteError: UNIQUE constraint failed: progress_update.note`)
  })

  it('names a statement by its keyword and table, and keeps only names from a driver’s message', () => {
    expect(toStatementName('UPDATE `ledger_item` SET `status` = ? WHERE `id` = ?')).toBe('UPDATE ledger_item')
    expect(toStatementName('SELECT `Item`.`id` AS `Item_id` FROM `ledger_item` `Item` WHERE `Item`.`id` = ?')).toBe('SELECT ledger_item')
    expect(toStatementName('DELETE FROM "outbox_message" WHERE "id" IN (?)')).toBe('DELETE outbox_message')
    expect(toStatementName('SAVEPOINT typeorm_1')).toBe('SAVEPOINT')
    expect(toSafeDatabaseMessage("Duplicate entry 'it's \"x\"' for key 'uq_x'")).toBe("Duplicate entry '…' for key 'uq_x'")
    expect(toSafeDatabaseMessage("Incorrect string value: '\\xE7\\xA7' for column `db`.`t`.`note` at row 1")).toBe("Incorrect string value: '…' for column `db`.`t`.`note` at row 1")
    expect(toSafeDatabaseMessage("Column 'note' cannot be null")).toBe("Column 'note' cannot be null")
    // Anything else is cut at its first quote: a syntax error quotes the statement, a long message may end inside a value.
    expect(toSafeDatabaseMessage("You have an error in your SQL syntax; … near 'secret' at line 1")).toBe("You have an error in your SQL syntax; … near '…")
    expect(toSafeDatabaseMessage("Duplicate entry 'cut short")).toBe("Duplicate entry '…")
  })
})
