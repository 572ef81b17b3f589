import { MoreThan, type DataSource } from 'typeorm'
import { LedgerItemSchema, PersonSchema, ProblemCategorySchema, UnitSchema, type Campaign, type LedgerItem, type Person, type ProblemCategory, type Unit } from '../../db/entities/index.js'
import { problemKey } from '../../db/problem-key.js'
import { matchCategory, unknownCategoryText } from '../ledger/register-item.js'
import { unknownUnitOr } from '../roster/find-unit.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { cellDate, text, type problemCollector } from './import-report.js'
import type { TableRow } from './read-table.js'

const YES = new Set(['是', '公开', 'y', 'yes', '1', '√', '✓'])
const NO = new Set(['否', '不公开', 'n', 'no', '0', ''])

/** An item as an import compares a row with it. */
export type KnownItem = Pick<LedgerItem, 'id' | 'unitId' | 'categoryId' | 'problem' | 'measures' | 'target' | 'dueDate' | 'responsibleDepartment' | 'responsibleLeaderId' | 'responsiblePersonId' | 'isPublic'>

const KNOWN_FIELDS = {
  id: true,
  unitId: true,
  categoryId: true,
  problem: true,
  measures: true,
  target: true,
  dueDate: true,
  responsibleDepartment: true,
  responsibleLeaderId: true,
  responsiblePersonId: true,
  isPublic: true,
} as const

/** A checked row of 工作台账: a new item (`id` null) or the item it updates. */
export interface PlannedItem {
  id: number | null
  unitId: number
  categoryId: number
  problem: string
  /** problemKey(problem), worked out once. */
  problemKey: string
  measures: string
  target: string
  dueDate: CalendarDate
  department: string | null
  leaderId: number
  personId: number
  isPublic: boolean
}

/** What every row is matched against (read once, before any row), and the rows seen so far. */
export interface LedgerMatch {
  readonly campaign: Campaign
  /** The year a date without one (9月30日) falls in: the campaign's. */
  readonly year: number
  readonly units: ReadonlyMap<string, Unit>
  readonly peopleByUnit: ReadonlyMap<number | null, Person[]>
  /** Every active person's name, to tell "not of this unit" from "not on the roster". */
  readonly names: ReadonlySet<string>
  readonly categories: readonly ProblemCategory[]
  /** The campaign's items by 编号, as first read. */
  readonly byId: ReadonlyMap<number, KnownItem>
  /** The highest item id (any campaign) before the items were read. */
  readonly maxId: number
  /** The campaign's items' ids by unit and problem key (textKey). */
  readonly byText: ReadonlyMap<string, number>
  /** The row that first named each item (by 编号 or by textKey). */
  readonly seen: Map<string, number>
  readonly add: ReturnType<typeof problemCollector>['add']
}

// The same problem as 登记 sees it: whitespace and full-width forms do not count (docs/concurrency.md, The same problem registered twice).
const textKey = (unitId: number, problem: string) => keyOf(unitId, problemKey(problem))

/** An item's unit and problem key as one map key. */
export const keyOf = (unitId: number, key: string | null) => `${unitId}\n${key}`

/**
 * The campaign's items, only what a row is compared with, 10,000 at a time: a province's 200,000
 * whole entities, and TypeORM's raw rows beside them, would take most of a gigabyte.
 */
async function knownItems(ds: DataSource, campaignId: number): Promise<KnownItem[]> {
  const items: KnownItem[] = []
  for (let after = 0; ; ) {
    const page = (await ds.getRepository(LedgerItemSchema).find({ select: KNOWN_FIELDS, where: { campaignId, id: MoreThan(after) }, order: { id: 'ASC' }, take: 10_000 })) as KnownItem[]
    items.push(...page)
    if (page.length < 10_000) return items
    after = page.at(-1)!.id
  }
}

/** Reads the units, the active people, the campaign's categories and its items, in this order. */
export async function loadLedgerMatch(ds: DataSource, campaign: Campaign, add: LedgerMatch['add']): Promise<LedgerMatch> {
  const units = new Map((await ds.getRepository(UnitSchema).find()).map((u) => [u.name, u]))
  const people = await ds.getRepository(PersonSchema).findBy({ active: true })
  const peopleByUnit = new Map<number | null, Person[]>()
  for (const p of people) {
    const list = peopleByUnit.get(p.unitId)
    if (list) list.push(p)
    else peopleByUnit.set(p.unitId, [p])
  }
  const names = new Set(people.map((p) => p.name))
  const categories = await ds.getRepository(ProblemCategorySchema).findBy({ campaignId: campaign.id })
  // Read before the items: whatever is added after is above it (the batches look there).
  const maxId = Number((await ds.getRepository(LedgerItemSchema).maximum('id')) ?? 0)
  const existing = await knownItems(ds, campaign.id)
  const byId = new Map(existing.map((i) => [i.id, i]))
  const byText = new Map(existing.map((i) => [textKey(i.unitId, i.problem), i.id]))
  const year = Number(campaign.startDate.slice(0, 4))
  return { campaign, year, units, peopleByUnit, names, categories, byId, byText, maxId, seen: new Map(), add }
}

/** One row checked, every problem with it added; the item to write when it has none of its own. */
export function planRow(match: LedgerMatch, row: TableRow): PlannedItem | undefined {
  const unit = unitOf(match, row)
  const id = idOf(match, row)
  const category = categoryOf(match, row)
  const { problem, measures, target } = textsOf(match, row)
  const due = dueOf(match, row)
  const publicText = text(row.cells.public).toLowerCase()
  if (!YES.has(publicText) && !NO.has(publicText)) match.add(row, 'public', `是否公开「${publicText}」请写 是 或 否`)
  const leader = unit ? personOf(match, unit.id, text(row.cells.leader), row, 'leader', '责任领导') : undefined
  const responsible = unit ? personOf(match, unit.id, text(row.cells.person), row, 'person', '具体责任人') : undefined
  const key = unit && problem ? textKey(unit.id, problem) : ''
  if (unit && problem) checkDuplicate(match, row, key, id)
  if (unit && category && problem && measures && target && due && leader && responsible) {
    return { id: id ?? match.byText.get(key) ?? null, unitId: unit.id, categoryId: category.id, problem, problemKey: key.slice(key.indexOf('\n') + 1), measures, target, dueDate: due, department: text(row.cells.department) || null, leaderId: leader.id, personId: responsible.id, isPublic: YES.has(publicText) }
  }
  return undefined
}

function unitOf(match: LedgerMatch, row: TableRow): Unit | undefined {
  const unitName = text(row.cells.unit)
  const unit = match.units.get(unitName)
  if (!unitName) match.add(row, 'unit', '缺少单位')
  else if (!unit) match.add(row, 'unit', unknownUnitOr(unitName, [...match.units.keys()], `单位「${unitName}」不在花名册中（请先导入单位）`))
  return unit
}

/** The 编号 typed, null when left empty (a new item). */
function idOf(match: LedgerMatch, row: TableRow): number | null {
  const idText = text(row.cells.id).replace(/^#/, '')
  let id: number | null = null
  if (idText) {
    id = Number(idText)
    if (!Number.isInteger(id) || !match.byId.has(id)) match.add(row, 'id', `编号「${idText}」不是本专项治理的台账条目（新条目请留空）`)
  }
  return id
}

function categoryOf(match: LedgerMatch, row: TableRow): ProblemCategory | undefined {
  const typedCategory = text(row.cells.category)
  const category = typedCategory ? matchCategory(match.categories, typedCategory) : undefined
  if (!category) match.add(row, 'category', typedCategory ? unknownCategoryText(match.categories, typedCategory) : '缺少问题类别')
  return category
}

function textsOf(match: LedgerMatch, row: TableRow): { problem: string; measures: string; target: string } {
  const problem = text(row.cells.problem)
  const measures = text(row.cells.measures)
  const target = text(row.cells.target)
  if (!problem) match.add(row, 'problem', '缺少问题描述')
  if (!measures) match.add(row, 'measures', '缺少整改措施')
  if (!target) match.add(row, 'target', '缺少整治目标')
  return { problem, measures, target }
}

function dueOf(match: LedgerMatch, row: TableRow): CalendarDate | null {
  const { campaign } = match
  const due = cellDate(row.cells.due ?? null, match.year)
  if (!text(row.cells.due)) match.add(row, 'due', '缺少完成时限')
  else if (!due) match.add(row, 'due', `完成时限「${text(row.cells.due)}」不是能识别的日期，可写 2015-09-30、2015年9月30日 或 9月30日`)
  else if (due < campaign.startDate) match.add(row, 'due', `完成时限 ${formatChineseDate(due)} 早于专项治理开始（${formatChineseDate(campaign.startDate)}）`)
  return due
}

/** A responsible leader or person: by name in the unit, or by userid. */
function personOf(match: LedgerMatch, unitId: number, typed: string, row: TableRow, key: string, role: string): Person | undefined {
  if (!typed) {
    match.add(row, key, `缺少${role}`)
    return undefined
  }
  const matches = (match.peopleByUnit.get(unitId) ?? []).filter((p) => p.name === typed || p.userid === typed.toLowerCase())
  if (matches.length === 1) return matches[0]
  if (matches.length > 1) match.add(row, key, `${role}「${typed}」有重名：${matches.map((p) => `${p.name}（${p.userid}）`).join('、')}，请改写企业微信账号`)
  else match.add(row, key, match.names.has(typed) ? `${role}「${typed}」不是本单位人员` : `${role}「${typed}」不在花名册中（请先导入人员）`)
  return undefined
}

/** The same item twice in the file, or a 编号 given a problem another item already has. */
function checkDuplicate(match: LedgerMatch, row: TableRow, textKey: string, id: number | null): void {
  const key = id ? `#${id}` : textKey
  if (match.seen.has(key)) match.add(row, null, `与第 ${match.seen.get(key)} 行是同一条目（同一单位、同一问题）`)
  match.seen.set(key, row.row)
  const holder = match.byText.get(textKey)
  if (id && holder && holder !== id) match.add(row, 'problem', `与已登记的 #${holder} 是同一问题（同一单位），请合并或修改问题描述`)
}
