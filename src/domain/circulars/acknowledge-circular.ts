import { IsNull, type DataSource } from 'typeorm'
import { findOneForShare } from '../../db/row-lock.js'
import { RefusalError, StateConflictError } from '../../errors.js'
import { CircularReceiptSchema, CircularSchema, type Circular } from '../../db/entities/index.js'

export type AckOutcome = { circular: Circular; first: true } | { circular: Circular; first: false; acknowledgedAt: Date }

/**
 * 收到: records a recipient's acknowledgement once. A circular they did not receive (or that does
 * not exist, or is still a draft) is refused without saying whether it exists to others. The
 * circular is share-locked, so a 撤回 at the same moment comes wholly before or after; the
 * receipt is claimed by one conditional update, so two 收到 at once record one.
 */
export async function acknowledgeCircular(ds: DataSource, circularId: number, personId: number, now: Date): Promise<AckOutcome> {
  return ds.transaction(async (manager) => {
    const circular = await findOneForShare(manager, CircularSchema, { id: circularId })
    const receipt = circular ? await manager.findOneBy(CircularReceiptSchema, { circularId, personId }) : null
    if (!circular || circular.status === 'draft') throw new RefusalError('unknown_circular', `没有编号为 #${circularId} 的通报，请核对编号（见通报末尾「收到 编号」）。`)
    if (!receipt) throw new RefusalError('not_recipient', `通报 #${circularId} 不是发给您的，无需确认。`)
    if (circular.status === 'recalled') throw new StateConflictError('recalled', `通报 #${circularId} 已撤回，无需确认。`)
    const updated = await manager.update(CircularReceiptSchema, { id: receipt.id, acknowledgedAt: IsNull() }, { acknowledgedAt: now })
    if (updated.affected) return { circular, first: true }
    const again = await manager.findOneByOrFail(CircularReceiptSchema, { id: receipt.id })
    return { circular, first: false, acknowledgedAt: again.acknowledgedAt ?? now }
  })
}
