/**
 * A process that records progress on one ledger item over and over through the production
 * code (recordProgress: read the item, update it, append its history row, in one transaction)
 * and prints `ack <n>` after each commit: what the person would be told. The fault tests kill it
 * and check that every acknowledged update is in the database. A failed update prints
 * `failed <n> <error>` and the loop goes on. Environment: the service's, plus FAULT_USERID
 * (the person), FAULT_ITEM (the item's id) and FAULT_FIRST (the first number).
 */
import { loadSender } from '../../../src/bot/load-sender.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { openDatabase } from '../../../src/db/open-database.js'
import { recordProgress } from '../../../src/domain/ledger/item-lifecycle.js'
import { createLogger } from '../../../src/logger.js'

const config = loadConfig(process.env)
const dataSource = await openDatabase(config.database, createLogger(config.logLevel))
const sender = await loadSender(dataSource, String(process.env.FAULT_USERID))
if (!sender) throw new Error(`no person ${process.env.FAULT_USERID}`)
const item = Number(process.env.FAULT_ITEM)
process.stdout.write('progress writer ready\n')
for (let n = Number(process.env.FAULT_FIRST ?? 1); ; n += 1) {
  try {
    await recordProgress(dataSource, sender, item, 1 + (n % 99), `故障测试进度 ${n}`)
    process.stdout.write(`ack ${n}\n`)
  } catch (error) {
    process.stdout.write(`failed ${n} ${String((error as Error).message).replace(/\s+/g, ' ')}\n`)
  }
}
