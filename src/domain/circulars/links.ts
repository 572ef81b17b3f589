import { In, type EntityManager } from 'typeorm'
import { RefusalError } from '../../errors.js'
import { InspectionSchema, LedgerItemSchema } from '../../db/entities/index.js'
import type { LinkedCase } from '../../read-model/circulars.js'
import { inertText } from '../../wecom/inert-text.js'
import { shorten } from '../ledger/format-item.js'

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
  if (problems.length > 0) throw new RefusalError('unknown_link', `${problems.join('；')}，请核对编号。`)
}

/** Cases listed on one line each kind; more are counted ("等 8 项"). */
const SHOWN_CASES = 5

/**
 * "关联台账：#1 城关镇 招商引资项目跑办不积极…" and "关联督查：督查#3 城关镇 …", for the
 * publish answer, the preview and the status of a typical-case circular: what it names, by number
 * and in words, so that 组织部 sees it named the right cases (`详情 编号` shows the link back).
 */
export function caseLines(cases: { items: readonly LinkedCase[]; inspections: readonly LinkedCase[] }): string[] {
  const line = (title: string, list: readonly LinkedCase[], number: (id: number) => string) => {
    const shown = list.slice(0, SHOWN_CASES).map((c) => `${number(c.id)} ${inertText(c.unitName)} ${shorten(c.text, 16)}`)
    return `${title}：${shown.join('；')}${list.length > shown.length ? ` 等 ${list.length} 项` : ''}`
  }
  return [
    ...(cases.items.length > 0 ? [line('关联台账', cases.items, (id) => `#${id}`)] : []),
    ...(cases.inspections.length > 0 ? [line('关联督查', cases.inspections, (id) => `督查#${id}`)] : []),
  ]
}
