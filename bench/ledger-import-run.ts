/**
 * One side of bench/ledger-import.ts, run as its own process so that its time and peak memory
 * are its own, as the command line's would be:
 *
 *   tsx bench/ledger-import-run.ts import <file> <campaign id>   (DATABASE_URL set)
 *   tsx bench/ledger-import-run.ts read <file>                    exceljs's streaming reader alone
 *
 * Prints one JSON line: seconds, peak RSS in MB, and the import's counts.
 */
import { performance } from 'node:perf_hooks'
import ExcelJS from 'exceljs'
import { loadConfig } from '../src/config/load-config.js'
import { createDataSource } from '../src/db/create-data-source.js'
import { importLedger } from '../src/domain/spreadsheets/import-ledger.js'

const [mode, path, campaign] = process.argv.slice(2)
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024)

if (mode === 'read') {
  const start = performance.now()
  let rows = 0
  // The floor: exceljs's own streaming reader, every row of every sheet, nothing kept.
  for await (const sheet of new ExcelJS.stream.xlsx.WorkbookReader(path!, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit' })) {
    for await (const _row of sheet) rows += 1
  }
  console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000, peakMb: peakMb(), rows }))
} else {
  const dataSource = await createDataSource(loadConfig(process.env).database)
  await dataSource.initialize()
  const start = performance.now()
  const result = await importLedger(dataSource, path!, { campaignId: Number(campaign) })
  const seconds = (performance.now() - start) / 1000
  await dataSource.destroy()
  console.log(JSON.stringify({ seconds, peakMb: peakMb(), created: result.created, updated: result.updated, unchanged: result.unchanged, problems: result.problems.length }))
}
