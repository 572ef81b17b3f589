import { ROLE_NAMES } from '../../../bot/command-registry.js'
import type { LedgerItem, Role, UnitKind } from '../../../db/entities/index.js'
import { kindLabel } from '../../../domain/circulars/circular-message.js'
import { excelDate } from '../../../domain/reports/sheet-table.js'
import { isOpen, isOverdue, overdueText, STATE_NAMES, statusLight } from '../../../read-model/figures.js'
import type { ReportVersion } from '../../../read-model/monthly-reports.js'
import type { PersonResponsiveness } from '../../../read-model/responsiveness.js'
import { periodText, personFigures, scopeLines } from '../../../read-model/responsiveness-text.js'
import type { UnitCircular, UnitMonthReport, UnitPageData, UnitPageResponsiveness, UnitPhase } from '../../../read-model/unit-page.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate, type CalendarDate } from '../../../time/calendar-date.js'
import { inertText } from '../../../wecom/inert-text.js'
import type { TableExport } from '../xlsx-export.js'
import { xlsxHref } from '../xlsx-export.js'
import { Page, sync, TableFooter, type Viewer } from './layout.js'
import { ItemsTable, dueText, stateText } from './items-table.js'
import { FigureLines, Light, Totals } from './overview.js'

/** The items table's filter (?state=): every item, or those in some states. */
export const STATE_FILTERS = ['all', 'open', 'overdue', 'rectified', 'closed'] as const
export type StateFilter = (typeof STATE_FILTERS)[number]

const FILTER_NAMES: Record<StateFilter, string> = {
  all: '全部',
  open: '未完成（未开始、整改中）',
  overdue: '逾期',
  rectified: '已整改待销号',
  closed: '已销号',
}

const KIND_NAMES: Record<UnitKind, string> = { town: '乡镇', county_department: '县直部门', institution: '事业单位', joint_member: '联席会议成员单位' }

/** The items the table shows for a filter, in the read model's order (most urgent first). */
export function unitItemRows(data: UnitPageData, state: StateFilter): LedgerItem[] {
  const keep: Record<StateFilter, (item: LedgerItem) => boolean> = {
    all: () => true,
    open: (item) => isOpen(item),
    overdue: (item) => isOverdue(item, data.today),
    rectified: (item) => item.status === 'rectified',
    closed: (item) => item.status === 'closed',
  }
  return data.items.filter(keep[state])
}

/** How many items each filter shows: the unit's figures (ledgerStatus), never a second count. */
function filterCount(data: UnitPageData, state: StateFilter): number {
  const s = data.statistics
  return { all: s.total, open: s.notStarted + s.inProgress, overdue: s.overdue, rectified: s.awaitingVerification, closed: s.closed }[state]
}

const personOf = (data: UnitPageData, item: LedgerItem) => (item.responsiblePersonId === null ? '' : (data.names.get(item.responsiblePersonId) ?? ''))

/** The items table as the page shows it (the filter's rows, in order), for its .xlsx export. */
export function unitItemsExport(data: UnitPageData, state: StateFilter): TableExport {
  return {
    title: `${data.unit.name}台账事项（${FILTER_NAMES[state]}，截至${data.today}）`,
    columns: [
      { header: '编号', kind: 'number' },
      { header: '问题', kind: 'text', maxWidth: 50 },
      { header: '状态', kind: 'text' },
      { header: '进度', kind: 'percent' },
      { header: '完成时限', kind: 'date' },
      { header: '原定时限', kind: 'date' },
      { header: '责任人', kind: 'text' },
    ],
    rows: unitItemRows(data, state).map((item) => [
      item.id,
      item.problem,
      stateText(item, data.today),
      item.progress / 100,
      excelDate(item.dueDate),
      item.originalDueDate === item.dueDate ? null : excelDate(item.originalDueDate),
      personOf(data, item),
    ]),
  }
}

/** 单位 (docs/dashboard.md, 单位). */
export function UnitPage(props: { campaignName: string; data: UnitPageData; viewer: Viewer; state: StateFilter }): string {
  const { data, state } = props
  const { unit, statistics: s, today } = data
  const rows = unitItemRows(data, state)
  const path = `/dash/units/${unit.id}`
  return Page({
    title: `${unit.name} · 专项治理督办`,
    viewer: props.viewer,
    children: sync(
      <>
        <h1>
          <Light light={s.light} /> <span safe>{unit.name}</span>
        </h1>
        <p class="scope" safe>
          {`${KIND_NAMES[unit.kind]} · ${data.participant ? '参加单位' : '非参加单位'} · ${props.campaignName} · ${formatChineseDate(today, today)}`}
        </p>
        <section class="card" id="summary">
          <h2>概况</h2>
          <dl class="fields">
            <dt>第一责任人</dt>
            <dd safe>{data.heads.join('、') || '—'}</dd>
            <dt>联络员</dt>
            <dd safe>{data.liaisons.join('、') || '—'}</dd>
          </dl>
          <Totals tally={s} rate={s.onTimeRate} more={[['月报', s.reportsSubmitted]]} />
        </section>
        <UnitResponsiveness panel={data.responsiveness} />
        <section class="card" id="items">
          <h2>台账事项</h2>
          {data.items.length === 0 ? (
            <p>该单位在本专项治理中没有台账事项。</p>
          ) : (
            <>
              <form method="get" action={path} class="filters">
                <select name="state" aria-label="事项状态">
                  {STATE_FILTERS.map((f) => (
                    <option value={f} selected={f === state} safe>
                      {`${FILTER_NAMES[f]}（${filterCount(data, f)}）`}
                    </option>
                  ))}
                </select>
                <button type="submit">筛选</button>
              </form>
              {rows.length === 0 ? (
                <p safe>{`没有${FILTER_NAMES[state]}的事项。`}</p>
              ) : (
                <ItemsTable items={rows} today={today} last={{ header: '责任人', value: (item) => personOf(data, item) }} />
              )}
              <TableFooter xlsx={xlsxHref(path, { state })} count={state === 'all' ? `共 ${rows.length} 项` : `显示 ${rows.length} / ${data.items.length} 项`} />
            </>
          )}
        </section>
        <section class="card" id="reports">
          <h2>月报</h2>
          {data.reports.length === 0 ? <p>专项治理尚未开始，还没有月报。</p> : data.reports.map((report) => <MonthReport report={report} today={today} />)}
        </section>
        <section class="card" id="deliverables">
          <h2>阶段任务</h2>
          {data.participant ? data.phases.map((phase) => <PhaseTasks phase={phase} today={today} />) : <p>该单位不是本专项治理的参加单位，不需提交阶段任务。</p>}
        </section>
        <section class="card" id="circulars">
          <h2>通报签收</h2>
          {data.circulars.length === 0 ? <p>还没有发给该单位人员的通报。</p> : data.circulars.map((c) => <CircularAcks entry={c} today={today} />)}
        </section>
      </>,
    ),
  })
}

/** The unit's 响应时效 this month and its people's, in chat's words (时效 ‹单位›: responsiveness-text.ts). */
function UnitResponsiveness(props: { panel: UnitPageResponsiveness }): JSX.Element {
  const { period, figures, people } = props.panel
  return (
    <section class="card" id="responsiveness">
      <h2>响应时效</h2>
      <p class="scope" safe>
        {periodText(period)}
      </p>
      <FigureLines lines={scopeLines(figures)} />
      <h3>各责任人（慢者在前）</h3>
      {people.length === 0 ? (
        <p>{period.noRecord ? '无记录' : '本期还没有提醒到该单位人员。'}</p>
      ) : (
        <dl class="fields">
          {people.map((p) => (
            <>
              <dt safe>{p.name}</dt>
              <dd safe>{personFigures(p)}</dd>
            </>
          ))}
        </dl>
      )}
    </section>
  )
}

/** "8月31日 10:00". */
function when(at: Date, today: CalendarDate): string {
  return `${formatChineseDate(beijingDate(at), today)} ${formatBeijingDateTime(at).slice(11, 16)}`
}

/** "第 2 版 · 张伟 8月31日 10:00 提交". */
function versionLine(version: ReportVersion, today: CalendarDate): string {
  return `第 ${version.revision} 版 · ${version.submittedBy ?? '（已不在名册）'} ${when(version.submittedAt, today)} 提交`
}

/** Submitted or not, in time or late (as the monthly workbook counts it), or owed by its due date. */
function reportState(report: UnitMonthReport, today: CalendarDate): { text: string; bad: boolean } {
  const due = formatChineseDate(report.dueDate, today)
  if (report.text.current) {
    if (report.mark === 'late') return { text: `逾期报送（应于${due}前报送）`, bad: true }
    return { text: report.mark === 'on_time' && report.complete ? '按时报送' : '已报送', bad: false }
  }
  if (report.mark === null) return { text: '不需报送', bad: false }
  return report.mark === 'missing' ? { text: `未报（应于${due}前报送）`, bad: true } : { text: `未报送（${due}前报送）`, bad: false }
}

function MonthReport(props: { report: UnitMonthReport; today: CalendarDate }): JSX.Element {
  const { report, today } = props
  const [year, month] = report.month.split('-').map(Number) as [number, number]
  const state = reportState(report, today)
  const { current, earlier } = report.text
  return (
    <div class="month-report">
      <h3 safe>{`${year}年${month}月`}</h3>
      <p class={state.bad ? 'bad' : undefined} safe>
        {state.text}
      </p>
      {current ? (
        <details>
          <summary safe>{versionLine(current, today)}</summary>
          <p class="report-text" safe>
            {current.content}
          </p>
        </details>
      ) : (
        ''
      )}
      {earlier.length > 0 ? (
        <details>
          <summary safe>{`此前 ${earlier.length} 版`}</summary>
          <ol class="earlier">
            {earlier.map((version) => (
              <li>
                <p safe>{versionLine(version, today)}</p>
                <p class="report-text" safe>
                  {version.content}
                </p>
              </li>
            ))}
          </ol>
        </details>
      ) : (
        ''
      )}
    </div>
  )
}

function PhaseTasks(props: { phase: UnitPhase; today: CalendarDate }): JSX.Element {
  const { phase, today } = props
  const p = phase.phase
  return (
    <div class="phase-tasks">
      <h3 safe>{`${p.name}（${formatChineseDate(p.startDate, today)}–${formatChineseDate(p.endDate, today)}${phase.running ? '，进行中' : p.endDate < today ? '，已结束' : ''}）`}</h3>
      {phase.deliverables.length === 0 ? (
        <p>本阶段没有需要提交的任务。</p>
      ) : (
        <ul class="deliverables">
          {phase.deliverables.map(({ task, done, light }) => (
            <li class={done ? 'done' : 'owed'}>
              {done ? <span class="light green">✓</span> : <Light light={light} />} <span safe>{task.name}</span>{' '}
              <span class={done ? 'count' : light === '🔴' ? 'bad' : 'count'} safe>
                {done ? '已完成' : `${light === '🔴' ? '逾期未交，' : '未交，'}${formatChineseDate(task.dueDate, today)}截止`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

function CircularAcks(props: { entry: UnitCircular; today: CalendarDate }): JSX.Element {
  const { circular, receipts } = props.entry
  const today = props.today
  const acknowledged = receipts.filter((r) => r.acknowledgedAt !== null).length
  return (
    <div class="circular-acks">
      <h3>
        <a href={`/dash/circulars/${circular.id}`} safe>
          {`${kindLabel(circular.kind)} #${circular.id}《${circular.title}》`}
        </a>
      </h3>
      <p class="count" safe>
        {`${circular.sentAt ? `${when(circular.sentAt, today)}发出 · ` : ''}已确认 ${acknowledged}/${receipts.length} 人${circular.status === 'recalled' ? ' · 已撤回' : ''}`}
      </p>
      <div class="table-wrap">
        <table class="acks">
          <tbody>
            {receipts.map((r) => (
              <tr class={r.acknowledgedAt ? 'acknowledged' : 'waiting'}>
                <td class="text" safe>
                  {r.name}
                </td>
                <td class="text">{r.role ? ROLE_NAMES[r.role as Role] : ''}
                </td>
                <td class={r.acknowledgedAt ? undefined : 'bad'}>
                  {r.acknowledgedAt ? `已确认（${when(r.acknowledgedAt, today)}）` : r.remindedAt ? '未确认（已提醒）' : '未确认'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
