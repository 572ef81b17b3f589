import { EntitySchema } from 'typeorm'
import { calendarDate, createdAt, flag, integer, primaryId, reference, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

export type CampaignStatus = 'active' | 'finished'

/** 专项治理: one campaign instance, created from a plan template (docs/architecture.md). */
export interface Campaign {
  id: number
  name: string
  planName: string
  planVersion: string
  startDate: CalendarDate
  endDate: CalendarDate
  /** The unit that convenes joint meetings and receives monthly reports (县委组织部). */
  convenerUnitId: number | null
  status: CampaignStatus
  /** 组织部's rule: 完成 and 销号 need at least one piece of evidence (docs/evidence.md). */
  requireEvidence: boolean
  /** Evidence is deleted this many days after its item was closed; null keeps it. */
  evidenceRetentionDays: number | null
  createdAt: Date
}

export const CampaignSchema = new EntitySchema<Campaign>({
  name: 'Campaign',
  tableName: 'campaign',
  columns: {
    id: primaryId(),
    name: shortText(200),
    planName: shortText(100),
    planVersion: shortText(40),
    startDate: calendarDate(),
    endDate: calendarDate(),
    convenerUnitId: reference('Unit', 'fk_campaign_convener_unit', { nullable: true, onDelete: 'SET NULL' }),
    status: shortText(16, { default: 'active' }),
    requireEvidence: flag(false),
    evidenceRetentionDays: integer({ nullable: true }),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'uq_campaign_plan_start', columns: ['planName', 'startDate'] }],
})
