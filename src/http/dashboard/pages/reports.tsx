import type { ReportVersion, UnitReportText } from '../../../read-model/monthly-reports.js'
import type { ReportCell, ReportGrid, ReportMark } from '../../../read-model/report-grid.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate, lastDayOfMonth, type CalendarDate } from '../../../time/calendar-date.js'
import type { TableExport } from '../xlsx-export.js'
import { xlsxHref } from '../xlsx-export.js'
import { Page, sync, type Viewer } from './layout.js'
import { unitCell } from './overview.js'

/** A cell's short mark and its CSS class (docs/dashboard.md, 月报). */
export const REPORT_MARKS: Record<ReportMark, { name: string; css: string }> = {
  on_time: { name: '按时', css: 'on-time' },
  late: { name: '逾期报', css: 'late' },
  missing: { name: '未报', css: 'missing' },
  not_due: { name: '未到期', css: 'not-due' },
}

/** What each mark means (docs/figures.md, Scope: a month's report is due by the month's last day). */
const LEGEND: [ReportMark, string][] = [
  ['on_time', '月底前提交'],
  ['late', '月底后才提交'],
  ['missing', '月份已过仍未提交'],
  ['not_due', '本月尚未提交（月底前报送）'],
]

/** "8月", or "2014年12月" in another year than `today`'s. */
export function monthLabel(month: string, today: CalendarDate): string {
  const [year, number] = month.split('-').map(Number) as [number, number]
  return month.slice(0, 4) === today.slice(0, 4) ? `${number}月` : `${year}年${number}月`
}

/** "8月31日 10:00" (with the year when another). */
function when(at: Date, today: CalendarDate): string {
  return `${formatChineseDate(beijingDate(at), today)} ${formatBeijingDateTime(at).slice(11)}`
}

function cellTitle(cell: ReportCell, today: CalendarDate): string {
  if (!cell.submittedAt) return cell.mark === 'not_due' ? `${formatChineseDate(lastDayOfMonth(`${cell.month}-01`), today)}前报送` : '未提交'
  return `${cell.submittedBy ?? '（已不在名册）'} ${when(cell.submittedAt, today)} 提交（第 ${cell.revision ?? 1} 版）`
}

export interface ReportGridView {
  campaignName: string
  today: CalendarDate
  scope: string
  grid: ReportGrid
  /** The month 下载月度工作簿 downloads, and the months it offers; null: not for this viewer (组织部 and 检查组 only). */
  workbook: { month: string; months: string[] } | null
}

/** The grid as the page shows it, one sheet: a unit a row, a month a column, the marks. */
export function reportGridExport(view: ReportGridView): TableExport {
  return {
    title: `月报报送情况（${view.scope}，截至${view.today}）`,
    columns: [{ header: '单位', kind: 'text' }, ...view.grid.months.map((month) => ({ header: monthLabel(month, ''), kind: 'text' as const }))],
    rows: view.grid.rows.map((row) => [row.unitName, ...row.cells.map((cell) => REPORT_MARKS[cell.mark].name)]),
  }
}

/** 月报 (docs/dashboard.md, 月报): the participating units × the campaign's months. */
export function ReportGridPage(props: { view: ReportGridView; viewer: Viewer; unitLink: (unitId: number) => string | null }): string {
  const { view } = props
  const { today, grid } = view
  return Page({
    title: '月报 · 专项治理督办',
    viewer: props.viewer,
    section: 'reports',
    children: sync(
      <>
        <h1>月报报送情况</h1>
        <p class="scope" safe>
          {`${view.campaignName} · ${view.scope} · ${formatChineseDate(today, today)}`}
        </p>
        <section class="card">
          <ul class="legend">
            {LEGEND.map(([mark, meaning]) => (
              <li>
                <span class={`report-mark ${REPORT_MARKS[mark].css}`} safe>
                  {REPORT_MARKS[mark].name}
                </span>{' '}
                <span safe>{meaning}</span>
              </li>
            ))}
          </ul>
          {grid.rows.length === 0 ? (
            <p>没有需要报送月报的单位。</p>
          ) : (
            <div class="table-wrap">
              <table class="report-grid">
                <thead>
                  <tr>
                    <th>单位</th>
                    {grid.months.map((month) => (
                      <th safe>{monthLabel(month, today)}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {grid.rows.map((row) => (
                    <tr>
                      <td>{unitCell(row.unitName, props.unitLink(row.unitId))}</td>
                      {row.cells.map((cell) => (
                        <td>
                          <a class={`report-mark ${REPORT_MARKS[cell.mark].css}`} href={`/dash/reports/${row.unitId}/${cell.month}`} title={cellTitle(cell, today)} safe>
                            {REPORT_MARKS[cell.mark].name}
                          </a>
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p class="count">共 {grid.rows.length} 个单位。点击单元格查看该月月报内容和历次版本。</p>
          <p class="actions">
            <a href={xlsxHref('/dash/reports')}>导出 Excel</a>
            {view.workbook ? <a href={`/dash/reports/workbook?month=${view.workbook.month}`}>下载月度工作簿</a> : ''}
          </p>
          {view.workbook && view.workbook.months.length > 1 ? (
            <form method="get" action="/dash/reports/workbook" class="filters">
              <select name="month" aria-label="月份">
                {view.workbook.months.map((month) => (
                  <option value={month} selected={month === view.workbook!.month} safe>
                    {monthLabel(month, today)}
                  </option>
                ))}
              </select>
              <button type="submit">下载该月工作簿</button>
            </form>
          ) : (
            ''
          )}
        </section>
      </>,
    ),
  })
}

/** "张伟 8月31日 10:00 提交（第 2 版）". */
function versionLine(version: ReportVersion, today: CalendarDate, revised: boolean): string {
  return `${version.submittedBy ?? '（已不在名册）'} ${when(version.submittedAt, today)} 提交${revised ? `（第 ${version.revision} 版）` : ''}`
}

/** A version's text as written, its line breaks kept (.report-text). */
function ReportText(props: { content: string }): JSX.Element {
  return (
    <p class="report-text" safe>
      {props.content}
    </p>
  )
}

/** A unit's report for a month: 查看月报 as a page, the current version and every earlier one in full. */
export function ReportTextPage(props: { report: UnitReportText; mark: ReportMark | null; today: CalendarDate; viewer: Viewer; unitLink: string | null }): string {
  const { report, today } = props
  const label = monthLabel(report.month, today)
  const last = lastDayOfMonth(`${report.month}-01`)
  const status = report.current
    ? props.mark
      ? REPORT_MARKS[props.mark].name
      : '已提交'
    : report.owes
      ? last >= today
        ? `未提交（${formatChineseDate(last, today)}前报送）`
        : `未提交（应于${formatChineseDate(last, today)}前报送，已过期）`
      : '没有（该单位不需报送月报）'
  return Page({
    title: `${report.unitName}${label}月报 · 专项治理督办`,
    viewer: props.viewer,
    section: 'reports',
    children: sync(
      <>
        <h1 safe>{`${report.unitName}${label}月报`}</h1>
        <p class="scope">
          {unitCell(report.unitName, props.unitLink)}
          {' · '}
          <span class={props.mark ? `report-mark ${REPORT_MARKS[props.mark].css}` : ''} safe>
            {status}
          </span>
        </p>
        {report.current ? (
          <section class="card">
            <h2>{report.earlier.length > 0 ? '当前版本' : '月报内容'}</h2>
            <p class="count" safe>
              {versionLine(report.current, today, report.earlier.length > 0)}
            </p>
            <ReportText content={report.current.content} />
          </section>
        ) : (
          ''
        )}
        {report.earlier.length > 0 ? (
          <section class="card">
            <h2>此前 {report.earlier.length} 版</h2>
            <ol class="timeline">
              {report.earlier.map((version) => (
                <li>
                  <time safe>{`第 ${version.revision} 版 · ${versionLine(version, today, false)}`}</time>
                  <ReportText content={version.content} />
                </li>
              ))}
            </ol>
          </section>
        ) : (
          ''
        )}
        <p class="actions">
          <a href="/dash/reports">返回月报报送情况</a>
        </p>
      </>,
    ),
  })
}
