import { In, type DataSource, type EntityManager } from 'typeorm'
import { CircularLinkSchema, CircularReceiptSchema, CircularSchema, InspectionSchema, LedgerItemSchema, type Circular } from '../db/entities/index.js'
import { unitNames } from './ledger-status.js'

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

/** A case a typical-case circular names, with what a person needs to recognise it. */
export interface LinkedCase {
  id: number
  unitName: string
  /** The item's problem, or the inspection's findings. */
  text: string
}

/** The ledger items and inspections a circular names (通报 典型), by number. */
export async function linkedCases(db: DataSource | EntityManager, circularId: number): Promise<{ items: LinkedCase[]; inspections: LinkedCase[] }> {
  const links = await db.getRepository(CircularLinkSchema).findBy({ circularId })
  const itemIds = links.map((l) => l.ledgerItemId).filter((id): id is number => id !== null)
  const inspectionIds = links.map((l) => l.inspectionId).filter((id): id is number => id !== null)
  const items = itemIds.length === 0 ? [] : await db.getRepository(LedgerItemSchema).find({ where: { id: In(itemIds) }, order: { id: 'ASC' } })
  const inspections = inspectionIds.length === 0 ? [] : await db.getRepository(InspectionSchema).find({ where: { id: In(inspectionIds) }, order: { id: 'ASC' } })
  const names = await unitNames(db, [...new Set([...items, ...inspections].map((x) => x.unitId))])
  return {
    items: items.map((i) => ({ id: i.id, unitName: names.get(i.unitId) ?? '', text: i.problem })),
    inspections: inspections.map((i) => ({ id: i.id, unitName: names.get(i.unitId) ?? '', text: i.findings })),
  }
}

/**
 * The typical-case circulars sent about a ledger item — naming it, or an inspection of it —
 * oldest first, recalled ones too (the item stays a typical case). Drafts are not: nobody read them.
 */
export async function typicalCaseCircularsOf(db: DataSource | EntityManager, itemId: number): Promise<Circular[]> {
  const inspections = await db.getRepository(InspectionSchema).find({ where: { ledgerItemId: itemId }, select: { id: true } })
  const links = await db.getRepository(CircularLinkSchema).find({
    where: [{ ledgerItemId: itemId }, ...(inspections.length > 0 ? [{ inspectionId: In(inspections.map((i) => i.id)) }] : [])],
  })
  if (links.length === 0) return []
  return db.getRepository(CircularSchema).find({
    where: { id: In([...new Set(links.map((l) => l.circularId))]), kind: 'typical_case', status: In(['sent', 'recalled']) },
    order: { sentAt: 'ASC', id: 'ASC' },
  })
}
