import { EntitySchema } from 'typeorm'
import { calendarDate, createdAt, flag, instant, integer, longText, primaryId, reference, shortText, updatedAt } from '../columns.js'
import type { CalendarDate } from '../../time/calendar-date.js'

export const LEDGER_STATUSES = ['open', 'in_progress', 'rectified', 'closed'] as const
/** open 未整改 → in_progress 整改中 → rectified 已整改待销号 → closed 已销号. */
export type LedgerStatus = (typeof LEDGER_STATUSES)[number]

/** 台账条目: one problem in a unit's ledger (工作台账), with its rectification plan. Its id is the 编号 people type. */
export interface LedgerItem {
  id: number
  campaignId: number
  unitId: number
  categoryId: number
  problem: string
  /** The normalized problem text's hash, unique per campaign and unit (problem-key.ts); null on rows that predate it as repeats. */
  problemKey: string | null
  measures: string
  /** 整治目标 */
  target: string
  /** 完成时限: overdue from the next day 00:00 Beijing time. */
  dueDate: CalendarDate
  /** The due date first registered, kept when an extension moves dueDate. */
  originalDueDate: CalendarDate
  responsibleDepartment: string | null
  responsibleLeaderId: number | null
  responsiblePersonId: number | null
  status: LedgerStatus
  progress: number
  isPublic: boolean
  isTypicalCase: boolean
  rectifiedAt: Date | null
  closedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

export const LedgerItemSchema = new EntitySchema<LedgerItem>({
  name: 'LedgerItem',
  tableName: 'ledger_item',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_ledger_item_campaign', { onDelete: 'CASCADE' }),
    unitId: reference('Unit', 'fk_ledger_item_unit'),
    categoryId: reference('ProblemCategory', 'fk_ledger_item_category'),
    problem: longText(),
    problemKey: shortText(64, { nullable: true }),
    measures: longText(),
    target: longText(),
    dueDate: calendarDate(),
    originalDueDate: calendarDate(),
    responsibleDepartment: shortText(100, { nullable: true }),
    responsibleLeaderId: reference('Person', 'fk_ledger_item_leader', { nullable: true, onDelete: 'SET NULL' }),
    responsiblePersonId: reference('Person', 'fk_ledger_item_person', { nullable: true, onDelete: 'SET NULL' }),
    status: shortText(16, { default: 'open' }),
    progress: integer({ default: 0 }),
    isPublic: flag(false),
    isTypicalCase: flag(false),
    rectifiedAt: instant({ nullable: true }),
    closedAt: instant({ nullable: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  indices: [
    // The reminder sweep asks: which open items fall due or are overdue?
    { name: 'idx_ledger_item_status_due', columns: ['status', 'dueDate'] },
    // …and, for one campaign, counts them per person without reading a row (covering).
    { name: 'idx_ledger_item_campaign_open', columns: ['campaignId', 'status', 'dueDate', 'responsiblePersonId', 'responsibleLeaderId'] },
    // Per-unit views and digests: a unit's items by status.
    { name: 'idx_ledger_item_unit_status', columns: ['unitId', 'status'] },
    { name: 'idx_ledger_item_person', columns: ['responsiblePersonId'] },
    { name: 'idx_ledger_item_leader', columns: ['responsibleLeaderId'] },
    // 总览's mark: a campaign's items' last change, without a scan (docs/dashboard.md, Performance).
    { name: 'idx_ledger_item_campaign_updated', columns: ['campaignId', 'updatedAt'] },
    // One unit registers a problem once per campaign (problem-key.ts).
    { name: 'uq_ledger_item_problem', columns: ['campaignId', 'unitId', 'problemKey'], unique: true },
  ],
})
