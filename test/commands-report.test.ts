import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { MonthlyReportRevisionSchema, MonthlyReportSchema, ProgressUpdateSchema } from '../src/db/entities/index.js'
import { chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T02:00:00Z')

describe(`月报 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let chat: ReturnType<typeof chatAs>
  let fixture: Awaited<ReturnType<typeof seedLedger>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    chat = chatAs(ds, NOW)
    // A progress update made in August 2015 (the test's clock), whatever the machine's clock says.
    const update = await ds.getRepository(ProgressUpdateSchema).save({ ledgerItemId: fixture.items.overdue, personId: null, kind: 'progress', newStatus: 'in_progress', newProgress: 40, note: '推进' })
    await ds.getRepository(ProgressUpdateSchema).update({ id: update.id }, { createdAt: new Date('2015-08-20T02:00:00Z') })
  })
  afterAll(async () => {
    await db?.close()
  })

  it('shows that this month’s report is missing, with a draft from the ledger', async () => {
    const { text } = await chat('chenjing', '月报')
    expect(text.split('\n')).toEqual([
      '**城关镇8月月报：未提交**（8月31日前报送）',
      '本月台账情况（可作草稿）：',
      '> 本月新登记问题 0 个，反馈整改进展 1 次，报告整改完成 0 个，经核实销号 0 个；目前未开始 0 个、整改中 2 个，其中逾期 1 个，已整改待销号 0 个。',
      '提交：月报 内容',
    ])
  })

  it('submits, and a resubmission replaces the content and keeps every version', async () => {
    expect((await chat('chenjing', '月报 本月召开推进会1次，查摆问题2个，正在整改。')).text).toBe(
      '已提交城关镇8月月报，报县委组织部（干部监督科）。月底前可重新提交，新内容替换原内容，历次内容均保留。',
    )
    expect((await chat('zhangwei', '月报 本月召开推进会2次，查摆问题2个，1个已完成整改。')).text).toBe('已重新提交城关镇8月月报（第 2 版），替换了陈静 10:00 提交的第 1 版，历次内容均保留。')
    const report = await ds.getRepository(MonthlyReportSchema).findOneByOrFail({ unitId: fixture.chengguan, month: '2015-08' })
    expect(report).toMatchObject({ revision: 2, content: '本月召开推进会2次，查摆问题2个，1个已完成整改。' })
    const versions = await ds.getRepository(MonthlyReportRevisionSchema).find({ where: { reportId: report.id }, order: { revision: 'ASC' } })
    expect(versions.map((v) => v.content)).toEqual(['本月召开推进会1次，查摆问题2个，正在整改。', '本月召开推进会2次，查摆问题2个，1个已完成整改。'])
    expect((await chat('chenjing', '月报')).text).toMatch(/^\*\*城关镇8月月报：已提交\*\*（第 2 版，08\/31 10:00，张伟）/)
  })

  it('is for unit heads and liaisons only, and asks for real content', async () => {
    expect((await chat('zhaolei', '月报')).text).toContain('「月报」只有第一责任人、联络员、组织部（干部监督科）可以使用')
    expect((await chat('sunli', '月报 好')).text).toContain('月报内容太短')
  })
})
