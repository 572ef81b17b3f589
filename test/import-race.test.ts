import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { In, type DataSource } from 'typeorm'
import { LedgerItemSchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'
import { startCallbackRig, type Said } from './helpers/callback-rig.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-20T10:00:00+08:00')
const ROWS = 3000

/**
 * A ledger import runs for seconds while people go on chatting. It locks the items it updates
 * and reads them again inside its transaction, so its history rows start from what a 完成 made
 * meanwhile; a 登记 of a problem it is adding makes it stop with a Chinese answer, nothing written.
 */
describe(`a ledger import and chat at the same time, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  const dir = mkdtempSync(join(tmpdir(), 'import-race-'))
  const csv = (measures: string, rows = ROWS) => {
    const path = join(dir, `${measures}.csv`)
    const lines = ['单位,问题类别,问题描述,整改措施,整治目标,完成时限,责任领导,具体责任人']
    for (let i = 0; i < rows; i += 1) lines.push(`城关镇,(三),导入问题${i},${measures},按期完成,2015-09-30,李娜,赵磊`)
    writeFileSync(path, lines.join('\n'))
    return path
  }
  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedCircularAudience(ds)
    rig = await startCallbackRig(ds, { now: NOW })
    const first = await importLedger(ds, csv('措施一'), { now: NOW })
    expect(first.problems).toEqual([])
  }, 120_000)
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  it('the item ends as its last history row says', async () => {
    const last = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ problem: `导入问题${ROWS - 1}` })
    let done: Promise<Said> | undefined
    const result = await importLedger(ds, csv('措施二'), {
      now: NOW,
      onProgress: (n) => {
        if (n === 1) done = rig.say('zhaolei', `完成 ${last.id} 已整改到位`)
      },
    })
    const said = await done!
    expect(result.updated).toBe(ROWS)
    expect(said.answer).toMatch(/^已标记 #\d+ 整改完成/)
    const item = await ds.getRepository(LedgerItemSchema).findOneByOrFail({ id: last.id })
    const history = await ds.getRepository(ProgressUpdateSchema).find({ where: { ledgerItemId: last.id, kind: In(['rectified', 'edited']) }, order: { id: 'ASC' } })
    expect(item.status).toBe(history.at(-1)!.newStatus)
  }, 120_000)

  it('登记 of a problem the import is adding, at the same moment: the import stops with a Chinese answer, nothing written', async () => {
    const before = await ds.getRepository(LedgerItemSchema).count()
    let registered: Promise<Said> | undefined
    const run = importLedger(ds, csv('措施三', ROWS + 1), {
      now: NOW,
      onProgress: (n) => {
        if (n === 1) registered = rig.say('zhangwei', `登记\n类别：(三)\n问题：导入问题${ROWS}\n措施：某措施\n目标：某目标\n时限：9月30日\n责任领导：李娜\n责任人：赵磊`)
      },
    })
    const outcome = await run.then(
      (r) => ({ created: r.created, message: '' }),
      (e: Error) => ({ created: -1, message: e.message }),
    )
    const answer = (await registered!).answer
    if (outcome.created === -1) {
      expect(answer).toMatch(/^已登记 #\d+/)
      // The 登记 came first: the import says so and writes nothing (the registered item is the one new row).
      expect(outcome.message).toMatch(/^导入未完成：导入期间有人登记了表中的同一问题（导入问题3000），未导入任何内容。/)
      expect(await ds.getRepository(LedgerItemSchema).count()).toBe(before + 1)
    } else {
      // The import came first (SQLite: it holds the database until it commits): the 登记 was refused.
      expect(outcome.created).toBe(1)
      expect(answer).toMatch(/^未登记：该问题已登记过：#\d+/)
    }
  }, 120_000)
})
