import type { DataSource } from 'typeorm'
import { CampaignSchema, PersonSchema, ProblemCategorySchema, RoleAssignmentSchema, UnitSchema, type Campaign, type Meeting, type Person, type ProblemCategory, type Unit } from '../../db/entities/index.js'
import { UserFacingError } from '../../errors.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { latestDate } from '../campaign/date-bound.js'
import { matchCategory, unknownCategoryText } from '../ledger/register-item.js'
import { findUnitByName, unknownUnitOr } from '../roster/find-unit.js'
import { quoteTyped } from '../text/text-limits.js'

/** A decision line: "内容 @单位 日期 [（类别）]" becomes a ledger item of that unit due that day. */
export interface Decision {
  text: string
  unit?: string
  due?: CalendarDate
  category?: string
}

/** A decision with what it is assigned to: a unit, its contacts and a category (none for a decision naming no unit). */
export interface PlannedDecision {
  decision: Decision
  unit?: { id: number; name: string; head: Person; liaison: Person }
  category?: ProblemCategory
}

/** What every decision of one meeting's minutes is matched against, and the problems found so far. */
interface MinutesMatch {
  readonly ds: DataSource
  readonly categories: readonly ProblemCategory[]
  readonly campaign: Campaign
  readonly today: CalendarDate
  readonly problems: string[]
}

/**
 * Each decision's unit, contacts and category, read before the minutes' transaction; refuses
 * the minutes whole, naming every problem, when any decision cannot be assigned.
 */
export async function planDecisions(ds: DataSource, meeting: Meeting, decisions: readonly Decision[], today: CalendarDate): Promise<PlannedDecision[]> {
  const categories = await ds.getRepository(ProblemCategorySchema).findBy({ campaignId: meeting.campaignId })
  const campaign = await ds.getRepository(CampaignSchema).findOneByOrFail({ id: meeting.campaignId })
  const match: MinutesMatch = { ds, categories, campaign, today, problems: [] }
  const planned: PlannedDecision[] = []
  for (const decision of decisions) {
    const item = await planDecision(match, decision)
    if (item) planned.push(item)
  }
  const { problems } = match
  if (problems.length > 0) throw new UserFacingError('bad_minutes', `纪要未记录，请修改后重发：\n${problems.map((p) => `- ${p}`).join('\n')}`)
  return planned
}

/** One decision; undefined when it names a unit it cannot be assigned to (the problem added). */
async function planDecision(match: MinutesMatch, decision: Decision): Promise<PlannedDecision | undefined> {
  const { ds, categories, problems } = match
  if (!decision.unit) return { decision }
  const unit = await findUnitByName(ds, decision.unit)
  if (!unit) {
    const names = (await ds.getRepository(UnitSchema).find({ select: { id: true, name: true }, order: { id: 'ASC' } })).map((u) => u.name)
    problems.push(unknownUnitOr(decision.unit, names, `「${quoteTyped(decision.unit)}」不是花名册中的单位`))
    return undefined
  }
  const dueProblem = checkDue(match, unit, decision.due)
  if (dueProblem) problems.push(dueProblem)
  const contacts = await unitContacts(ds, unit)
  if (!contacts) {
    problems.push(`${unit.name}没有第一责任人或联络员，无法交办`)
    return undefined
  }
  const category = decision.category ? matchCategory(categories, decision.category) : (matchCategory(categories, decision.text) ?? categories.find((c) => c.number === 2))
  if (!category) {
    problems.push(unknownCategoryText(categories, decision.category ?? ''))
    return undefined
  }
  const [headPerson, liaisonPerson] = await Promise.all([ds.getRepository(PersonSchema).findOneByOrFail({ id: contacts.head }), ds.getRepository(PersonSchema).findOneByOrFail({ id: contacts.liaison })])
  return { decision, unit: { id: unit.id, name: unit.name, head: headPerson, liaison: liaisonPerson }, category }
}

/** What is wrong with a decision's due date: missing, past, or beyond the campaign's last date. */
function checkDue(match: MinutesMatch, unit: Unit, due: CalendarDate | undefined): string | undefined {
  const { campaign, today } = match
  if (!due) return `交办${unit.name}的事项缺少完成时限（如 9月30日）`
  if (due < today) return `交办${unit.name}的完成时限 ${formatChineseDate(due, today)} 已过`
  if (due > latestDate(campaign)) return `交办${unit.name}的完成时限 ${formatChineseDate(due, today)} 太远：最晚可写 ${formatChineseDate(latestDate(campaign), today)}`
  return undefined
}

/**
 * Who a unit's decision is assigned to: its head (else its leader) as responsible leader, its
 * liaison (else its leader, else its head) as responsible person; undefined when it has neither.
 */
async function unitContacts(ds: DataSource, unit: Unit): Promise<{ head: number; liaison: number } | undefined> {
  const contacts = await ds
    .createQueryBuilder()
    .select('p.id', 'id')
    .addSelect('r.role', 'role')
    .from(PersonSchema, 'p')
    .innerJoin(RoleAssignmentSchema.options.name, 'r', 'r.person_id = p.id')
    .where("r.unit_id = :unit AND r.role IN ('unit_head', 'leader', 'liaison') AND p.active = :active", { unit: unit.id, active: true })
    .orderBy('p.id')
    .getRawMany<{ id: number; role: string }>()
  const pick = (...roles: string[]) => roles.map((role) => contacts.find((c) => c.role === role)).find((c) => c !== undefined)
  const head = pick('unit_head', 'leader')
  const liaison = pick('liaison', 'leader', 'unit_head')
  if (!head || !liaison) return undefined
  return { head: Number(head.id), liaison: Number(liaison.id) }
}
