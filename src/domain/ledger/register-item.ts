import { inertText } from '../../wecom/inert-text.js'
import type { DataSource, EntityManager } from 'typeorm'
import { editDistance } from '../text/normalize-text.js'
import { RefusalError, StateConflictError, UserFacingError } from '../../errors.js'
import { isUniqueViolation } from '../../db/database-error.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { problemKey } from '../../db/problem-key.js'
import { doneBy, lastChange } from './last-change.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { addCampaignUnit } from '../campaign/create-campaign.js'
import { latestDate } from '../campaign/date-bound.js'
import { LedgerItemSchema, PersonSchema, ProblemCategorySchema, ProgressUpdateSchema, type Campaign, type LedgerItem, type Person, type ProblemCategory } from '../../db/entities/index.js'
import type { Actor } from './ledger-access.js'
import { notifyPeople } from './notify.js'
import { quoteTyped } from '../text/text-limits.js'

export interface NewItemFields {
  category: string
  problem: string
  measures: string
  target: string
  dueDate: CalendarDate
  leader: string
  person: string
  department: string | null
}

const CHINESE_NUMBERS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十']

/** A category by "2", "二", "(二)", its name, or a close match of its name. */
export function matchCategory(categories: readonly ProblemCategory[], typed: string): ProblemCategory | undefined {
  const text = typed.normalize('NFKC').replace(/[()（）\s]/g, '')
  const number = /^\d+$/.test(text) ? Number(text) : CHINESE_NUMBERS.indexOf(text) + 1
  return (
    categories.find((c) => c.number === number) ??
    categories.find((c) => c.name === text || text.includes(c.name) || c.name.includes(text)) ??
    categories.find((c) => editDistance(c.name, text) <= 2)
  )
}

/** The campaign's categories as a person may write them: "(一)促进发展不敢为、(二)履行职责不担当、…" (from the plan). */
export function categoryChoices(categories: readonly ProblemCategory[]): string {
  return [...categories].sort((a, b) => a.number - b.number).map((c) => `${c.label}${c.name}`).join('、')
}

/** Why a typed category is not one: "问题类别「…」无法识别，可写：(一)…、(二)…（写编号或名称均可）". */
export function unknownCategoryText(categories: readonly ProblemCategory[], typed: string): string {
  return `问题类别「${quoteTyped(typed)}」无法识别，可写：${categoryChoices(categories)}（写编号或名称均可）`
}

/** A person of the unit by name or userid; every problem is described for the reply. */
async function resolvePerson(ds: DataSource, unitId: number, typed: string, role: string): Promise<Person | string> {
  const people = await ds.getRepository(PersonSchema).find({ where: [{ name: typed, active: true }, { userid: typed.toLowerCase(), active: true }] })
  const inUnit = people.filter((p) => p.unitId === unitId)
  if (inUnit.length === 1) return inUnit[0]!
  if (inUnit.length > 1) return `${role}「${quoteTyped(typed)}」有重名：${inUnit.map((p) => `${p.name}（${p.userid}）`).join('、')}，请改写企业微信账号`
  if (people.length > 0) return `${role}「${quoteTyped(typed)}」不是本单位人员`
  return `${role}「${quoteTyped(typed)}」不在花名册中`
}

/**
 * 登记: registers a ledger item for a unit, with its history row and a notice to the
 * responsible people, in one transaction. Every problem with the fields is listed at once.
 */
export async function registerItem(
  ds: DataSource,
  actor: Actor,
  input: { campaign: Campaign; unitId: number; fields: NewItemFields; today: CalendarDate; now: Date },
): Promise<{ item: LedgerItem; category: ProblemCategory; leader: Person; person: Person; notified: string[] }> {
  const { fields, unitId, today } = input
  const categories = await ds.getRepository(ProblemCategorySchema).findBy({ campaignId: input.campaign.id })
  const category = matchCategory(categories, fields.category)
  const leader = await resolvePerson(ds, unitId, fields.leader, '责任领导')
  const person = await resolvePerson(ds, unitId, fields.person, '责任人')
  const problems: string[] = []
  if (!category) problems.push(unknownCategoryText(categories, fields.category))
  if (typeof leader === 'string') problems.push(leader)
  if (typeof person === 'string') problems.push(person)
  // A refused date names its year: one typed without it may have been read as this year's or next (docs/chat-input.md).
  if (fields.dueDate < today) problems.push(`完成时限 ${formatChineseDate(fields.dueDate)} 已过`)
  const { campaign } = input
  if (fields.dueDate > latestDate(campaign)) problems.push(`完成时限 ${formatChineseDate(fields.dueDate, today)} 太远：最晚可写 ${formatChineseDate(latestDate(campaign), today)}（专项治理结束后一年）`)
  if (problems.length > 0) {
    // Usage only when a field could not be read (the category); people and dates that were read are refused plainly.
    const Refusal = category ? RefusalError : UserFacingError
    throw new Refusal('bad_fields', `未登记，请修改后重发：\n${problems.map((p) => `- ${p}`).join('\n')}`)
  }
  return ds.transaction(async (manager) => {
    const { item, notified } = await insertLedgerItem(manager, actor, {
      campaignId: campaign.id,
      unitId,
      categoryId: category!.id,
      problem: fields.problem,
      measures: fields.measures,
      target: fields.target,
      dueDate: fields.dueDate,
      department: fields.department,
      leader: leader as Person,
      person: person as Person,
      today,
      now: input.now,
    })
    return { item, category: category!, leader: leader as Person, person: person as Person, notified }
  })
}

/**
 * Writes a checked ledger item inside the caller's transaction: the item, its history row, the
 * unit's place in the campaign, and the notice to its responsible people.
 */
export async function insertLedgerItem(
  manager: EntityManager,
  actor: Actor,
  input: {
    campaignId: number
    unitId: number
    categoryId: number
    problem: string
    measures: string
    target: string
    dueDate: CalendarDate
    department: string | null
    leader: Person
    person: Person
    today: CalendarDate
    now: Date
    /** false: the caller sends its own notice instead (a finding's, docs/inspections.md). */
    notify?: boolean
  },
): Promise<{ item: LedgerItem; notified: string[] }> {
  const { leader, person, today } = input
  const scope = { campaignId: input.campaignId, unitId: input.unitId, problemKey: problemKey(input.problem) }
  const registered = await findOneForUpdate(manager, LedgerItemSchema, scope)
  if (registered) throw await alreadyRegistered(manager, registered, input.now)
  const item = await manager.save(LedgerItemSchema, {
    campaignId: input.campaignId,
    unitId: input.unitId,
    categoryId: input.categoryId,
    problem: input.problem,
    problemKey: scope.problemKey,
    measures: input.measures,
    target: input.target,
    dueDate: input.dueDate,
    originalDueDate: input.dueDate,
    responsibleDepartment: input.department,
    responsibleLeaderId: leader.id,
    responsiblePersonId: person.id,
    status: 'open',
    progress: 0,
    isPublic: false,
    isTypicalCase: false,
  } as LedgerItem).catch(async (error: unknown) => {
    // The same problem registered at this moment by someone else: the index says so once theirs commits.
    const theirs = isUniqueViolation(error) ? await findOneForUpdate(manager, LedgerItemSchema, scope) : null
    throw theirs ? await alreadyRegistered(manager, theirs, input.now) : error
  })
  await manager.insert(ProgressUpdateSchema, {
    ledgerItemId: item.id,
    personId: actor.person.id,
    kind: 'created',
    oldStatus: null,
    newStatus: 'open',
    oldProgress: null,
    newProgress: 0,
    note: `${actor.person.name}登记`,
  })
  await addCampaignUnit(manager, input.campaignId, input.unitId, 'participant')
  if (input.notify === false) return { item, notified: [] }
  const notified = await notifyPeople(
    manager,
    [person.id, leader.id],
    `registered:${item.id}`,
    { kind: 'item', id: item.id },
    `**新登记台账 #${item.id}**\n${inertText(input.problem)}\n措施：${inertText(input.measures)}\n时限：${formatChineseDate(input.dueDate, today)}；责任领导 ${inertText(leader.name)}，责任人 ${inertText(person.name)}\n反馈进度：进度 ${item.id} 百分比 说明`,
    input.now,
    actor.person.id,
  )
  return { item, notified }
}

/** The refusal of a problem the unit has registered already: which item, who, when. */
async function alreadyRegistered(manager: EntityManager, item: LedgerItem, now: Date): Promise<StateConflictError> {
  const created = await lastChange(manager, item.id, ['created'])
  return new StateConflictError('duplicate', `未登记：该问题已登记过：#${item.id}（${doneBy(created, now).replace(/^已/, '')}登记），无需重复。查看：详情 ${item.id}`)
}
