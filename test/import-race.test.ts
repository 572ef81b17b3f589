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
 * and reads them again inside each batch's transaction, so its history rows start from what a 完成
 * made meanwhile; a problem it is adding that someone registers meanwhile is found again by the
 * batch that writes it and updated, never added twice.
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

  it('登记 of a problem the import is adding, at the same moment: one item, registered once, with the import’s text', async () => {
    let registered: Promise<Said> | undefined
    const run = importLedger(ds, csv('措施三', ROWS + 1), {
      now: NOW,
      batchRows: 500,
      onProgress: (n) => {
        if (n === 1) registered = rig.say('zhangwei', `登记\n类别：(三)\n问题：导入问题${ROWS}\n措施：某措施\n目标：某目标\n时限：9月30日\n责任领导：李娜\n责任人：赵磊`)
      },
    })
    const result = await run
    const answer = (await registered!).answer
    const copies = await ds.getRepository(LedgerItemSchema).findBy({ problem: `导入问题${ROWS}` })
    expect(copies).toHaveLength(1)
    // The import writes its rows a batch at a time, and chat gets in between.
    expect(copies[0]!.measures).toBe('措施三')
    if (/^已登记 #\d+/.test(answer)) {
      // The 登记 came before the batch with that row: the batch found the item and updated it.
      expect(result.created).toBe(0)
      expect(result.updatedIds).toContain(copies[0]!.id)
    } else {
      // The import's batch came first: the 登记 was refused.
      expect(answer).toMatch(/^未登记：该问题已登记过：#\d+/)
      expect(result.created).toBe(1)
    }
    expect(result.updated + result.created + result.unchanged).toBe(ROWS + 1)
  }, 120_000)
})
