import type { DataSource, EntityManager } from 'typeorm'
import { PersonSchema, ProblemCategorySchema, UnitSchema, type Campaign, type Person } from '../../db/entities/index.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { latestDate } from '../campaign/date-bound.js'
import { matchCategory, unknownCategoryText } from '../ledger/register-item.js'
import { findUnitByName, unknownUnitText } from '../roster/find-unit.js'
import { characters, quoteTyped, TEXT_LIMITS } from '../text/text-limits.js'
import { METHOD_NAMES, METHODS, methodByName } from './inspection-methods.js'
import type { FindingInput } from './record-finding.js'

/** A finding as typed (督查 登记) or read from a spreadsheet row: every field a text, any may be missing. */
export interface TypedFinding {
  unit?: string
  date?: string
  method?: string
  findings?: string
  category?: string
  rectify?: string
  due?: string
  leader?: string
  person?: string
  typical?: string
}

/** The fields' names as people write them, in the order problems are listed. */
export const FINDING_FIELD_NAMES: Readonly<Record<keyof TypedFinding, string>> = {
  unit: '单位',
  date: '日期',
  method: '方式',
  findings: '发现',
  category: '类别',
  rectify: '整改',
  due: '时限',
  leader: '责任领导',
  person: '责任人',
  typical: '典型',
}

/** The longest findings text: a ledger item's problem (docs/limits.md), since it becomes one. */
export const FINDINGS_MAX = TEXT_LIMITS.problem.max

export interface CheckedFinding {
  /** null when anything is wrong. */
  input: FindingInput | null
  /** Every problem, in Chinese, in the order of the fields; the missing ones on one line ("缺少 日期、方式"). */
  problems: string[]
  /** The same, each with the field it is about (a missing one each its own "缺少日期"), for an import's report. */
  fieldProblems: { key: keyof TypedFinding; reason: string }[]
  /** Some field is missing or not in a form that can be read (then the answer adds the usage). */
  unreadable: boolean
}

/** "是" / "否" (also 须整改, 不需要…) → true / false; undefined when neither. */
export function yesNo(typed: string): boolean | undefined {
  const text = typed.normalize('NFKC').trim().toLowerCase()
  if (['是', '须整改', '需整改', '需要', '要', 'y', 'yes'].includes(text)) return true
  if (['否', '不', '无', '不需要', '无需', '不需整改', '无需整改', 'n', 'no'].includes(text)) return false
  return undefined
}

/**
 * Reads and checks a typed finding against the campaign: unit, dates (by `readDate`, which
 * throws the Chinese reason when it cannot read one), method, category, whether it must be
 * rectified, the due date and the named people. Every problem is listed at once; nothing is
 * written. 类别 is required when the finding must be rectified (its ledger item has one).
 */
export async function checkFinding(
  db: DataSource | EntityManager,
  campaign: Pick<Campaign, 'id' | 'startDate' | 'endDate'>,
  typed: TypedFinding,
  today: CalendarDate,
  readDate: (text: string) => CalendarDate,
): Promise<CheckedFinding> {
  const manager = 'manager' in db ? db.manager : db
  const fieldProblems: CheckedFinding['fieldProblems'] = []
  let unreadable = false
  const problem = (key: keyof TypedFinding, reason: string) => fieldProblems.push({ key, reason })
  const value = (key: keyof TypedFinding) => typed[key]?.trim() || undefined
  const rectify = value('rectify') === undefined ? undefined : yesNo(value('rectify')!)
  const required: (keyof TypedFinding)[] = ['unit', 'date', 'method', 'findings', 'rectify', ...(rectify === true ? (['category'] as const) : [])]
  const missing = required.filter((key) => value(key) === undefined)
  if (missing.length > 0) unreadable = true

  const unitText = value('unit')
  const unit = unitText === undefined ? null : await findUnitByName(manager, unitText)
  if (unitText !== undefined && !unit) {
    const names = (await manager.find(UnitSchema, { select: { id: true, name: true }, order: { id: 'ASC' } })).map((u) => u.name)
    problem('unit', unknownUnitText(unitText, names).trim())
  }

  const readOne = (key: 'date' | 'due'): CalendarDate | undefined => {
    const text = value(key)
    if (text === undefined) return undefined
    try {
      return readDate(text)
    } catch (error) {
      unreadable = true
      problem(key, `${FINDING_FIELD_NAMES[key]}：${(error as Error).message}`)
      return undefined
    }
  }
  const inspectedOn = readOne('date')
  if (inspectedOn !== undefined && inspectedOn > today) problem('date', `检查日期 ${formatChineseDate(inspectedOn, today)} 还没到`)
  if (inspectedOn !== undefined && inspectedOn < campaign.startDate) problem('date', `检查日期 ${formatChineseDate(inspectedOn, today)} 早于专项治理开始（${formatChineseDate(campaign.startDate, today)}）`)

  const methodText = value('method')
  const method = methodText === undefined ? undefined : methodByName(methodText)
  if (methodText !== undefined && !method) {
    unreadable = true
    problem('method', `方式「${quoteTyped(methodText)}」无法识别，可写：${METHODS.map((m) => METHOD_NAMES[m]).join('、')}`)
  }

  const findings = value('findings')
  if (findings !== undefined && characters(findings) > FINDINGS_MAX) problem('findings', `发现的问题太长：${characters(findings).toLocaleString('en-US')} 字，上限 ${FINDINGS_MAX} 字`)

  if (value('rectify') !== undefined && rectify === undefined) {
    unreadable = true
    problem('rectify', `整改「${quoteTyped(value('rectify')!)}」无法识别，应写 是 或 否`)
  }

  const categoryText = value('category')
  let categoryId: number | null = null
  if (categoryText !== undefined) {
    const categories = await manager.find(ProblemCategorySchema, { where: { campaignId: campaign.id } })
    const category = matchCategory(categories, categoryText)
    if (category) categoryId = category.id
    else {
      unreadable = true
      problem('category', unknownCategoryText(categories, categoryText))
    }
  }

  const dueDate = rectify === true ? readOne('due') : undefined
  if (dueDate !== undefined && dueDate < today) problem('due', `时限 ${formatChineseDate(dueDate)} 已过`)
  if (dueDate !== undefined && dueDate > latestDate(campaign)) problem('due', `时限 ${formatChineseDate(dueDate, today)} 太远：最晚可写 ${formatChineseDate(latestDate(campaign), today)}（专项治理结束后一年）`)

  const person = async (key: 'leader' | 'person'): Promise<Person | undefined> => {
    const text = value(key)
    if (text === undefined || rectify !== true || !unit) return undefined
    const found = await manager.find(PersonSchema, { where: [{ name: text, active: true }, { userid: text.toLowerCase(), active: true }] })
    const inUnit = found.filter((p) => p.unitId === unit.id)
    if (inUnit.length === 1) return inUnit[0]
    const role = FINDING_FIELD_NAMES[key]
    if (inUnit.length > 1) problem(key, `${role}「${quoteTyped(text)}」有重名：${inUnit.map((p) => `${p.name}（${p.userid}）`).join('、')}，请改写企业微信账号`)
    else problem(key, found.length > 0 ? `${role}「${quoteTyped(text)}」不是${unit.name}人员` : `${role}「${quoteTyped(text)}」不在花名册中`)
    return undefined
  }
  const leader = await person('leader')
  const responsible = await person('person')

  const typicalText = value('typical')
  const typical = typicalText === undefined ? false : yesNo(typicalText)
  if (typical === undefined) {
    unreadable = true
    problem('typical', `典型「${quoteTyped(typicalText!)}」无法识别，应写 是 或 否`)
  }

  const problems = [...(missing.length > 0 ? [`缺少 ${missing.map((key) => FINDING_FIELD_NAMES[key]).join('、')}`] : []), ...fieldProblems.map((p) => p.reason)]
  fieldProblems.unshift(...missing.map((key) => ({ key, reason: `缺少${FINDING_FIELD_NAMES[key]}` })))
  if (problems.length > 0) return { input: null, problems, fieldProblems, unreadable }
  return {
    input: {
      campaignId: campaign.id,
      unitId: unit!.id,
      inspectedOn: inspectedOn!,
      method: method!,
      findings: findings!,
      categoryId,
      mustRectify: rectify!,
      ...(dueDate === undefined ? {} : { dueDate }),
      ...(leader ? { leaderId: leader.id } : {}),
      ...(responsible ? { personId: responsible.id } : {}),
      isTypicalCase: typical === true,
    },
    problems,
    fieldProblems,
    unreadable,
  }
}
