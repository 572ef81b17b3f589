import { excelDate } from '../../../domain/reports/sheet-table.js'
import { formatChineseDate, type CalendarDate } from '../../../time/calendar-date.js'
import type { TableExport } from '../xlsx-export.js'
import { xlsxHref } from '../xlsx-export.js'
import { Page, sync, TableFooter, type Viewer } from './layout.js'
import { unitCell } from './overview.js'

/** One overdue item as the 逾期 page and its export show it. */
export interface OverdueRowView {
  itemId: number
  unitId: number
  unitName: string
  problem: string
  dueDate: CalendarDate
  /** overdueText: "逾期 3 个工作日", or "已逾期" before a working day has passed (docs/figures.md). */
  overdue: string
  leader: string
  person: string
}

/** What the 逾期 page shows: the rows in chat's order (the unit with the most first, the longest overdue first). */
export interface OverdueView {
  campaignName: string
  today: CalendarDate
  scope: string
  rows: OverdueRowView[]
  /** The units the filter offers (those with overdue items the viewer sees), with their counts; null: no filter (one unit only). */
  units: { unitId: number; unitName: string; count: number }[] | null
  /** The unit filtered to (null: all). */
  unit: { unitId: number; unitName: string } | null
}

export function overdueExport(view: OverdueView): TableExport {
  return {
    title: `逾期未整改事项（${view.unit?.unitName ?? view.scope}，截至${view.today}）`,
    columns: [
      { header: '编号', kind: 'number' },
      { header: '单位', kind: 'text' },
      { header: '问题', kind: 'text', maxWidth: 60 },
      { header: '到期日', kind: 'date' },
      { header: '逾期', kind: 'text' },
      { header: '责任领导', kind: 'text' },
      { header: '具体责任人', kind: 'text' },
    ],
    rows: view.rows.map((r) => [r.itemId, r.unitName, r.problem, excelDate(r.dueDate), r.overdue, r.leader, r.person]),
  }
}

/** 逾期 (docs/dashboard.md, 逾期): chat's 逾期 as a table. */
export function OverduePage(props: { view: OverdueView; viewer: Viewer; unitLink: (unitId: number) => string | null }): string {
  const { view } = props
  const { today } = view
  const query: Record<string, string> = view.unit ? { unit: String(view.unit.unitId) } : {}
  return Page({
    title: '逾期 · 专项治理督办',
    viewer: props.viewer,
    section: 'overdue',
    children: sync(
      <>
        <h1>逾期未整改事项</h1>
        <p class="scope" safe>
          {`${view.campaignName} · ${view.scope} · ${formatChineseDate(today, today)}`}
        </p>
        <section class="card">
          {view.units ? (
            <form method="get" action="/dash/overdue" class="filters">
              <select name="unit" aria-label="单位">
                <option value="" selected={view.unit === null}>
                  全部单位
                </option>
                {view.units.map((u) => (
                  <option value={String(u.unitId)} selected={view.unit?.unitId === u.unitId} safe>
                    {`${u.unitName}（${u.count} 项）`}
                  </option>
                ))}
              </select>
              <button type="submit">筛选</button>
            </form>
          ) : (
            ''
          )}
          <p class="count" safe>
            {view.unit ? `${view.unit.unitName}逾期未整改 ${view.rows.length} 项` : `逾期未整改 ${view.rows.length} 项${view.units && view.units.length > 1 ? `，涉及 ${view.units.length} 个单位` : ''}`}
          </p>
          {view.rows.length === 0 ? (
            <p>没有逾期未整改的事项。</p>
          ) : (
            <div class="table-wrap">
              <table class="overdue">
                <thead>
                  <tr>
                    <th>编号</th>
                    <th>单位</th>
                    <th class="text">问题</th>
                    <th>到期</th>
                    <th>逾期</th>
                    <th>责任领导</th>
                    <th>具体责任人</th>
                  </tr>
                </thead>
                <tbody>
                  {view.rows.map((r) => (
                    <tr>
                      <td>
                        <a href={`/dash/items/${r.itemId}`}>#{r.itemId}</a>
                      </td>
                      <td>{unitCell(r.unitName, props.unitLink(r.unitId))}</td>
                      <td class="text" safe>
                        {r.problem}
                      </td>
                      <td safe>{formatChineseDate(r.dueDate, today)}</td>
                      <td class="bad" safe>
                        {r.overdue}
                      </td>
                      <td safe>{r.leader}</td>
                      <td safe>{r.person}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <TableFooter xlsx={xlsxHref('/dash/overdue', query)} />
        </section>
      </>,
    ),
  })
}
