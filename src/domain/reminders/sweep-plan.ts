import type { LedgerItem } from '../../db/entities/index.js'
import type { CalendarDate } from '../../time/calendar-date.js'

export interface Stage {
  subject: string
  stage: string
  /** For an item's stage: the item, the due date and the signed working days from it (item_reminder). */
  item?: { id: number; unitId: number; dueDate: CalendarDate; days: number }
}

/** An overdue item escalated to its unit head. */
export interface Escalation {
  item: LedgerItem
  /** Working days overdue. */
  late: number
  /** The responsible person's name. */
  responsible: string
}

/** One person's reminder for one sweep: at most one message. */
export interface Digest {
  userid: string
  /** The person's open items due within the reminder horizon or overdue (as responsible person or leader), when an item stage concerns them. */
  items: LedgerItem[]
  /** How many more of their open items are due later (🟢): counted, not listed. */
  laterCount: number
  /** Their unit's items overdue long enough to escalate to them (formatted only as far as the message shows them). */
  escalated: Escalation[]
  /** Phase deliverables their unit still owes. */
  tasks: string[]
  /** The unit's monthly report, not yet in. */
  reports: string[]
  /** Reports from the public this inspector must verify, at a reminder stage today (never who reported). */
  publicReports: string[]
  /** The stages this digest sends; recorded with it, so each goes out once. */
  stages: Stage[]
  /** Digests of people on leave who named this person as deputy (or whose liaison this is). */
  behalf: {
    name: string
    digest: Digest
    /** Of the away digest's stages, those this person did not get as their own (the reminder record names the person away for these). */
    taken: Stage[]
  }[]
}

/** What one sweep decided: the digests, and the organization department's summary. */
export interface SweepPlan {
  today: CalendarDate
  digests: Digest[]
  /** The organization department's daily summary (markdown), or null on a rest day or with no campaign. */
  summary: string | null
  /** Stages recorded along with the summary (escalations to 组织部, months missed). */
  summaryStages: Stage[]
  admins: string[]
  /** The campaign swept (null: none running). */
  campaignId: number | null
  /** userid → person id of the active people, for the reminder record (docs/responsiveness.md). */
  personIds: Map<string, number>
}

export const emptyPlan = (today: CalendarDate): SweepPlan => ({ today, digests: [], summary: null, summaryStages: [], admins: [], campaignId: null, personIds: new Map() })
