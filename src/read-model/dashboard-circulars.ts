import { In, type DataSource } from 'typeorm'
import { CircularReceiptSchema, CircularSchema, type Circular } from '../db/entities/index.js'
import { circularStatus, type CircularStatus, type ReceiptLine } from '../domain/circulars/circular-status.js'
import { latestCirculars } from '../domain/circulars/list-circulars.js'

/** How many circulars the dashboard lists (chat's 通报 列表 shows the latest 10). */
export const CIRCULAR_LIST_LIMIT = 50

/**
 * 组织部's list (docs/dashboard.md, 通报): the circulars 通报 列表 lists, newest first, each with
 * what 通报 状态 says of it (circularStatus: its audience and receipts), so a figure on the list
 * is the one chat gives for that circular.
 */
export async function circularsWithStatus(ds: DataSource, take = CIRCULAR_LIST_LIMIT): Promise<CircularStatus[]> {
  const latest = await latestCirculars(ds, take)
  const statuses: CircularStatus[] = []
  for (const { circular } of latest) statuses.push(await circularStatus(ds, circular.id))
  return statuses
}

/** How many of a circular's recipients acknowledged it (收到), from 通报 状态's receipts. */
export function acknowledgementTotals(receipts: readonly ReceiptLine[]): { recipients: number; acknowledged: number; delivered: number } {
  return { recipients: receipts.length, acknowledged: receipts.filter((r) => r.acknowledgedAt !== null).length, delivered: receipts.filter((r) => r.sent).length }
}

/** One unit's line of the acknowledgement table. */
export interface UnitAcknowledgement {
  unitId: number | null
  /** '' for recipients without a unit (chat says 其他). */
  unitName: string
  recipients: number
  acknowledged: number
}

/** 通报 状态's receipts by unit, in its order (by unit): recipients and how many acknowledged. */
export function acknowledgementByUnit(receipts: readonly ReceiptLine[]): UnitAcknowledgement[] {
  const units = new Map<number | null, UnitAcknowledgement>()
  for (const r of receipts) {
    const unit = units.get(r.unitId) ?? { unitId: r.unitId, unitName: r.unitName, recipients: 0, acknowledged: 0 }
    unit.recipients += 1
    if (r.acknowledgedAt !== null) unit.acknowledged += 1
    units.set(r.unitId, unit)
  }
  return [...units.values()]
}

/** A circular sent to a person, with their receipt: when they acknowledged it (null: not yet). */
export interface ReceivedCircular {
  circular: Circular
  acknowledgedAt: Date | null
}

/**
 * The circulars sent to a person (they hold a receipt), newest first: sent ones, and recalled
 * ones (收到 answers those 已撤回). Drafts were never sent to anyone.
 */
export async function circularsReceivedBy(ds: DataSource, personId: number, take = CIRCULAR_LIST_LIMIT): Promise<ReceivedCircular[]> {
  const receipts = await ds.getRepository(CircularReceiptSchema).findBy({ personId })
  if (receipts.length === 0) return []
  const circulars = await ds.getRepository(CircularSchema).find({
    where: { id: In(receipts.map((r) => r.circularId)), status: In(['sent', 'recalled']) },
    order: { sentAt: 'DESC', id: 'DESC' },
    take,
  })
  const byCircular = new Map(receipts.map((r) => [r.circularId, r]))
  return circulars.map((circular) => ({ circular, acknowledgedAt: byCircular.get(circular.id)?.acknowledgedAt ?? null }))
}

/** A person's receipt of one circular that was sent (or recalled); null when it was not sent to them. */
export async function receivedCircular(ds: DataSource, circularId: number, personId: number): Promise<ReceivedCircular | null> {
  const circular = await ds.getRepository(CircularSchema).findOneBy({ id: circularId, status: In(['sent', 'recalled']) })
  const receipt = circular ? await ds.getRepository(CircularReceiptSchema).findOneBy({ circularId, personId }) : null
  return circular && receipt ? { circular, acknowledgedAt: receipt.acknowledgedAt } : null
}
