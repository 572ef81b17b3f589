import { In, type DataSource, type EntityManager } from 'typeorm'
import { inertText } from '../../wecom/inert-text.js'
import { RefusalError, StateConflictError } from '../../errors.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import {
  InspectionSchema,
  PersonSchema,
  ProblemCategorySchema,
  PublicReportReporterSchema,
  PublicReportSchema,
  RoleAssignmentSchema,
  UnitSchema,
  type Campaign,
  type Inspection,
  type LedgerItem,
  type Person,
  type PublicReport,
  type PublicReportSource,
  type PublicReportVerdict,
  type Unit,
} from '../../db/entities/index.js'
import { formatChineseDate, formatWhen, type CalendarDate } from '../../time/calendar-date.js'
import { latestDate } from '../campaign/date-bound.js'
import type { Actor } from '../ledger/ledger-access.js'
import { shorten } from '../ledger/format-item.js'
import { notifyPeople } from '../ledger/notify.js'
import { matchCategory, unknownCategoryText } from '../ledger/register-item.js'
import { findUnitByName, unknownUnitText } from '../roster/find-unit.js'
import { quoteTyped } from '../text/text-limits.js'
import { SOURCE_NAMES, VERDICT_NAMES } from '../../read-model/public-reports.js'
import { recordFinding } from './record-finding.js'

/** Who reported: nobody named, or a name and (optionally) a contact. Stored apart, read only for 组织部 (docs/inspections.md, Confidentiality). */
export type ReporterInput = { anonymous: true } | { anonymous: false; name: string; contact: string | null }

/** 举报 登记, as read from the message. */
export interface NewPublicReport {
  source: PublicReportSource
  receivedOn: CalendarDate
  content: string
  /** The unit concerned, as typed (optional). */
  unit: string | null
  /** The person concerned, by name (optional). */
  concernedPerson: string | null
  reporter: ReporterInput
  /** The inspector to verify it, by name or userid. */
  inspector: string
  verifyBy: CalendarDate
}

export const ADMIN_ONLY_REPORTS = '举报件只有组织部（干部监督科）可以登记。'

/** The checks of a new report that need the database, each problem in words: the unit, the inspector, the dates, the reporter kept out of the text. */
export async function publicReportProblems(
  db: DataSource | EntityManager,
  campaign: Campaign,
  input: Partial<NewPublicReport>,
  today: CalendarDate,
): Promise<{ problems: string[]; unit: Unit | null; inspector: Person | null }> {
  const problems: string[] = []
  let unit: Unit | null = null
  if (input.unit) {
    unit = await findUnitByName(db, input.unit)
    if (!unit) problems.push(unknownUnitText(input.unit, (await db.getRepository(UnitSchema).find({ select: { id: true, name: true }, order: { id: 'ASC' } })).map((u) => u.name)).replace(/。$/, ''))
  }
  const inspector = input.inspector ? await inspectorNamed(db, input.inspector) : null
  if (typeof inspector === 'string') problems.push(inspector)
  if (input.receivedOn && input.receivedOn > today) problems.push(`受理日期 ${formatChineseDate(input.receivedOn)} 晚于今天`)
  if (input.verifyBy) {
    if (input.verifyBy < today) problems.push(`核查时限 ${formatChineseDate(input.verifyBy)} 已过`)
    else if (input.receivedOn && input.verifyBy < input.receivedOn) problems.push(`核查时限 ${formatChineseDate(input.verifyBy)} 早于受理日期`)
    if (input.verifyBy > latestDate(campaign)) problems.push(`核查时限 ${formatChineseDate(input.verifyBy, today)} 太远：最晚可写 ${formatChineseDate(latestDate(campaign), today)}（专项治理结束后一年）`)
  }
  // Whatever else is shown about a report goes to the inspector: who reported may stand only on the 举报人 line.
  if (input.reporter && !input.reporter.anonymous) {
    const { name, contact } = input.reporter
    const texts = [input.content, input.concernedPerson, input.unit].filter((t): t is string => !!t)
    if (texts.some((t) => (name.length >= 2 && t.includes(name)) || (contact !== null && contact.length >= 5 && t.includes(contact)))) {
      problems.push('内容或被举报单位、人员中含有举报人的姓名或联系方式：举报人信息只写在「举报人」一行，请删去后重发')
    }
  }
  return { problems, unit, inspector: typeof inspector === 'string' ? null : inspector }
}

/** An active person holding the inspector role, by name or userid; or what is wrong, in words. */
async function inspectorNamed(db: DataSource | EntityManager, typed: string): Promise<Person | string> {
  const people = await db.getRepository(PersonSchema).find({ where: [{ name: typed, active: true }, { userid: typed.toLowerCase(), active: true }] })
  const roles = people.length === 0 ? [] : await db.getRepository(RoleAssignmentSchema).find({ where: { personId: In(people.map((p) => p.id)), role: 'inspector' } })
  const inspectors = people.filter((p) => roles.some((r) => r.personId === p.id))
  if (inspectors.length === 1) return inspectors[0]!
  if (inspectors.length > 1) return `核查人「${quoteTyped(typed)}」有重名：${inspectors.map((p) => `${p.name}（${p.userid}）`).join('、')}，请改写企业微信账号`
  if (people.length > 0) return `核查人「${quoteTyped(typed)}」不是专项检查组成员`
  return `核查人「${quoteTyped(typed)}」不在花名册中`
}

/** What the inspector is told when a report is assigned to them: what it says and by when, never who reported it. */
function assignedNotice(report: PublicReport, unit: Unit | null, today: CalendarDate): string {
  const concerned = [unit ? inertText(unit.name) : null, report.concernedPerson ? inertText(report.concernedPerson) : null].filter(Boolean).join(' ')
  return [
    `**举报件待核查 #${report.id}**`,
    `${SOURCE_NAMES[report.source]}，${formatChineseDate(report.receivedOn, today)}受理${concerned ? `；涉及 ${concerned}` : ''}`,
    `内容：${inertText(report.content)}`,
    `请于 ${formatChineseDate(report.verifyBy, today)} 前核查，回复：举报 核查 ${report.id} 属实|部分属实|不属实 说明`,
    '举报件内容须保密，不得向被举报单位和人员透露。',
  ].join('\n')
}

/**
 * 举报 登记: the report, its reporter (in public_report_reporter, apart) and the notice to the
 * inspector assigned, in one transaction. Every problem is listed at once.
 */
export async function registerPublicReport(
  ds: DataSource,
  actor: Actor,
  campaign: Campaign,
  input: NewPublicReport,
  today: CalendarDate,
  now: Date,
): Promise<{ report: PublicReport; unit: Unit | null; inspector: Person; notified: string[] }> {
  if (!actor.roles.includes('org_admin')) throw new RefusalError('denied', ADMIN_ONLY_REPORTS)
  const { problems, unit, inspector } = await publicReportProblems(ds, campaign, input, today)
  if (problems.length > 0 || !inspector) throw new RefusalError('bad_fields', `未登记，请修改后重发：\n${problems.map((p) => `- ${p}`).join('\n')}`)
  return ds.transaction(async (manager) => {
    const report = await manager.save(PublicReportSchema, {
      campaignId: campaign.id,
      source: input.source,
      receivedOn: input.receivedOn,
      content: input.content,
      unitId: unit?.id ?? null,
      concernedPerson: input.concernedPerson,
      registeredById: actor.person.id,
      assignedToId: inspector.id,
      verifyBy: input.verifyBy,
      status: 'assigned',
      verdict: null,
      verdictNote: null,
      verifiedAt: null,
      inspectionId: null,
    } as PublicReport)
    const { reporter } = input
    await manager.insert(PublicReportReporterSchema, {
      publicReportId: report.id,
      anonymous: reporter.anonymous,
      name: reporter.anonymous ? null : reporter.name,
      contact: reporter.anonymous ? null : reporter.contact,
    })
    const notified = await notifyPeople(manager, [inspector.id], `public_report:${report.id}:assigned`, { kind: 'public_report', id: report.id }, assignedNotice(report, unit, today), now, actor.person.id)
    return { report, unit, inspector, notified }
  })
}

/** Words that would tell a unit its finding came from a report (docs/inspections.md, Confidentiality): a finding's text goes to the unit as it is. */
const ORIGIN_WORDS = ['举报', '投诉', '信访', '来电', '来信', '来访', '信箱', '热线'] as const

/** 举报 核查, as read from the message. */
export interface Verification {
  id: number
  verdict: PublicReportVerdict
  /** What the check found: for a report found (partly) true, the finding's text the unit reads. */
  note: string
  /** 无需整改 not said: the finding becomes a ledger item. */
  mustRectify: boolean
  /** The problem category as typed, e.g. "(六)": needed when the finding becomes a ledger item. */
  category: string | null
  /** The unit, as typed, for a report registered without one. */
  unit: string | null
}

/**
 * 举报 核查 by the inspector assigned or 组织部, in one transaction with the report's row locked
 * (docs/concurrency.md): two verifications at once make one finding, the second is told who
 * got there first. 属实 and 部分属实 become a finding (method 举报核查) through recordFinding,
 * whose notice says only that a check found it; 不属实 closes the report. 组织部 (but the sender)
 * is told the verdict.
 */
export async function verifyPublicReport(
  ds: DataSource,
  actor: Actor,
  input: Verification,
  today: CalendarDate,
  now: Date,
): Promise<{ report: PublicReport; unitName: string | null; inspection: Inspection | null; item: LedgerItem | null; notified: string[] }> {
  return ds.transaction(async (manager) => {
    const report = await findOneForUpdate(manager, PublicReportSchema, { id: input.id })
    if (!report) throw new RefusalError('no_report', `没有编号为 #${input.id} 的举报件。`)
    const admin = actor.roles.includes('org_admin')
    if (!admin && report.assignedToId !== actor.person.id) throw new RefusalError('denied', `举报 #${report.id} 未指派给您核查：只有指派的核查人和组织部（干部监督科）可以核查。`)
    if (report.status === 'verified') throw await alreadyVerified(manager, report, now)
    const unit = await unitOfVerification(manager, report, input.unit)
    let finding: { inspection: Inspection; item: LedgerItem | null; notified: string[] } | null = null
    if (input.verdict !== 'untrue') {
      const telling = ORIGIN_WORDS.find((word) => input.note.includes(word))
      if (telling) throw new RefusalError('reveals_origin', `核查说明将作为督查发现原文发给被查单位，不能出现「${telling}」等透露线索来源的字样：请只写查实的问题。`)
      if (!unit) throw new RefusalError('no_unit', `举报 #${report.id} 登记时没有写涉及单位：请在说明后写「@单位」，例：举报 核查 ${report.id} 属实 (六) 经查情况属实 @城关镇`)
      const categoryId = input.category === null ? null : await categoryOf(manager, report.campaignId, input.category)
      if (input.mustRectify && categoryId === null) {
        throw new RefusalError('no_category', `须整改的要写问题类别，例：举报 核查 ${report.id} 属实 (六) 说明；不需整改的写：举报 核查 ${report.id} 属实 无需整改 说明`)
      }
      finding = await recordFinding(
        manager,
        actor,
        { campaignId: report.campaignId, unitId: unit.id, inspectedOn: today, method: 'complaint', findings: input.note, categoryId, mustRectify: input.mustRectify },
        now,
      )
    }
    const verified = { status: 'verified', verdict: input.verdict, verdictNote: input.note, verifiedAt: now, inspectionId: finding?.inspection.id ?? null } as const
    await manager.update(PublicReportSchema, { id: report.id }, verified)
    Object.assign(report, verified)
    const outcome = finding ? `，已转为督查#${finding.inspection.id}${finding.item ? `（台账 #${finding.item.id}）` : ''}` : ''
    await notifyPeople(
      manager,
      [report.registeredById],
      `public_report:${report.id}:verified`,
      { kind: 'public_report', id: report.id },
      `**举报 #${report.id} 已核查：${VERDICT_NAMES[input.verdict]}**\n${unit ? `${inertText(unit.name)} · ` : ''}${shorten(report.content, 20)}\n核查人 ${inertText(actor.person.name)}${outcome}\n查看：举报 详情 ${report.id}`,
      now,
      actor.person.id,
    )
    return { report, unitName: unit?.name ?? null, inspection: finding?.inspection ?? null, item: finding?.item ?? null, notified: finding?.notified ?? [] }
  })
}

/** The unit a finding goes to: the report's, or the one named at verification for a report registered without one. */
async function unitOfVerification(manager: EntityManager, report: PublicReport, typed: string | null): Promise<Unit | null> {
  const registered = report.unitId === null ? null : await manager.findOneBy(UnitSchema, { id: report.unitId })
  if (typed === null) return registered
  const named = await findUnitByName(manager, typed)
  if (!named) throw new RefusalError('no_unit', unknownUnitText(typed, (await manager.find(UnitSchema, { select: { id: true, name: true }, order: { id: 'ASC' } })).map((u) => u.name)))
  if (registered && registered.id !== named.id) throw new RefusalError('other_unit', `举报 #${report.id} 涉及的是${inertText(registered.name)}，不是${inertText(named.name)}；不写「@单位」即按${inertText(registered.name)}处理。`)
  return named
}

async function categoryOf(manager: EntityManager, campaignId: number, typed: string): Promise<number> {
  const categories = await manager.find(ProblemCategorySchema, { where: { campaignId } })
  const category = matchCategory(categories, typed)
  if (!category) throw new RefusalError('bad_category', `${unknownCategoryText(categories, typed)}。`)
  return category.id
}

/** The refusal of a second verification: when, the verdict, and the finding (and its inspector) it became. */
async function alreadyVerified(manager: EntityManager, report: PublicReport, now: Date): Promise<StateConflictError> {
  const finding = report.inspectionId === null ? null : await manager.findOneBy(InspectionSchema, { id: report.inspectionId })
  const inspectorId = finding?.inspectorId ?? null
  const who = inspectorId === null ? null : (await manager.findOneBy(PersonSchema, { id: inspectorId }))?.name
  const when = report.verifiedAt ? formatWhen(report.verifiedAt, now) : ''
  return new StateConflictError(
    'already_verified',
    `举报 #${report.id} 已${who ? `由${inertText(who)}` : ''}于 ${when} 核查：${VERDICT_NAMES[report.verdict!]}${report.inspectionId === null ? '' : `，督查#${report.inspectionId}`}，无需重复。查看：举报 详情 ${report.id}`,
  )
}
