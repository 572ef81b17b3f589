import { type DataSource, type EntityManager } from 'typeorm'
import { inertText } from '../../wecom/inert-text.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { AccountabilitySchema, InspectionSchema, PersonSchema, UnitSchema, type Accountability, type AccountabilityMeasure, type Person, type Unit } from '../../db/entities/index.js'
import type { Actor } from '../ledger/ledger-access.js'
import { notifyPeople } from '../ledger/notify.js'
import { findUnitByName, unknownUnitText } from '../roster/find-unit.js'
import { quoteTyped } from '../text/text-limits.js'
import { unitHeadAndLiaison } from './record-finding.js'

/** The measures as 组织部 names them (docs/inspections.md, Accountability), mildest first. */
export const MEASURE_NAMES: Readonly<Record<AccountabilityMeasure, string>> = {
  talk_reminder: '谈话提醒',
  criticism: '批评教育',
  self_review: '责令检查',
  circulated_criticism: '通报批评',
  admonishment: '诫勉',
  organizational: '组织处理',
  disciplinary: '纪律处分',
}

export const MEASURES = Object.keys(MEASURE_NAMES) as AccountabilityMeasure[]

/** "诫勉", also "诫勉谈话", "纪律处分（移送纪委）", "移送纪委"; undefined when none fits. */
export function measureByName(typed: string): AccountabilityMeasure | undefined {
  const text = typed.normalize('NFKC').replace(/\s+/g, '')
  const bare = text.replace(/\(.*\)$/, '')
  const exact = MEASURES.find((m) => MEASURE_NAMES[m] === text || MEASURE_NAMES[m] === bare)
  if (exact) return exact
  const aliases: Record<string, AccountabilityMeasure> = { 提醒谈话: 'talk_reminder', 诫勉谈话: 'admonishment', 移送纪委: 'disciplinary', 责令作出检查: 'self_review', 责令书面检查: 'self_review' }
  return aliases[text] ?? aliases[bare]
}

/** The measures as a person may write them: "谈话提醒、批评教育、…、纪律处分". */
export const MEASURE_CHOICES = MEASURES.map((m) => MEASURE_NAMES[m]).join('、')

/** What 问责 登记 asks for, typed: the unit, the person and the finding by what was written. */
export interface AccountabilityTargets {
  unit?: string
  person?: string
  inspectionId?: number
}

/** The unit (and person, finding) a decision concerns, or every problem with them, for one refusal. */
export type ResolvedTargets = { unit: Unit; person: Person | null; inspectionId: number | null; problems: [] } | { problems: string[] }

/**
 * Reads who a decision concerns: the finding (of this campaign), the unit (the finding's when
 * none is written; the same as the finding's when both are), and the person, an active member
 * of that unit on the roster. Every problem is listed at once.
 */
export async function resolveTargets(db: DataSource | EntityManager, campaignId: number, typed: AccountabilityTargets): Promise<ResolvedTargets> {
  const manager = 'manager' in db ? db.manager : db
  const problems: string[] = []
  const inspection = typed.inspectionId === undefined ? null : await manager.findOneBy(InspectionSchema, { id: typed.inspectionId, campaignId })
  if (typed.inspectionId !== undefined && !inspection) problems.push(`没有督查#${typed.inspectionId}（本专项治理的督查记录）`)
  let unit: Unit | null = null
  if (typed.unit) {
    unit = await findUnitByName(manager, typed.unit)
    if (!unit) problems.push(unknownUnitText(typed.unit, (await manager.find(UnitSchema, { order: { id: 'ASC' } })).map((u) => u.name)))
  } else if (inspection) unit = await manager.findOneBy(UnitSchema, { id: inspection.unitId })
  else if (typed.inspectionId === undefined) problems.push('缺少 单位')
  if (unit && inspection && inspection.unitId !== unit.id) {
    const theirs = await manager.findOneBy(UnitSchema, { id: inspection.unitId })
    problems.push(`督查#${inspection.id} 是${theirs?.name ?? '另一单位'}的，不是${unit.name}的`)
  }
  let person: Person | null = null
  if (typed.person) {
    const found = await personOfUnit(manager, unit, typed.person)
    if (typeof found === 'string') problems.push(found)
    else person = found
  }
  if (problems.length > 0 || !unit) return { problems }
  return { unit, person, inspectionId: inspection?.id ?? null, problems: [] }
}

/** An active person of the unit by name or userid, or why not. */
async function personOfUnit(manager: EntityManager, unit: Unit | null, typed: string): Promise<Person | string> {
  const people = await manager.find(PersonSchema, { where: [{ name: typed, active: true }, { userid: typed.toLowerCase(), active: true }] })
  if (people.length === 0) return `对象「${quoteTyped(typed)}」不在花名册中`
  if (!unit) return people[0]!
  const inUnit = people.filter((p) => p.unitId === unit.id)
  if (inUnit.length === 1) return inUnit[0]!
  if (inUnit.length > 1) return `对象「${quoteTyped(typed)}」有重名：${inUnit.map((p) => `${p.name}（${p.userid}）`).join('、')}，请改写企业微信账号`
  return `对象「${quoteTyped(typed)}」不是${unit.name}的人员`
}

export interface AccountabilityInput {
  campaignId: number
  unit: Unit
  person: Person | null
  inspectionId: number | null
  measure: AccountabilityMeasure
  decidedOn: CalendarDate
  note: string
  /** 组织部 chose to tell the person concerned (for a unit: its head). */
  notify: boolean
}

/** Who was told: their names; or, when 组织部 asked for it and nobody could be, why. */
export interface Told {
  names: string[]
  /** Set when notification was asked for and nobody active could receive it. */
  nobody: string | null
}

/**
 * 问责 登记: the decision, and when 组织部 chose so, one message to the person concerned (for a
 * unit, its head) saying the measure and the date — never the note, which may name who reported
 * (docs/inspections.md, Confidentiality) — with notified_at set; one transaction.
 */
export async function recordAccountability(ds: DataSource, actor: Actor, input: AccountabilityInput, now: Date): Promise<{ record: Accountability; told: Told }> {
  return ds.transaction(async (manager) => {
    const record = await manager.save(AccountabilitySchema, {
      campaignId: input.campaignId,
      inspectionId: input.inspectionId,
      unitId: input.unit.id,
      personId: input.person?.id ?? null,
      measure: input.measure,
      decidedOn: input.decidedOn,
      note: input.note,
      recordedById: actor.person.id,
      notifiedAt: null,
      // When 组织部 recorded it, by the injected clock (详情 says so).
      createdAt: now,
    } as Accountability)
    if (!input.notify) return { record, told: { names: [], nobody: null } }
    const recipient = input.person ?? (await unitHeadAndLiaison(manager, input.unit.id)).head
    if (!recipient) return { record, told: { names: [], nobody: `${input.unit.name}在花名册中没有第一责任人` } }
    const concerned = input.person ? `${inertText(input.person.name)}（${inertText(input.unit.name)}）` : inertText(input.unit.name)
    const content = `**问责告知**\n对象：${concerned}\n措施：${MEASURE_NAMES[input.measure]}\n日期：${formatChineseDate(input.decidedOn)}\n如有疑问，请与县委组织部干部监督科联系。`
    const sent = await notifyPeople(manager, [recipient.id], `accountability:${record.id}`, { kind: 'accountability', id: record.id }, content, now)
    if (sent.length === 0) return { record, told: { names: [], nobody: `${recipient.name}已不在花名册中` } }
    await manager.update(AccountabilitySchema, { id: record.id }, { notifiedAt: now })
    record.notifiedAt = now
    return { record, told: { names: [recipient.name], nobody: null } }
  })
}
