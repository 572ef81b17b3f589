import { EntitySchema } from 'typeorm'
import { calendarDate, createdAt, instant, longText, primaryId, reference, shortText } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

/** How a report from the public reached 组织部: the published telephone, the mailbox, a letter, in person. */
export type PublicReportSource = 'telephone' | 'mailbox' | 'letter' | 'visit'
export type PublicReportStatus = 'assigned' | 'verified'
/** 属实 / 部分属实 / 不属实 */
export type PublicReportVerdict = 'true' | 'partly_true' | 'untrue'

/**
 * 受理举报: a report from the public about a unit or a person, assigned to an inspector to verify
 * by a date (docs/inspections.md). Who reported it is not here: it is kept apart, in
 * public_report_reporter, and read only for 组织部's own answers.
 */
export interface PublicReport {
  id: number
  campaignId: number
  source: PublicReportSource
  receivedOn: CalendarDate
  content: string
  /** The unit concerned, when it is one of ours. */
  unitId: number | null
  /** The person concerned, by name as reported (may be none). */
  concernedPerson: string | null
  registeredById: number | null
  assignedToId: number | null
  verifyBy: CalendarDate
  status: PublicReportStatus
  verdict: PublicReportVerdict | null
  verdictNote: string | null
  verifiedAt: Date | null
  /** The finding a report found (partly) true became. */
  inspectionId: number | null
  createdAt: Date
}

export const PublicReportSchema = new EntitySchema<PublicReport>({
  name: 'PublicReport',
  tableName: 'public_report',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_public_report_campaign', { onDelete: 'CASCADE' }),
    source: shortText(16),
    receivedOn: calendarDate(),
    content: longText(),
    unitId: reference('Unit', 'fk_public_report_unit', { nullable: true, onDelete: 'SET NULL' }),
    concernedPerson: shortText(64, { nullable: true }),
    registeredById: reference('Person', 'fk_public_report_registered_by', { nullable: true, onDelete: 'SET NULL' }),
    assignedToId: reference('Person', 'fk_public_report_assigned_to', { nullable: true, onDelete: 'SET NULL' }),
    verifyBy: calendarDate(),
    status: shortText(16, { default: 'assigned' }),
    verdict: shortText(16, { nullable: true }),
    verdictNote: longText({ nullable: true }),
    verifiedAt: instant({ nullable: true }),
    inspectionId: reference('Inspection', 'fk_public_report_inspection', { nullable: true, onDelete: 'SET NULL' }),
    createdAt: createdAt(),
  },
  indices: [{ name: 'idx_public_report_status', columns: ['campaignId', 'status', 'verifyBy'] }],
})

/**
 * Who made a report from the public: confidential (docs/inspections.md, Confidentiality). Stored
 * apart from the report so that nothing that reads reports, lists, notices, workbooks, exports
 * reads it by accident; only 组织部's own answers join it.
 */
export interface PublicReportReporter {
  id: number
  publicReportId: number
  anonymous: boolean
  name: string | null
  contact: string | null
}

export const PublicReportReporterSchema = new EntitySchema<PublicReportReporter>({
  name: 'PublicReportReporter',
  tableName: 'public_report_reporter',
  columns: {
    id: primaryId(),
    publicReportId: reference('PublicReport', 'fk_public_report_reporter_report', { onDelete: 'CASCADE' }),
    anonymous: { type: 'boolean', default: false },
    name: shortText(64, { nullable: true }),
    contact: shortText(128, { nullable: true }),
  },
  uniques: [{ name: 'uq_public_report_reporter', columns: ['publicReportId'] }],
})
