import type { DataSource, EntityManager } from 'typeorm'
import { CircularSchema, type Circular } from '../../db/entities/index.js'

/** A circular with how many received it and how many acknowledged (0/0 for a draft or robots only). */
export interface CircularSummary {
  circular: Circular
  receipts: number
  acknowledged: number
}

/** The latest circulars, newest first, each with its acknowledgement counts (for 通报 列表). */
export async function latestCirculars(db: DataSource | EntityManager, take = 10): Promise<CircularSummary[]> {
  const circulars = await db.getRepository(CircularSchema).find({ order: { id: 'DESC' }, take })
  if (circulars.length === 0) return []
  const counts = (await db.query(
    `SELECT circular_id, COUNT(*) AS total, COUNT(acknowledged_at) AS acked FROM circular_receipt WHERE circular_id IN (${circulars.map(() => '?').join(', ')}) GROUP BY circular_id`,
    circulars.map((c) => c.id),
  )) as { circular_id: number; total: number; acked: number }[]
  const byId = new Map(counts.map((c) => [Number(c.circular_id), c]))
  return circulars.map((circular) => ({ circular, receipts: Number(byId.get(circular.id)?.total ?? 0), acknowledged: Number(byId.get(circular.id)?.acked ?? 0) }))
}
