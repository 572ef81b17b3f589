import type { DataSource } from 'typeorm'
import { OutboxMessageSchema, type OutboxMessage } from '../../src/db/entities/index.js'

/** Polls the outbox row with `key` until a running worker has brought it to `status` (at most 15 s). */
export async function waitForOutboxStatus(dataSource: DataSource, key: string, status: string): Promise<OutboxMessage> {
  for (let i = 0; i < 150; i += 1) {
    const row = await dataSource.getRepository(OutboxMessageSchema).findOneByOrFail({ dedupeKey: key })
    if (row.status === status) return row
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${key} never became ${status}`)
}
