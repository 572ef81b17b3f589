import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ROOT } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// SQLite only: one connection per process shared by every flow (TypeORM's better-sqlite3 driver).
describe.skipIf(dialect !== 'sqlite')('SQLite transactions in one process and across processes', () => {
  let db: MigratedDatabase
  const keys = async () => ((await db.dataSource.query('SELECT k FROM probe ORDER BY k')) as { k: string }[]).map((r) => r.k)

  beforeAll(async () => {
    db = await createMigratedDatabase()
    await db.dataSource.query('CREATE TABLE probe (k TEXT PRIMARY KEY)')
  })
  beforeEach(async () => {
    await db.dataSource.query('DELETE FROM probe')
  })
  afterAll(async () => {
    await db?.close()
  })

  it('runs in WAL mode with a busy timeout', async () => {
    expect(await db.dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }])
    expect(await db.dataSource.query('PRAGMA busy_timeout')).toEqual([{ timeout: 500 }])
  })

  it('keeps a committed transaction when an overlapping one rolls back afterwards', async () => {
    const first = db.dataSource.transaction(async (m) => {
      await m.query("INSERT INTO probe (k) VALUES ('first')")
      await sleep(30)
    })
    const second = db.dataSource.transaction(async (m) => {
      await sleep(10)
      await m.query("INSERT INTO probe (k) VALUES ('second')")
      await sleep(60)
      throw new Error('the second flow fails')
    })
    await first // acknowledged: the first flow was told its write is committed
    await expect(second).rejects.toThrow('the second flow fails')
    expect(await keys()).toEqual(['first'])
  })

  it('does not let a plain statement of another flow roll back with a failing transaction', async () => {
    const failing = db.dataSource.transaction(async (m) => {
      await m.query("INSERT INTO probe (k) VALUES ('failing')")
      await sleep(40)
      throw new Error('the command fails')
    })
    await sleep(10)
    // e.g. the delivery worker recording a message as sent while a command is running
    await db.dataSource.query("INSERT INTO probe (k) VALUES ('plain')")
    await expect(failing).rejects.toThrow('the command fails')
    expect(await keys()).toEqual(['plain'])
  })

  it('lets a transaction read and then write while another process writes the same file', async () => {
    const other = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1], { timeout: 5000 })
         process.stdout.write('open\\n')
         process.stdin.once('data', () => {
           db.prepare("INSERT INTO probe (k) VALUES ('other')").run()
           process.stdout.write('written\\n')
           db.close()
           process.exit(0)
         })`,
        db.target.kind === 'sqlite' ? db.target.path : '',
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    )
    try {
      let output = ''
      const printed = (word: string) =>
        new Promise<void>((resolve) => {
          const check = () => output.includes(word) && resolve()
          other.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString()
            check()
          })
          check()
        })
      await printed('open')
      await db.dataSource.transaction(async (m) => {
        await m.query('SELECT count(*) AS n FROM probe')
        other.stdin.write('go\n')
        // Without an IMMEDIATE transaction the other process writes now and ours cannot.
        await Promise.race([printed('written'), sleep(500)])
        await m.query("INSERT INTO probe (k) VALUES ('mine')")
      })
      const [code] = (await once(other, 'exit')) as [number]
      expect(code).toBe(0)
      expect(await keys()).toEqual(['mine', 'other'])
    } finally {
      other.kill('SIGKILL')
    }
  })
})
