import { In, type DataSource, type EntityManager } from 'typeorm'
import { LedgerItemSchema, PersonSchema, type Campaign } from '../../db/entities/index.js'
import { monthlyReportStatus } from '../../read-model/campaign-progress.js'
import { countsLine } from '../../read-model/chat-format.js'
import { isOverdue, overdueText, STATE_NAMES, workdaysOverdue, type LedgerCounts } from '../../read-model/figures.js'
import { itemStates, ledgerStatusOf, overdueRanking, type ItemState } from '../../read-model/ledger-status.js'
import { LAST_STAGE_WORKDAYS, responsiveness, type ScopeFigures, type UnitResponsiveness } from '../../read-model/responsiveness.js'
import { hoursText, onTimeText, responseText, slowestUnits } from '../../read-model/responsiveness-text.js'
import { addMonths, beijingDate, formatChineseDate, monthOf, type CalendarDate } from '../../time/calendar-date.js'
import { lastWorkdayOfMonth } from '../../time/work-calendar.js'
import { shorten } from '../ledger/format-item.js'
import { DEFAULT_RULES } from '../reminders/reminder-rules.js'
import { ledgerAsOf, loadCampaignHistory } from '../reports/ledger-as-of.js'
import { reportPeriod } from '../reports/month-span.js'

type Db = DataSource | EntityManager

/** Units named in one list of the draft; more are counted ("等 12 个单位"), so the text stays within the body's limit. */
export const SHOWN_UNITS = 10
/** Typical cases named; more are counted ("等 8 项"). */
export const SHOWN_CASES = 5

/** A ledger item already exposed as a typical case (ledger_item.is_typical_case): the one kind of item the draft names with its person. */
export interface TypicalCase {
  id: number
  unitName: string
  problem: string
  /** The responsible person's name ('' when none). */
  person: string
  /** "未开始，逾期 19 个工作日", as of the draft's day. */
  state: string
}

/** Everything the drafted circular says (docs/responsiveness.md, The drafted circular), read by draftFigures. */
export interface DraftFigures {
  /** 'YYYY-MM'. */
  month: string
  /** The day the ledger is counted on: the month's last day, or today while the month runs. */
  asOfDate: CalendarDate
  /** The month has ended. */
  complete: boolean
  today: CalendarDate
  /** The county's ledger as of `asOfDate`. */
  counts: LedgerCounts
  /** The county's responsiveness figures of the month. */
  county: ScopeFigures
  /** The slow units of the ranking (slowestUnits), slowest first. */
  slowUnits: UnitResponsiveness[]
  /** Units with overdue items, most first. */
  overdueUnits: { unitName: string; overdue: number }[]
  /** Open items overdue `escalateAfter` working days or more (escalated to 组织部), per unit, most first. */
  escalated: { unitName: string; items: number }[]
  escalateAfter: number
  /** The month's reports: participating units owing one, those handed in, and the names of the others. */
  reports: { owed: number; submitted: number; missing: string[] }
  /** Typical cases not yet closed, by number. */
  typicalCases: TypicalCase[]
  /** The next monthly report due, and its deadline (the month's last working day). */
  nextReport: { month: string; deadline: CalendarDate }
}

/** "9" of '2015-09'. */
const monthNumber = (month: string) => Number(month.slice(5, 7))

/** "后港镇、城关镇" — at most SHOWN_UNITS names, then "等 12 个单位". */
function someUnits(names: readonly string[]): string {
  const shown = names.slice(0, SHOWN_UNITS).join('、')
  return names.length > SHOWN_UNITS ? `${shown}等 ${names.length} 个单位` : shown
}

/**
 * The draft work circular of a month (docs/responsiveness.md, The drafted circular): its title and
 * its paragraphs, which the body joins with blank lines (`通报 修改 编号 段 N` names them). Units are
 * named; people only with the typical cases already exposed.
 */
export function draftCircularText(f: DraftFigures): { title: string; paragraphs: string[] } {
  const m = monthNumber(f.month)
  const label = `${f.month.slice(0, 4)}年${m}月`
  const asOf = formatChineseDate(f.asOfDate, f.today)
  const onTime =
    f.county.onTimeOriginal.due === 0 && f.county.onTimeExtended.due === 0
      ? `${m}月没有到期事项。`
      : `${m}月到期事项按期整改率：原定时限 ${onTimeText(f.county.onTimeOriginal)}，延期后 ${onTimeText(f.county.onTimeExtended)}。`
  const problems = [
    f.overdueUnits.length > 0 ? `逾期未整改事项较多的单位：${someUnits(f.overdueUnits.map((u) => `${u.unitName} ${u.overdue} 项`))}。` : '',
    f.slowUnits.length > 0
      ? `督办提醒响应较慢的单位：${someUnits(f.slowUnits.map((u) => `${u.unitName}（未响应 ${u.response!.unanswered}/${u.response!.decided}，中位 ${hoursText(u.response!.median)}）`))}。`
      : '',
    f.escalated.length > 0
      ? `逾期满 ${f.escalateAfter} 个工作日、已升级至组织部督办的事项 ${f.escalated.reduce((n, u) => n + u.items, 0)} 项：${someUnits(f.escalated.map((u) => `${u.unitName} ${u.items} 项`))}。`
      : '',
    f.reports.missing.length > 0 ? `未报送${m}月月报的单位：${someUnits(f.reports.missing)}。` : '',
    f.typicalCases.length > 0 ? `已通报的典型案例尚未整改到位：${typicalCasesText(f.typicalCases)}。` : '',
  ].filter(Boolean)
  const next = monthNumber(f.nextReport.month)
  return {
    title: `关于${m}月份为官不为专项治理工作进展情况的通报`,
    paragraphs: [
      `各单位：\n现将${label}${f.complete ? '' : `（截至${asOf}）`}全县为官不为专项治理工作进展情况通报如下。`,
      '一、基本情况',
      `截至${asOf}，全县${countsLine(f.counts)}。`,
      `${onTime}督办提醒响应：${responseText(f.county.response)}。`,
      `${m}月月报已报 ${f.reports.submitted}/${f.reports.owed} 个单位。`,
      '二、存在问题',
      ...(problems.length > 0 ? problems.map((p, i) => `${ORDINALS[i]}${p}`) : [`${m}月未发现需要通报的突出问题。`]),
      '三、下步要求',
      '（一）压实整改责任。各单位主要负责同志要切实履行第一责任人职责，对逾期未整改事项逐项研究、限期办结，确保按期整改到位。',
      `（二）及时响应督办。收到督办提醒后请在 ${LAST_STAGE_WORKDAYS} 个工作日内反馈整改进展，确需延期的按程序申请，不得拖延应付。`,
      `（三）按时报送月报。请各单位于${formatChineseDate(f.nextReport.deadline, f.today)}前报送${next}月份工作月报（在企业微信中发送「月报 内容」）。`,
      '（四）组织部将持续跟踪督办，对整改不力、敷衍塞责的单位严肃追责问责，并在下期通报中予以通报。',
    ],
  }
}

const ORDINALS = ['（一）', '（二）', '（三）', '（四）', '（五）']

/** "#3 后港镇「人居环境整治缓慢」，责任人吴芳，未开始，逾期 19 个工作日；…" — at most SHOWN_CASES, then "等 8 项". */
function typicalCasesText(cases: readonly TypicalCase[]): string {
  const shown = cases.slice(0, SHOWN_CASES).map((c) => `#${c.id} ${c.unitName}「${shorten(c.problem, 30)}」，${c.person ? `责任人${c.person}，` : ''}${c.state}`)
  return `${shown.join('；')}${cases.length > SHOWN_CASES ? `等 ${cases.length} 项` : ''}`
}

/**
 * The figures of a month's drafted circular, as of the month's last instant (or now while it runs,
 * as the monthly workbook counts it, reportPeriod): the ledger (a past month rebuilt from its
 * history, ledgerAsOf), the responsiveness figures, the month's reports, the items overdue past
 * 组织部's escalation, and the typical cases still open.
 */
export async function draftFigures(db: Db, campaign: Campaign, month: string, now: Date): Promise<DraftFigures> {
  const period = reportPeriod(month, now)
  const today = beijingDate(now)
  const items: readonly ItemState[] = period.complete ? ledgerAsOf(await loadCampaignHistory(db, campaign.id), period.asOf) : await itemStates(db, campaign.id)
  const status = await ledgerStatusOf(db, campaign.id, period.asOfDate, items)
  const names = new Map(status.units.map((u) => [u.unitId, u.unitName]))
  const figures = await responsiveness(db, campaign, { month }, now)
  const reports = await monthlyReportStatus(db, campaign, month, period.asOf)
  const escalateAfter = DEFAULT_RULES.escalateToOrgAfter
  const escalated = new Map<number, number>()
  for (const item of items) {
    if (isOverdue(item, period.asOfDate) && workdaysOverdue(item.dueDate, period.asOfDate) >= escalateAfter) escalated.set(item.unitId, (escalated.get(item.unitId) ?? 0) + 1)
  }
  return {
    month,
    asOfDate: period.asOfDate,
    complete: period.complete,
    today,
    counts: status.totals,
    county: figures.county,
    slowUnits: slowestUnits(figures, Number.MAX_SAFE_INTEGER),
    overdueUnits: overdueRanking(status.units),
    escalated: [...escalated]
      .map(([unitId, count]) => ({ unitName: names.get(unitId) ?? `#${unitId}`, items: count }))
      .sort((a, b) => b.items - a.items || a.unitName.localeCompare(b.unitName, 'zh-CN')),
    escalateAfter,
    reports: { owed: reports.length, submitted: reports.filter((r) => r.submittedAt !== null).length, missing: reports.filter((r) => r.submittedAt === null).map((r) => r.unitName) },
    typicalCases: await typicalCases(db, campaign.id, items, period.asOfDate, names),
    nextReport: nextReport(today),
  }
}

/** The report owed next: this month's, due on its last working day; once that has passed, the next month's. */
function nextReport(today: CalendarDate): { month: string; deadline: CalendarDate } {
  const deadline = lastWorkdayOfMonth(today)
  if (today <= deadline) return { month: monthOf(today), deadline }
  const next = addMonths(`${monthOf(today)}-01`, 1)
  return { month: monthOf(next), deadline: lastWorkdayOfMonth(next) }
}

/** The campaign's typical-case items as they stood (`items`), but those closed, by number. */
async function typicalCases(db: Db, campaignId: number, items: readonly ItemState[], day: CalendarDate, names: ReadonlyMap<number, string>): Promise<TypicalCase[]> {
  const marked = await db.getRepository(LedgerItemSchema).find({ where: { campaignId, isTypicalCase: true }, order: { id: 'ASC' } })
  const states = new Map(items.map((i) => [i.id, i]))
  const open = marked.filter((i) => states.has(i.id) && states.get(i.id)!.status !== 'closed')
  const personIds = [...new Set(open.map((i) => i.responsiblePersonId).filter((id): id is number => id !== null))]
  const people = personIds.length === 0 ? new Map<number, string>() : new Map((await db.getRepository(PersonSchema).findBy({ id: In(personIds) })).map((p) => [p.id, p.name]))
  return open.map((item) => {
    const state = states.get(item.id)!
    return {
      id: item.id,
      unitName: names.get(item.unitId) ?? `#${item.unitId}`,
      problem: item.problem,
      person: item.responsiblePersonId === null ? '' : (people.get(item.responsiblePersonId) ?? ''),
      state: `${STATE_NAMES[state.status]}${isOverdue(state, day) ? `，${overdueText(state.dueDate, day)}` : ''}`,
    }
  })
}
