import { EntitySchema } from 'typeorm'
import { calendarDate, createdAt, instant, longText, primaryId, reference, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/**
 * The measures of the city's 为官不为问责办法, mildest first: 谈话提醒, 批评教育, 责令检查,
 * 通报批评, 诫勉, 组织处理, 纪律处分 (移送纪委).
 */
export type AccountabilityMeasure = 'talk_reminder' | 'criticism' | 'self_review' | 'circulated_criticism' | 'admonishment' | 'organizational' | 'disciplinary'

/**
 * 问责: what 组织部 decided for a finding, for a named person or for a unit (docs/inspections.md,
 * Accountability). Read by 组织部 only; counted in the annual assessment export.
 */
export interface Accountability {
  id: number
  campaignId: number
  inspectionId: number | null
  unitId: number | null
  personId: number | null
  measure: AccountabilityMeasure
  decidedOn: CalendarDate
  note: string
  recordedById: number | null
  /** When the person (or the unit's head) was told; null: 组织部 chose not to notify. */
  notifiedAt: Date | null
  createdAt: Date
}

export const AccountabilitySchema = new EntitySchema<Accountability>({
  name: 'Accountability',
  tableName: 'accountability',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_accountability_campaign', { onDelete: 'CASCADE' }),
    inspectionId: reference('Inspection', 'fk_accountability_inspection', { nullable: true, onDelete: 'SET NULL' }),
    unitId: reference('Unit', 'fk_accountability_unit', { nullable: true, onDelete: 'SET NULL' }),
    personId: reference('Person', 'fk_accountability_person', { nullable: true, onDelete: 'SET NULL' }),
    measure: shortText(32),
    decidedOn: calendarDate(),
    note: longText(),
    recordedById: reference('Person', 'fk_accountability_recorded_by', { nullable: true, onDelete: 'SET NULL' }),
    notifiedAt: instant({ nullable: true }),
    createdAt: createdAt(),
  },
  indices: [{ name: 'idx_accountability_campaign', columns: ['campaignId', 'decidedOn'] }],
})
