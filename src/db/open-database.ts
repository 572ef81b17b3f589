import type { DataSource } from 'typeorm'
import { StartupError } from '../errors.js'
import type { Logger } from '../logger.js'
import { createDataSource } from './create-data-source.js'
import { describeDatabase, type DatabaseTarget } from '../config/database-url.js'

/**
 * Connects and brings the schema up to date (pending migrations run at start-up, each in its
 * own transaction). Every failure becomes a StartupError naming the database and the fix.
 */
export async function openDatabase(target: DatabaseTarget, logger: Logger): Promise<DataSource> {
  let dataSource: DataSource
  try {
    dataSource = await createDataSource(target)
    await dataSource.initialize()
  } catch (error) {
    if (error instanceof StartupError) throw error
    throw new StartupError(
      'database_unreachable',
      `无法打开数据库 ${describeDatabase(target)}：${(error as Error).message}。请检查 DATABASE_URL 与文件目录的读写权限。`,
      { cause: error },
    )
  }
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' })
    if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied')
  } catch (error) {
    await dataSource.destroy()
    throw new StartupError(
      'migration_failed',
      `数据库迁移失败（${describeDatabase(target)}）：${(error as Error).message}。请检查数据库账号是否有建表权限，或用 npm run migration:run 单独执行查看详情。`,
      { cause: error },
    )
  }
  return dataSource
}
