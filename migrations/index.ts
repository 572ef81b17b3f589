import { InitialSchema1764147600000 } from './1764147600000-initial-schema.js'
import { PersonUndeliverable1764234000000 } from './1764234000000-person-undeliverable.js'
import { CampaignUnit1764320400000 } from './1764320400000-campaign-unit.js'
import { InboundReply1764406800000 } from './1764406800000-inbound-reply.js'
import { MonthlyReportRevision1764493200000 } from './1764493200000-monthly-report-revision.js'
import { ReminderSent1764579600000 } from './1764579600000-reminder-sent.js'
import { ListPage1765356000000 } from './1765356000000-list-page.js'
import { InspectionPhase1765442400000 } from './1765442400000-inspection-phase.js'
import { PersonLeave1764666000000 } from './1764666000000-person-leave.js'
import { ItemReminder1764752400000 } from './1764752400000-item-reminder.js'
import { StoredFiles1765011600000 } from './1765011600000-stored-files.js'
import { CircularLinks1764838800000 } from './1764838800000-circular-links.js'
import { MeetingAgenda1764925200000 } from './1764925200000-meeting-agenda.js'
import { LedgerProblemKey1765098000000 } from './1765098000000-ledger-problem-key.js'
import { SendBudget1765184400000 } from './1765184400000-send-budget.js'
import { OutboxSubject1765270800000 } from './1765270800000-outbox-subject.js'

/** Every migration, in order. Listed explicitly: no globbing, so the typeorm CLI, the service and the tests agree. */
export const migrations = [InitialSchema1764147600000, PersonUndeliverable1764234000000, CampaignUnit1764320400000, InboundReply1764406800000, MonthlyReportRevision1764493200000, ReminderSent1764579600000, PersonLeave1764666000000, ItemReminder1764752400000, CircularLinks1764838800000, MeetingAgenda1764925200000, StoredFiles1765011600000, LedgerProblemKey1765098000000, SendBudget1765184400000, OutboxSubject1765270800000, ListPage1765356000000, InspectionPhase1765442400000]
