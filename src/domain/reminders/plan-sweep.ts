import { inertText } from '../../wecom/inert-text.js'
import { IsNull, LessThanOrEqual, MoreThanOrEqual, type EntityManager } from 'typeorm'
import { currentCampaign } from '../campaign/current-campaign.js'
import {
  MonthlyReportSchema,
  PersonLeaveSchema,
  PhaseTaskSchema,
  type Campaign,
  type LedgerItem,
  type Person,
  type PersonLeave,
} from '../../db/entities/index.js'
import { shorten } from '../ledger/format-item.js'
import { countsLine } from '../../read-model/chat-format.js'
import { newFindings } from '../../read-model/campaign-status.js'
import { deliverablesDone } from '../../read-model/campaign-progress.js'
import { isNewlyOverdue, overdueText } from '../../read-model/figures.js'
import { itemsAwaitingVerification } from '../../read-model/ledger-lists.js'
import { ledgerStatus, overdueRanking, pendingExtensionCount } from '../../read-model/ledger-status.js'
import { addDays, beijingDate, formatChineseDate, monthOf, type CalendarDate } from '../../time/calendar-date.js'
import { checkRules, DEFAULT_RULES, type ReminderRules } from './reminder-rules.js'
import { emptyPlan, type Digest, type Stage, type SweepPlan } from './sweep-plan.js'
import { planPublicReports } from './plan-public-reports.js'
import { isWorkday, lastWorkdayOfMonth, workdayHorizon, workdaysBetween, workdaysUntil } from '../../time/work-calendar.js'

/** Ledger ids read per query by the sweep: at most this many items in memory from one read. */
const WINDOW = 20_000

/** What every rule reads: the database, the campaign, the day, the rules, the roster, and the digests being built. */
interface SweepContext {
  ds: EntityManager
  campaign: Campaign
  today: CalendarDate
  rules: ReminderRules
  roster: Roster
  /** The campaign's participating units (they owe deliverables and reports). */
  participants: number[]
  digest: (userid: string) => Digest
}

interface Roster {
  people: Map<number, Person>
  /** userid → person id */
  ids: Map<string, number>
  /** unit id → userids of its liaison(s) */
  unitLiaisons: Map<number, string[]>
  /** unit id → userids of its head(s) and liaison(s) */
  unitContacts: Map<number, string[]>
  /** unit id → userids of its head(s) */
  unitHeads: Map<number, string[]>
  unitNames: Map<number, string>
  admins: string[]
}

async function loadRoster(ds: EntityManager): Promise<Roster> {
  // Plain SQL: twenty thousand people and their roles, read on every sweep.
  const rows = (await ds.query('SELECT id, userid, name, unit_id FROM person WHERE active = ?', [true])) as { id: number; userid: string; name: string; unit_id: number | null }[]
  const people = new Map(rows.map((r) => [Number(r.id), { id: Number(r.id), userid: r.userid, name: inertText(r.name), unitId: r.unit_id === null ? null : Number(r.unit_id) } as Person]))
  const assignments = (
    (await ds.query("SELECT person_id, role, unit_id FROM role_assignment WHERE role IN ('unit_head', 'liaison', 'org_admin')")) as { person_id: number; role: string; unit_id: number | null }[]
  ).map((r) => ({ personId: Number(r.person_id), role: r.role, unitId: r.unit_id === null ? null : Number(r.unit_id) }))
  const unitContacts = new Map<number, string[]>()
  const unitHeads = new Map<number, string[]>()
  const unitLiaisons = new Map<number, string[]>()
  const admins: string[] = []
  const add = (map: Map<number, string[]>, unitId: number, userid: string) => {
    const list = map.get(unitId)
    if (!list) map.set(unitId, [userid])
    else if (!list.includes(userid)) list.push(userid)
  }
  for (const a of assignments) {
    const person = people.get(a.personId)
    if (!person) continue
    if (a.role === 'org_admin') admins.push(person.userid)
    else if (a.unitId !== null) {
      add(unitContacts, a.unitId, person.userid)
      if (a.role === 'unit_head') add(unitHeads, a.unitId, person.userid)
      if (a.role === 'liaison') add(unitLiaisons, a.unitId, person.userid)
    }
  }
  const unitNames = new Map(((await ds.query('SELECT id, name FROM unit')) as { id: number; name: string }[]).map((u) => [Number(u.id), inertText(u.name)]))
  const ids = new Map([...people.values()].map((p) => [p.userid, p.id]))
  return { people, ids, unitContacts, unitHeads, unitLiaisons, unitNames, admins: [...new Set(admins)].sort() }
}

/**
 * The sweep's decisions, a function of the database and `now` (docs/architecture.md, rule 2): who must
 * be told what today. Reminders before a date go out on that working day only (a day missed
 * while the service was down is not replayed); overdue alerts and escalations go out once each,
 * whenever the sweep first sees them due (so an outage delays them, never loses them). Nothing on
 * rest days. Items are read page by page.
 */
export async function planSweep(ds: EntityManager, now: Date, rules: ReminderRules = DEFAULT_RULES): Promise<SweepPlan> {
  checkRules(rules)
  const today = beijingDate(now)
  if (!isWorkday(today)) return emptyPlan(today)
  const campaign = await currentCampaign(ds, today)
  if (!campaign) return emptyPlan(today)
  const roster = await loadRoster(ds)
  const digests = new Map<string, Digest>()
  const digest = (userid: string) => {
    let d = digests.get(userid)
    if (!d) digests.set(userid, (d = { userid, items: [], laterCount: 0, escalated: [], tasks: [], reports: [], publicReports: [], stages: [], behalf: [] }))
    return d
  }
  const participants = ((await ds.query("SELECT unit_id FROM campaign_unit WHERE campaign_id = ? AND role = 'participant'", [campaign.id])) as { unit_id: number }[]).map((r) => Number(r.unit_id))
  const context: SweepContext = { ds, campaign, today, rules, roster, participants, digest }
  const facts = await planItems(context)
  const overdueTasks = await planTasks(context)
  const missedReports = await planReports(context)
  await attachItemLists(ds, campaign, roster, facts, digests)
  await routeAroundLeave(ds, today, roster, digests, digest)
  // After the routing around leave: a report's reminder is not passed to a deputy.
  const publicReports = await planPublicReports(ds, { campaignId: campaign.id, today, rules, people: roster.people, unitNames: roster.unitNames, digest })
  const summary = await buildSummary(ds, campaign, today, rules, roster, { ...facts, overdueTasks, missedReports, publicReports })
  return {
    today,
    digests: [...digests.values()],
    summary: summary.text,
    summaryStages: [...facts.orgStages, ...missedReports.stages],
    admins: roster.admins,
    campaignId: campaign.id,
    personIds: roster.ids,
  }
}

interface ItemFacts {
  /** 今日新增逾期 (docs/figures.md): became overdue since the previous working day's summary. */
  newlyOverdue: LedgerItem[]
  escalatedToOrg: LedgerItem[]
  orgStages: Stage[]
  /** person id → their open items due within the horizon or overdue (as responsible person or leader). */
  near: Map<number, LedgerItem[]>
  horizon: CalendarDate
}

async function planItems(
  { ds, campaign, today, rules, roster, digest }: SweepContext,
): Promise<ItemFacts> {
  const horizon = workdayHorizon(today, Math.max(0, ...rules.itemDaysBefore))
  const distance = new Map<CalendarDate, number>()
  // Working days to a due date counted to the working day on or before it: an item due on a
  // Saturday gets its "3 days before" on Tuesday and its "1 day before" on Thursday.
  const workdays = (due: CalendarDate) => {
    let value = distance.get(due)
    if (value === undefined) distance.set(due, (value = due >= today ? workdaysUntil(today, due) : workdaysBetween(today, due)))
    return value
  }
  const facts: ItemFacts = { newlyOverdue: [], escalatedToOrg: [], orgStages: [], near: new Map(), horizon }
  const userid = (personId: number | null) => (personId === null ? undefined : roster.people.get(personId)?.userid)
  const near = (personId: number | null, item: LedgerItem) => {
    if (personId === null) return
    const list = facts.near.get(personId)
    if (list) list.push(item)
    else facts.near.set(personId, [item])
  }
  const remindDays = new Set(rules.itemDaysBefore)
  const { escalateToUnitHeadAfter: headDays, escalateToOrgAfter: orgDays } = rules
  // The table's last id (read off the primary key at once); each window asks for this campaign's items.
  const [{ last }] = (await ds.query('SELECT MAX(id) AS last FROM ledger_item')) as [{ last: number | null }]
  for (let from = 0; from < Number(last ?? 0); from += WINDOW) {
    for (const item of await openItemsPage(ds, campaign.id, horizon, from, from + WINDOW)) {
      const { reached, responsiblePersonId: person, responsibleLeaderId: leader } = item
      near(person, item)
      if (leader !== person) near(leader, item)
      // Stages up to the furthest already sent are not planned again: the same sweep twice (or after a restart) adds nothing.
      const beyond = (days: number) => reached === null || days > reached
      if (item.dueDate >= today) {
        const left = workdays(item.dueDate)
        const responsible = userid(person) ?? userid(leader)
        if (remindDays.has(left) && beyond(-left) && responsible) digest(responsible).stages.push(itemStage(item, -left))
        continue
      }
      if (isNewlyOverdue(item, today)) facts.newlyOverdue.push(item)
      const late = -workdays(item.dueDate)
      if (late >= 1 && beyond(1)) {
        const stage = itemStage(item, 1)
        const told = userid(person)
        const also = userid(leader)
        if (told) digest(told).stages.push(stage)
        if (also && also !== told) digest(also).stages.push(stage)
      }
      if (late >= headDays && beyond(headDays)) {
        const escalation = { item, late, responsible: roster.people.get(person ?? -1)?.name ?? '—' }
        const stage = itemStage(item, headDays)
        for (const head of roster.unitHeads.get(item.unitId) ?? []) {
          const d = digest(head)
          d.escalated.push(escalation)
          d.stages.push(stage)
        }
      }
      if (late >= orgDays && beyond(orgDays)) {
        facts.escalatedToOrg.push(item)
        facts.orgStages.push(itemStage(item, orgDays))
      }
    }
  }
  return facts
}

/**
 * 请假: a person away gets nothing; their digest goes to the deputy they named, or else to their
 * unit's liaison, marked as on their behalf. With nobody to take it, it stays theirs.
 */
async function routeAroundLeave(
  ds: EntityManager,
  today: CalendarDate,
  roster: Roster,
  digests: Map<string, Digest>,
  digest: (userid: string) => Digest,
): Promise<void> {
  const away = await ds.getRepository(PersonLeaveSchema).find({ where: { until: MoreThanOrEqual(today), endedAt: IsNull() } })
  const byUserid = new Map<string, PersonLeave>()
  for (const leave of away) {
    const person = roster.people.get(leave.personId)
    if (person) byUserid.set(person.userid, leave)
  }
  for (const [userid, own] of [...digests.entries()]) {
    const leave = byUserid.get(userid)
    if (!leave) continue
    const person = roster.people.get(leave.personId)!
    const deputy = leave.deputyId === null ? undefined : roster.people.get(leave.deputyId)?.userid
    const takers = (deputy ? [deputy] : (roster.unitLiaisons.get(person.unitId ?? -1) ?? [])).filter((u) => u !== userid && !byUserid.has(u))
    if (takers.length === 0) continue
    digests.delete(userid)
    for (const taker of takers) {
      const d = digest(taker)
      // A stage the taker also gets as the item's own leader or head stays theirs.
      const theirs = new Set(d.stages.map(stageKey))
      d.behalf.push({ name: person.name, digest: own, taken: own.stages.filter((stage) => !theirs.has(stageKey(stage))) })
      d.stages.push(...own.stages)
    }
  }
}

/**
 * The campaign's open items due by `horizon` whose ids fall in (afterId, upToId], with how far
 * their reminders have gone, in plain SQL: the sweep reads every overdue item of a province, a
 * window of ids at a time (each found through the index, none read twice, none sorted); only
 * what the rules and a digest line need.
 */
async function openItemsPage(ds: EntityManager, campaignId: number, horizon: CalendarDate, afterId: number, upToId: number): Promise<OpenItem[]> {
  // Named as the entity's fields, so each row is used as it comes (every column is an INT, a
  // string, or a DATE both drivers return as "YYYY-MM-DD").
  return (await ds.query(
    `SELECT i.id, i.unit_id AS unitId, i.problem, i.due_date AS dueDate, i.status, i.progress,
       i.responsible_person_id AS responsiblePersonId, i.responsible_leader_id AS responsibleLeaderId, r.stage AS reached
     FROM ledger_item i LEFT JOIN item_reminder r ON r.ledger_item_id = i.id AND r.due_date = i.due_date
     WHERE i.campaign_id = ? AND i.status IN ('open', 'in_progress') AND i.due_date <= ? AND i.id > ? AND i.id <= ?`,
    [campaignId, horizon, afterId, upToId],
  )) as OpenItem[]
}

/** A stage's identity across digests: its subject and name. */
const stageKey = (stage: Stage) => `${stage.subject}/${stage.stage}`

/** An open item as the sweep reads it, with the furthest reminder stage sent for its due date. */
type OpenItem = LedgerItem & { reached: number | null }

/** An item's reminder stage, named as in a digest's key ("due-3", "overdue-1", "escalate-7") and counted in working days from its due date. */
function itemStage(item: LedgerItem, days: number): Stage {
  const stage = days <= 0 ? `due-${-days}` : days === 1 ? 'overdue-1' : `escalate-${days}`
  return { subject: `item:${item.id}`, stage, item: { id: item.id, unitId: item.unitId, dueDate: item.dueDate, days } }
}

/** Which stages each subject has had already. */
async function sentStages(ds: EntityManager, subjects: string[]): Promise<Map<string, Set<string>>> {
  const result = new Map<string, Set<string>>()
  for (let i = 0; i < subjects.length; i += 1000) {
    const chunk = subjects.slice(i, i + 1000)
    const rows = (await ds.query(`SELECT subject, stage FROM reminder_sent WHERE subject IN (${chunk.map(() => '?').join(', ')})`, chunk)) as { subject: string; stage: string }[]
    for (const row of rows) {
      let stages = result.get(row.subject)
      if (!stages) result.set(row.subject, (stages = new Set()))
      stages.add(row.stage)
    }
  }
  return result
}

/**
 * The people whose digest has an item stage see their overdue and due-soon items (read once,
 * while planning) and a count of the rest: one grouped count over the later items, not every
 * item of every person.
 */
async function attachItemLists(ds: EntityManager, campaign: Campaign, roster: Roster, facts: ItemFacts, digests: Map<string, Digest>): Promise<void> {
  const wanted = [...digests.values()].filter((d) => d.stages.some((s) => s.subject.startsWith('item:') && !s.stage.startsWith('escalate')))
  if (wanted.length === 0) return
  const rows = (await ds.query(
    `SELECT responsible_person_id, responsible_leader_id, COUNT(*) AS n FROM ledger_item
     WHERE campaign_id = ? AND status IN ('open', 'in_progress') AND due_date > ?
     GROUP BY responsible_person_id, responsible_leader_id`,
    [campaign.id, facts.horizon],
  )) as { responsible_person_id: number | null; responsible_leader_id: number | null; n: number | string }[]
  const later = new Map<number, number>()
  const add = (personId: number | null, n: number) => {
    if (personId !== null) later.set(Number(personId), (later.get(Number(personId)) ?? 0) + n)
  }
  for (const row of rows) {
    add(row.responsible_person_id, Number(row.n))
    // An item whose responsible person is also its leader is counted once.
    if (row.responsible_leader_id !== row.responsible_person_id) add(row.responsible_leader_id, Number(row.n))
  }
  for (const d of wanted) {
    const personId = roster.ids.get(d.userid)
    if (personId === undefined) continue
    d.items = facts.near.get(personId) ?? []
    d.laterCount = later.get(personId) ?? 0
  }
}

async function planTasks(
  { ds, campaign, today, rules, roster, digest, participants }: SweepContext,
): Promise<{ task: string; units: number }[]> {
  const horizon = workdayHorizon(today, Math.max(0, ...rules.taskDaysBefore))
  const tasks = await ds.getRepository(PhaseTaskSchema).find({ where: { campaignId: campaign.id, dueDate: LessThanOrEqual(horizon) }, order: { dueDate: 'ASC' } })
  if (tasks.length === 0) return []
  // Handed in, or done by a 全面检查 where the plan says so: the same rule as 阶段 (docs/inspections.md, Coverage).
  const handedIn = await deliverablesDone(ds, campaign.id, tasks, participants)
  const overdue: { task: string; units: number }[] = []
  for (const task of tasks) {
    const owing = participants.filter((unitId) => !handedIn.has(`${task.id}:${unitId}`))
    if (task.dueDate < today) {
      if (owing.length > 0) overdue.push({ task: task.name, units: owing.length })
      continue
    }
    const left = workdaysUntil(today, task.dueDate)
    if (!rules.taskDaysBefore.includes(left)) continue
    const when = left === 0 ? '今天截止' : `${formatChineseDate(task.dueDate, today)}截止，还有 ${left} 个工作日`
    const sent = await sentStages(ds, owing.map((unitId) => `task:${task.id}:unit:${unitId}`))
    for (const unitId of owing) {
      if (sent.get(`task:${task.id}:unit:${unitId}`)?.has(`due-${left}`)) continue
      for (const contact of roster.unitContacts.get(unitId) ?? []) {
        const d = digest(contact)
        d.tasks.push(`${task.name}（${when}）`)
        d.stages.push({ subject: `task:${task.id}:unit:${unitId}`, stage: `due-${left}` })
      }
    }
  }
  return overdue
}

async function planReports(
  { ds, campaign, today, rules, roster, digest, participants }: SweepContext,
): Promise<{ month: string | null; units: string[]; stages: Stage[] }> {
  const month = monthOf(today)
  const missing = async (m: string) => {
    const submitted = new Set((await ds.getRepository(MonthlyReportSchema).find({ where: { campaignId: campaign.id, month: m }, select: { unitId: true } })).map((r) => r.unitId))
    return participants.filter((unitId) => !submitted.has(unitId))
  }
  const left = workdaysBetween(today, lastWorkdayOfMonth(today))
  if (rules.reportDaysBeforeMonthEnd.includes(left)) {
    const owing = await missing(month)
    const sent = await sentStages(ds, owing.map((unitId) => `report:${month}:unit:${unitId}`))
    for (const unitId of owing) {
      if (sent.get(`report:${month}:unit:${unitId}`)?.has(`due-${left}`)) continue
      for (const contact of roster.unitContacts.get(unitId) ?? []) {
        const d = digest(contact)
        d.reports.push(`${Number(month.slice(5))}月月报尚未提交，${left === 0 ? '今天是本月最后一个工作日' : `还有 ${left} 个工作日`}：发送「月报 内容」提交`)
        d.stages.push({ subject: `report:${month}:unit:${unitId}`, stage: `due-${left}` })
      }
    }
  }
  // After a month ends, the organization department hears once which units missed it.
  const previous = monthOf(addDays(`${month}-01`, -1))
  if (previous < monthOf(campaign.startDate)) return { month: null, units: [], stages: [] }
  const subject = `report:${previous}`
  if ((await sentStages(ds, [subject])).get(subject)?.has('missed')) return { month: null, units: [], stages: [] }
  const units = (await missing(previous)).map((id) => roster.unitNames.get(id) ?? `#${id}`)
  return { month: previous, units, stages: [{ subject, stage: 'missed' }] }
}

async function buildSummary(
  ds: EntityManager,
  campaign: Campaign,
  today: CalendarDate,
  rules: ReminderRules,
  roster: Roster,
  facts: ItemFacts & { overdueTasks: { task: string; units: number }[]; missedReports: { month: string | null; units: string[] }; publicReports: string | null },
): Promise<{ text: string }> {
  // Items come in index order; the summary names them by number.
  facts.newlyOverdue.sort((a, b) => a.id - b.id)
  facts.escalatedToOrg.sort((a, b) => a.id - b.id)
  // The totals, the ranking and the lists every surface shows (docs/figures.md).
  const { totals, units } = await ledgerStatus(ds, campaign.id, today)
  const ranking = overdueRanking(units).slice(0, 5)
  const toVerify = await itemsAwaitingVerification(ds, campaign.id)
  const extensions = await pendingExtensionCount(ds, campaign.id)
  const lines = [`**专项治理日报（${formatChineseDate(today)}）**`, countsLine(totals)]
  lines.push(ranking.length > 0 ? `逾期最多的单位：${ranking.map((u) => `${inertText(u.unitName)} ${u.overdue}`).join('，')}` : '目前没有逾期未整改的事项。')
  if (facts.newlyOverdue.length > 0) lines.push(`今日新增逾期 ${facts.newlyOverdue.length} 项：${facts.newlyOverdue.slice(0, 5).map((i) => `#${i.id}`).join(' ')}${facts.newlyOverdue.length > 5 ? ' 等' : ''}`)
  const findings = await newFindings(ds, campaign.id, today)
  if (findings.length > 0) lines.push(`今日新增督查发现 ${findings.length} 项：${findings.slice(0, 5).map((i) => `督查#${i.id}`).join(' ')}${findings.length > 5 ? ' 等' : ''}`)
  if (facts.escalatedToOrg.length > 0) {
    lines.push(`今日升级至组织部（逾期满 ${rules.escalateToOrgAfter} 个工作日）${facts.escalatedToOrg.length} 项：`)
    for (const item of facts.escalatedToOrg.slice(0, 5)) lines.push(`🔴 #${item.id} ${roster.unitNames.get(item.unitId)} ${shorten(item.problem, 16)}（${formatChineseDate(item.dueDate, today)}到期，${overdueText(item.dueDate, today)}）`)
  }
  if (toVerify.length > 0) lines.push(`已整改待销号 ${toVerify.length} 项：${toVerify.slice(0, 5).map((i) => `#${i.id}`).join(' ')}${toVerify.length > 5 ? ' 等' : ''}（发送「待办」查看）`)
  if (extensions > 0) lines.push(`待审批延期申请 ${extensions} 件（发送「待办」查看）`)
  if (facts.publicReports) lines.push(facts.publicReports)
  for (const t of facts.overdueTasks) lines.push(`阶段任务逾期：${t.task}，${t.units} 个单位未交`)
  if (facts.missedReports.month && facts.missedReports.units.length > 0) {
    lines.push(`${Number(facts.missedReports.month.slice(5))}月月报未报：${facts.missedReports.units.slice(0, 10).join('、')}${facts.missedReports.units.length > 10 ? ` 等 ${facts.missedReports.units.length} 个单位` : ''}`)
  }
  return { text: lines.join('\n') }
}
