import { EntitySchema } from 'typeorm'
import { createdAt, instant, integer, longText, primaryId, reference, shortText, updatedAt } from '../columns.js'

/** 月报: one per unit per month of a campaign, due before the month ends, sent to 干部监督科. */
export interface MonthlyReport {
  id: number
  campaignId: number
  unitId: number
  /** "2015-08" */
  month: string
  content: string
  submittedById: number | null
  submittedAt: Date
  /** 1 for the first submission; a resubmission before the deadline replaces content and counts up. */
  revision: number
  createdAt: Date
  updatedAt: Date
}

export const MonthlyReportSchema = new EntitySchema<MonthlyReport>({
  name: 'MonthlyReport',
  tableName: 'monthly_report',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_monthly_report_campaign', { onDelete: 'CASCADE' }),
    unitId: reference('Unit', 'fk_monthly_report_unit'),
    month: shortText(7),
    content: longText(),
    submittedById: reference('Person', 'fk_monthly_report_person', { nullable: true, onDelete: 'SET NULL' }),
    submittedAt: instant(),
    revision: integer({ default: 1 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  uniques: [{ name: 'uq_monthly_report_unit_month', columns: ['campaignId', 'unitId', 'month'] }],
  indices: [{ name: 'idx_monthly_report_month', columns: ['campaignId', 'month'] }],
})
