import { In, type EntityManager } from 'typeorm'
import { UserFacingError } from '../../errors.js'
import { InspectionSchema, LedgerItemSchema } from '../../db/entities/index.js'

export interface CircularLinks {
  ledgerItemIds: number[]
  inspectionIds: number[]
}

/**
 * The cases a typical-case circular names in its title and body: ledger items as "#12",
 * inspections as "督查#3" (also "督查 3", full-width "＃").
 */
export function findLinks(text: string): CircularLinks {
  const normalized = text.replace(/＃/g, '#')
  const inspectionIds: number[] = []
  const rest = normalized.replace(/督查\s*#?\s*(\d{1,9})/g, (_, id: string) => {
    inspectionIds.push(Number(id))
    return ' '
  })
  const ledgerItemIds = [...rest.matchAll(/#\s*(\d{1,9})/g)].map((m) => Number(m[1]))
  return { ledgerItemIds: [...new Set(ledgerItemIds)], inspectionIds: [...new Set(inspectionIds)] }
}

/** Refuses links to items or inspections that do not exist in this campaign. */
export async function checkLinks(manager: EntityManager, campaignId: number, links: CircularLinks): Promise<void> {
  const items = await manager.find(LedgerItemSchema, { where: { id: In(links.ledgerItemIds.concat(-1)), campaignId }, select: { id: true } })
  const inspections = await manager.find(InspectionSchema, { where: { id: In(links.inspectionIds.concat(-1)), campaignId }, select: { id: true } })
  const missingItems = links.ledgerItemIds.filter((id) => !items.some((i) => i.id === id))
  const missingInspections = links.inspectionIds.filter((id) => !inspections.some((i) => i.id === id))
  const problems = [
    ...(missingItems.length > 0 ? [`没有台账事项 ${missingItems.map((id) => `#${id}`).join('、')}`] : []),
    ...(missingInspections.length > 0 ? [`没有督查记录 ${missingInspections.map((id) => `督查#${id}`).join('、')}`] : []),
  ]
  if (problems.length > 0) throw new UserFacingError('unknown_link', `${problems.join('；')}，请核对编号。`)
}

/** "台账 #1、#2；督查 #3" for the preview and the status. */
export function describeLinks(links: CircularLinks): string {
  const parts = []
  if (links.ledgerItemIds.length > 0) parts.push(`台账 ${links.ledgerItemIds.map((id) => `#${id}`).join('、')}`)
  if (links.inspectionIds.length > 0) parts.push(`督查 ${links.inspectionIds.map((id) => `#${id}`).join('、')}`)
  return parts.join('；')
}
