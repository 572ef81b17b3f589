import { AgendaItemSchema } from './agenda-item.js'
import { AttendanceSchema } from './attendance.js'
import { CampaignUnitSchema } from './campaign-unit.js'
import { CampaignSchema } from './campaign.js'
import { CircularLinkSchema } from './circular-link.js'
import { CircularReceiptSchema } from './circular-receipt.js'
import { CircularSchema } from './circular.js'
import { EvidenceSchema, EvidenceWindowSchema } from './evidence.js'
import { ExtensionRequestSchema } from './extension-request.js'
import { InboundMessageSchema } from './inbound-message.js'
import { InspectionSchema } from './inspection.js'
import { LedgerItemSchema } from './ledger-item.js'
import { MeetingSchema } from './meeting.js'
import { MonthlyReportRevisionSchema } from './monthly-report-revision.js'
import { MonthlyReportSchema } from './monthly-report.js'
import { OutboxMessageSchema } from './outbox-message.js'
import { ItemReminderSchema } from './item-reminder.js'
import { ListPageSchema } from './list-page.js'
import { CardStateSchema } from './card-state.js'
import { PersonQuestionSchema } from './person-question.js'
import { PublicReportReporterSchema, PublicReportSchema } from './public-report.js'
import { AccountabilitySchema } from './accountability.js'
import { PersonSeenSchema } from './person-seen.js'
import { PersonLeaveSchema } from './person-leave.js'
import { PersonSchema } from './person.js'
import { PhaseTaskSchema } from './phase-task.js'
import { PhaseSchema } from './phase.js'
import { ProblemCategorySchema } from './problem-category.js'
import { ProgressUpdateSchema } from './progress-update.js'
import { ReminderSentSchema } from './reminder-sent.js'
import { ReminderRecordSchema } from './reminder-record.js'
import { RoleAssignmentSchema } from './role-assignment.js'
import { SendBudgetSchema } from './send-budget.js'
import { SendSlotSchema } from './send-slot.js'
import { StoredFileChunkSchema, StoredFileSchema } from './stored-file.js'
import { TaskSubmissionSchema } from './task-submission.js'
import { UnitSchema } from './unit.js'

export * from './agenda-item.js'
export * from './attendance.js'
export * from './campaign-unit.js'
export * from './campaign.js'
export * from './evidence.js'
export * from './circular-link.js'
export * from './circular-receipt.js'
export * from './circular.js'
export * from './extension-request.js'
export * from './inbound-message.js'
export * from './inspection.js'
export * from './list-page.js'
export * from './card-state.js'
export * from './person-question.js'
export * from './public-report.js'
export * from './accountability.js'
export * from './person-seen.js'
export * from './item-reminder.js'
export * from './ledger-item.js'
export * from './meeting.js'
export * from './monthly-report-revision.js'
export * from './monthly-report.js'
export * from './outbox-message.js'
export * from './person-leave.js'
export * from './person.js'
export * from './phase-task.js'
export * from './phase.js'
export * from './problem-category.js'
export * from './progress-update.js'
export * from './reminder-sent.js'
export * from './reminder-record.js'
export * from './role-assignment.js'
export * from './send-budget.js'
export * from './send-slot.js'
export * from './stored-file.js'
export * from './task-submission.js'
export * from './unit.js'

/** Every table of the vocabulary (docs/architecture.md), listed explicitly for the DataSource. */
export const entities = [
  CampaignSchema,
  CampaignUnitSchema,
  PhaseSchema,
  PhaseTaskSchema,
  TaskSubmissionSchema,
  UnitSchema,
  PersonSchema,
  RoleAssignmentSchema,
  ProblemCategorySchema,
  LedgerItemSchema,
  ProgressUpdateSchema,
  ExtensionRequestSchema,
  MonthlyReportSchema,
  MonthlyReportRevisionSchema,
  InspectionSchema,
  MeetingSchema,
  AgendaItemSchema,
  AttendanceSchema,
  CircularSchema,
  CircularReceiptSchema,
  CircularLinkSchema,
  OutboxMessageSchema,
  InboundMessageSchema,
  ReminderSentSchema,
  PersonLeaveSchema,
  ItemReminderSchema,
  StoredFileSchema,
  StoredFileChunkSchema,
  SendBudgetSchema,
  SendSlotSchema,
  ListPageSchema,
  PersonSeenSchema,
  PublicReportSchema,
  PublicReportReporterSchema,
  AccountabilitySchema,
  CardStateSchema,
  PersonQuestionSchema,
  EvidenceSchema,
  EvidenceWindowSchema,
  ReminderRecordSchema,
]
