import { IsNull, type DataSource } from 'typeorm'
import { UserFacingError } from '../../errors.js'
import { CircularReceiptSchema, CircularSchema, type Circular } from '../entities/index.js'

export type AckOutcome = { circular: Circular; first: true } | { circular: Circular; first: false; acknowledgedAt: Date }

/**
 * 收到: records a recipient's acknowledgement once. A circular they did not receive (or that does
 * not exist, or is still a draft) is refused without saying whether it exists to others.
 */
export async function acknowledgeCircular(ds: DataSource, circularId: number, personId: number, now: Date): Promise<AckOutcome> {
  const circular = await ds.getRepository(CircularSchema).findOneBy({ id: circularId })
  const receipt = circular ? await ds.getRepository(CircularReceiptSchema).findOneBy({ circularId, personId }) : null
  if (!circular || circular.status === 'draft') throw new UserFacingError('unknown_circular', `没有编号为 #${circularId} 的通报，请核对编号（见通报末尾「收到 编号」）。`)
  if (!receipt) throw new UserFacingError('not_recipient', `通报 #${circularId} 不是发给您的，无需确认。`)
  if (circular.status === 'recalled') throw new UserFacingError('recalled', `通报 #${circularId} 已撤回，无需确认。`)
  const updated = await ds.getRepository(CircularReceiptSchema).update({ id: receipt.id, acknowledgedAt: IsNull() }, { acknowledgedAt: now })
  if (updated.affected) return { circular, first: true }
  const again = await ds.getRepository(CircularReceiptSchema).findOneByOrFail({ id: receipt.id })
  return { circular, first: false, acknowledgedAt: again.acknowledgedAt ?? now }
}
