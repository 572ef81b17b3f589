import type { DataSource } from 'typeorm'
import { findOneForUpdate } from '../../db/row-lock.js'
import { PersonSchema, PersonSeenSchema } from '../../db/entities/index.js'

/** Records that the person saw `topic` now (docs/chat.md, 待办); the person's row serializes two at once. */
export async function markSeen(ds: DataSource, personId: number, topic: string, now: Date): Promise<void> {
  await ds.transaction(async (manager) => {
    await findOneForUpdate(manager, PersonSchema, { id: personId })
    const updated = await manager.update(PersonSeenSchema, { personId, topic }, { seenAt: now })
    if (!updated.affected) await manager.insert(PersonSeenSchema, { personId, topic, seenAt: now })
  })
}
