import { EntitySchema } from 'typeorm'
import { instant, integer, longText, primaryId, reference } from '../columns.js'

/** Every version of a monthly report as submitted: a resubmission replaces the report, the history stays. */
export interface MonthlyReportRevision {
  id: number
  reportId: number
  revision: number
  content: string
  submittedById: number | null
  submittedAt: Date
}

export const MonthlyReportRevisionSchema = new EntitySchema<MonthlyReportRevision>({
  name: 'MonthlyReportRevision',
  tableName: 'monthly_report_revision',
  columns: {
    id: primaryId(),
    reportId: reference('MonthlyReport', 'fk_monthly_report_revision_report', { onDelete: 'CASCADE' }),
    revision: integer(),
    content: longText(),
    submittedById: reference('Person', 'fk_monthly_report_revision_person', { nullable: true, onDelete: 'SET NULL' }),
    submittedAt: instant(),
  },
  uniques: [{ name: 'uq_monthly_report_revision', columns: ['reportId', 'revision'] }],
})
