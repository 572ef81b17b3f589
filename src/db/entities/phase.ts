import { EntitySchema } from 'typeorm'
import { calendarDate, integer, longText, primaryId, reference, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

export const PHASE_CODES = ['mobilize', 'self_check', 'inspect', 'institutionalize'] as const
export type PhaseCode = (typeof PHASE_CODES)[number]

/** 阶段: 宣传动员, 自查整改, 监督检查, 建章立制, each with a window. */
export interface Phase {
  id: number
  campaignId: number
  code: PhaseCode
  name: string
  seq: number
  startDate: CalendarDate
  endDate: CalendarDate
  description: string
}

export const PhaseSchema = new EntitySchema<Phase>({
  name: 'Phase',
  tableName: 'phase',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_phase_campaign', { onDelete: 'CASCADE' }),
    code: shortText(32),
    name: shortText(50),
    seq: integer(),
    startDate: calendarDate(),
    endDate: calendarDate(),
    description: longText(),
  },
  uniques: [{ name: 'uq_phase_campaign_code', columns: ['campaignId', 'code'] }],
})
