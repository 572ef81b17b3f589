import type { DataSource, EntityManager } from 'typeorm'
import { CircularReceiptSchema, CircularSchema, type Circular } from '../db/entities/index.js'

/** The circulars sent to a person (not recalled) that they have not acknowledged, newest first. */
export async function unacknowledgedCirculars(db: DataSource | EntityManager, personId: number): Promise<Circular[]> {
  return db
    .getRepository(CircularSchema)
    .createQueryBuilder('c')
    .innerJoin(CircularReceiptSchema.options.name, 'r', 'r.circular_id = c.id')
    .where("r.person_id = :personId AND r.acknowledged_at IS NULL AND c.status = 'sent'", { personId })
    .orderBy('c.sent_at', 'DESC')
    .addOrderBy('c.id', 'DESC')
    .getMany()
}
