import { EntitySchema } from 'typeorm'
import { calendarDate, longText, primaryId, reference, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/** 阶段任务: what every unit must hand in during a phase (its work plan, its ledger…), with a due date. */
export interface PhaseTask {
  id: number
  campaignId: number
  phaseId: number
  code: string
  name: string
  description: string
  dueDate: CalendarDate
}

export const PhaseTaskSchema = new EntitySchema<PhaseTask>({
  name: 'PhaseTask',
  tableName: 'phase_task',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_phase_task_campaign', { onDelete: 'CASCADE' }),
    phaseId: reference('Phase', 'fk_phase_task_phase', { onDelete: 'CASCADE' }),
    code: shortText(64),
    name: shortText(200),
    description: longText(),
    dueDate: calendarDate(),
  },
  uniques: [{ name: 'uq_phase_task_phase_code', columns: ['phaseId', 'code'] }],
  indices: [{ name: 'idx_phase_task_campaign_due', columns: ['campaignId', 'dueDate'] }],
})
