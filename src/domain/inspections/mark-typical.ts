import type { DataSource } from 'typeorm'
import { InspectionSchema } from '../../db/entities/index.js'
import { RefusalError } from '../../errors.js'

/**
 * 督查 典型: marks a finding of the campaign a typical case (典型案例), which 通报 典型 can then
 * name as 督查#编号 (docs/inspections.md, Findings). Returns false when it was one already.
 */
export async function markTypicalCase(ds: DataSource, campaignId: number, id: number): Promise<boolean> {
  const result = await ds.getRepository(InspectionSchema).update({ id, campaignId, isTypicalCase: false }, { isTypicalCase: true })
  if (result.affected) return true
  const existing = await ds.getRepository(InspectionSchema).findOneBy({ id, campaignId })
  if (!existing) throw new RefusalError('unknown_inspection', `没有督查记录 督查#${id}，请核对编号（督查 列表）。`)
  return false
}
