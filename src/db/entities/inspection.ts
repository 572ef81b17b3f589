import { EntitySchema } from 'typeorm'
import { calendarDate, createdAt, flag, integer, longText, primaryId, reference, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/** 受理举报 / 随机抽查 / 重点检查 / 明察暗访 / 全面督查, the methods the plan names. */
export type InspectionMethod = 'complaint' | 'random_check' | 'key_check' | 'unannounced' | 'full_check'

/** 督查: a spot check's findings; a finding may be a typical case (典型案例) for a circular. */
export interface Inspection {
  id: number
  campaignId: number
  unitId: number
  inspectorId: number | null
  method: InspectionMethod
  inspectedOn: CalendarDate
  findings: string
  /** The plan's problem category (problem_category.id) the finding falls under, if given. */
  categoryId: number | null
  /** The unit must rectify it: then a ledger item (ledgerItemId) was made of it. */
  mustRectify: boolean
  ledgerItemId: number | null
  isTypicalCase: boolean
  createdAt: Date
}

export const InspectionSchema = new EntitySchema<Inspection>({
  name: 'Inspection',
  tableName: 'inspection',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_inspection_campaign', { onDelete: 'CASCADE' }),
    unitId: reference('Unit', 'fk_inspection_unit'),
    inspectorId: reference('Person', 'fk_inspection_inspector', { nullable: true, onDelete: 'SET NULL' }),
    method: shortText(32),
    inspectedOn: calendarDate(),
    findings: longText(),
    categoryId: integer({ nullable: true }),
    mustRectify: flag(false),
    ledgerItemId: reference('LedgerItem', 'fk_inspection_item', { nullable: true, onDelete: 'SET NULL' }),
    isTypicalCase: flag(false),
    createdAt: createdAt(),
  },
  indices: [{ name: 'idx_inspection_unit', columns: ['unitId'] }],
})
