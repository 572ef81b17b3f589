import type { DataSource, EntityManager } from 'typeorm'
import { PersonSchema } from '../../db/entities/index.js'

/**
 * The name of whoever did something, for an answer that says who: "系统" when nobody did (an
 * import, a job) or the person is gone from the roster.
 */
export async function personName(db: DataSource | EntityManager, id: number | null): Promise<string> {
  if (id === null) return '系统'
  return (await db.getRepository(PersonSchema).findOneBy({ id }))?.name ?? '系统'
}
