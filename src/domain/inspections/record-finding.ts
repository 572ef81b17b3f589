import { In, type DataSource, type EntityManager } from 'typeorm'
import { inertText } from '../../wecom/inert-text.js'
import { RefusalError } from '../../errors.js'
import { beijingDate, formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { addWorkdays } from '../../time/work-calendar.js'
import {
  CampaignSchema,
  InspectionSchema,
  PersonSchema,
  RoleAssignmentSchema,
  type Inspection,
  type LedgerItem,
  type Person,
} from '../../db/entities/index.js'
import type { InspectionMethod } from '../../db/entities/inspection.js'
import type { Actor } from '../ledger/ledger-access.js'
import { insertLedgerItem } from '../ledger/register-item.js'
import { notifyPeople } from '../ledger/notify.js'
import { inspectionSettings } from '../plan/campaign-plan.js'

export interface FindingInput {
  campaignId: number
  unitId: number
  inspectedOn: CalendarDate
  method: InspectionMethod
  /** What was found, within text limits. */
  findings: string
  /** problem_category.id; required when mustRectify (a ledger item has a category). */
  categoryId: number | null
  mustRectify: boolean
  /** For the ledger item; default: the campaign's setting (see docs/inspections.md). */
  dueDate?: CalendarDate
  /** Named responsible people; default: the unit's head (leader) and liaison (person). */
  leaderId?: number
  personId?: number
  isTypicalCase?: boolean
}

/** What the ledger item made of a finding says it will do: the findings themselves are its problem. */
export const FINDING_MEASURES = '按督查意见整改'
export const FINDING_TARGET = '整改到位，经检查组销号'

/** The unit's first responsible person (unit_head) and liaison, active ones, for notices and default responsibility. */
export async function unitHeadAndLiaison(db: DataSource | EntityManager, unitId: number): Promise<{ head: Person | null; liaison: Person | null }> {
  const manager = 'manager' in db ? db.manager : db
  const roles = await manager.find(RoleAssignmentSchema, { where: { unitId, role: In(['unit_head', 'liaison']) }, order: { id: 'ASC' } })
  const people = roles.length === 0 ? [] : await manager.find(PersonSchema, { where: { id: In(roles.map((r) => r.personId)), active: true } })
  const first = (role: string) => people.find((p) => roles.some((r) => r.role === role && r.personId === p.id)) ?? null
  return { head: first('unit_head'), liaison: first('liaison') }
}

/**
 * The due date of a finding's item when none is given: the campaign plan's rectifyWorkdays
 * working days after the day it is recorded (docs/inspections.md, Findings).
 */
export function defaultFindingDue(campaign: Parameters<typeof inspectionSettings>[0], today: CalendarDate): CalendarDate {
  return addWorkdays(today, inspectionSettings(campaign).rectifyWorkdays)
}

/**
 * Inside the caller's transaction (EntityManager): the inspection row, and when mustRectify the
 * ledger item (insertLedgerItem) linked both ways (inspection.ledger_item_id; the item's details
 * find the finding by it), and one notice to the unit's head and liaison (and the item's
 * responsible people, in place of the item's own notice). Never mentions a
 * public report or its reporter (docs/inspections.md, Confidentiality): the notice says a check
 * found a problem and when, never how or why the unit was checked.
 */
export async function recordFinding(
  manager: EntityManager,
  actor: Actor,
  input: FindingInput,
  now: Date,
): Promise<{ inspection: Inspection; item: LedgerItem | null; notified: string[] }> {
  const today = beijingDate(now)
  const campaign = await manager.findOneByOrFail(CampaignSchema, { id: input.campaignId })
  const { head, liaison } = await unitHeadAndLiaison(manager, input.unitId)
  const inspection = await manager.save(InspectionSchema, {
    campaignId: input.campaignId,
    unitId: input.unitId,
    inspectorId: actor.person.id,
    method: input.method,
    inspectedOn: input.inspectedOn,
    findings: input.findings,
    categoryId: input.categoryId,
    mustRectify: input.mustRectify,
    ledgerItemId: null,
    isTypicalCase: input.isTypicalCase ?? false,
    // When it was recorded, by the injected clock: figures counting findings "since" a day read it.
    createdAt: now,
  } as Inspection)
  // Not the method: 举报核查 would tell the unit that someone reported it (docs/inspections.md, Confidentiality).
  const checked = `${formatChineseDate(input.inspectedOn, today)}检查`
  if (!input.mustRectify) {
    const notified = await notifyPeople(
      manager,
      [head?.id ?? null, liaison?.id ?? null],
      `inspection:${inspection.id}`,
      { kind: 'inspection', id: inspection.id },
      `**督查反馈（督查#${inspection.id}）**\n检查组${checked}发现：${inertText(input.findings)}\n不列入台账，无需反馈，请注意改进。`,
      now,
      actor.person.id,
    )
    return { inspection, item: null, notified }
  }
  if (input.categoryId === null) throw new RefusalError('no_category', '须整改的督查发现要写问题类别。')
  // The head leads and the liaison carries it out; a unit with only one of them has it do both.
  const leaderId = input.leaderId ?? head?.id ?? liaison?.id
  const personId = input.personId ?? liaison?.id ?? head?.id
  if (leaderId === undefined || personId === undefined) {
    throw new RefusalError('no_responsible', '该单位在花名册中没有第一责任人和联络员：请写明「责任领导：姓名」和「责任人：姓名」。')
  }
  const responsible = await manager.find(PersonSchema, { where: { id: In([leaderId, personId]) } })
  const leader = responsible.find((p) => p.id === leaderId)!
  const person = responsible.find((p) => p.id === personId)!
  const dueDate = input.dueDate ?? defaultFindingDue(campaign, today)
  const { item } = await insertLedgerItem(manager, actor, {
    campaignId: input.campaignId,
    unitId: input.unitId,
    categoryId: input.categoryId,
    problem: input.findings,
    measures: FINDING_MEASURES,
    target: FINDING_TARGET,
    dueDate,
    department: null,
    leader,
    person,
    today,
    now,
    notify: false,
  })
  await manager.update(InspectionSchema, { id: inspection.id }, { ledgerItemId: item.id })
  inspection.ledgerItemId = item.id
  // One notice to the unit (its head and liaison) and the item's responsible people, in place of the item's "新登记台账".
  const notified = await notifyPeople(
    manager,
    [head?.id ?? null, liaison?.id ?? null, leader.id, person.id],
    `inspection:${inspection.id}`,
    { kind: 'inspection', id: inspection.id },
    `**督查发现问题，已列入台账 #${item.id}**\n检查组${checked}发现：${inertText(input.findings)}\n整改时限：${formatChineseDate(dueDate, today)}；责任领导 ${inertText(leader.name)}，责任人 ${inertText(person.name)}\n反馈进度：进度 ${item.id} 百分比 说明\n整改完成：完成 ${item.id} 整改说明`,
    now,
    actor.person.id,
  )
  return { inspection, item, notified }
}

/** 督查 登记 and the import: recordFinding in a transaction of its own. */
export async function registerFinding(ds: DataSource, actor: Actor, input: FindingInput, now: Date) {
  return ds.transaction((manager) => recordFinding(manager, actor, input, now))
}
