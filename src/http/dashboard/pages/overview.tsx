import type { Overview, OverviewResponsiveness } from '../../../read-model/dashboard-overview.js'
import { percent } from '../../../read-model/chat-format.js'
import type { Responsiveness, UnitResponsiveness } from '../../../read-model/responsiveness.js'
import { periodText, scopeLines, unitFigures } from '../../../read-model/responsiveness-text.js'
import { inertText } from '../../../wecom/inert-text.js'
import type { LedgerTally, StatusLight } from '../../../read-model/figures.js'
import { excelBeijingTime } from '../../../domain/reports/sheet-table.js'
import { formatBeijingDateTime, formatChineseDate } from '../../../time/calendar-date.js'
import type { TableExport } from '../xlsx-export.js'
import { xlsxHref } from '../xlsx-export.js'
import { Page, sync, TableFooter, type Viewer } from './layout.js'

/** How the units table is sorted and filtered: query parameters, so it works without script. */
export interface UnitTableQuery {
  sort: 'light' | 'name' | 'total' | 'overdue' | 'onTime' | 'reports'
  dir: 'asc' | 'desc'
  kind: 'all' | 'town' | 'county_department'
  q: string
}

export const SORTS: readonly UnitTableQuery['sort'][] = ['light', 'name', 'total', 'overdue', 'onTime', 'reports']


/** The units the table shows, in its order (the table's rows, and the .xlsx export of the view). */
export function unitRows(overview: Overview, query: UnitTableQuery): Overview['units'] {
  const q = query.q.trim()
  const rows = overview.units.filter((u) => (query.kind === 'all' || u.kind === query.kind) && (q === '' || u.unitName.includes(q)))
  const key: Record<UnitTableQuery['sort'], (u: Overview['units'][number]) => number | string> = {
    // ledgerStatus lists worst first: descending by this is that order.
    light: (u) => -overview.units.indexOf(u),
    name: (u) => u.unitName,
    total: (u) => u.total,
    overdue: (u) => u.overdue,
    onTime: (u) => u.onTimeRate ?? -1,
    // The latest month reported on, then how many reports.
    reports: (u) => (u.lastReport ? Number(u.lastReport.month.replace('-', '')) * 1000 : 0) + u.reportsSubmitted,
  }
  const pick = key[query.sort]
  const sign = query.dir === 'asc' ? 1 : -1
  return [...rows].sort((a, b) => {
    const x = pick(a)
    const y = pick(b)
    return (typeof x === 'string' ? x.localeCompare(String(y), 'zh-CN') : x - Number(y)) * sign
  })
}

/** The units table as the page shows it (filter, search and order), for its .xlsx export. */
export function unitTableExport(overview: Overview, query: UnitTableQuery, scope: string): TableExport {
  return {
    title: `各单位整改情况（${scope}，截至${overview.today}）`,
    columns: [
      { header: '状态', kind: 'text' },
      { header: '单位', kind: 'text' },
      { header: '事项', kind: 'number' },
      { header: '逾期', kind: 'number' },
      { header: '按期率', kind: 'percent' },
      { header: '月报', kind: 'number' },
      { header: '最近月报', kind: 'text' },
      { header: '报送时间', kind: 'datetime' },
    ],
    rows: unitRows(overview, query).map((u) => [LIGHTS[u.light].name, u.unitName, u.total, u.overdue, u.onTimeRate, u.reportsSubmitted, u.lastReport ? monthName(u.lastReport.month) : '', u.lastReport ? excelBeijingTime(u.lastReport.submittedAt) : null]),
  }
}

const LIGHTS: Record<StatusLight, { css: string; name: string }> = { '🔴': { css: 'red', name: '有逾期' }, '🟡': { css: 'amber', name: '即将到期' }, '🟢': { css: 'green', name: '正常' } }

/** A light as a coloured dot with its name for screen readers (the emoji need a font many machines lack). */
export function Light(props: { light: StatusLight }): JSX.Element {
  const { css, name } = LIGHTS[props.light]
  return (
    <span class={`light ${css}`} title={name} aria-label={name}>
      ●
    </span>
  )
}

/** 总览 (docs/dashboard.md, 总览). */
export function OverviewPage(props: {
  campaignName: string
  overview: Overview
  viewer: Viewer
  query: UnitTableQuery
  trendSvg: string
  categorySvg: string
  scope: string
  /** The 响应时效 panel; none for a view of no unit. */
  responsiveness?: OverviewResponsiveness | null
  unitLink: (unitId: number) => string | null
}): string {
  const { overview, query } = props
  const today = overview.today
  const running = overview.phases.filter((p) => p.running)
  const { totals } = overview
  const rows = unitRows(overview, query)
  const deadline: string = running.length > 0 ? `今天：${running.map((p) => `${p.name}，${formatChineseDate(p.endDate, today)}截止`).join('；')}` : '今天不在任何阶段内'
  const link = (sort: UnitTableQuery['sort']) => {
    const dir = query.sort === sort && query.dir === 'desc' ? 'asc' : 'desc'
    return `/dash?${new URLSearchParams({ sort, dir, kind: query.kind, q: query.q }).toString()}`
  }
  const header = (sort: UnitTableQuery['sort'], text: string) => (
    <th>
      <a href={link(sort)} safe>
        {`${text}${query.sort === sort ? (query.dir === 'desc' ? ' ▼' : ' ▲') : ''}`}
      </a>
    </th>
  )
  return Page({
    title: '总览 · 专项治理督办',
    viewer: props.viewer,
    section: 'overview',
    children: sync(
      <>
        <h1 safe>{props.campaignName}</h1>
        <p class="scope" safe>
          {`${props.scope} · ${formatChineseDate(today, today)}`}
        </p>
        <section class="card">
          <h2>阶段</h2>
          <ol class="phases">
            {overview.phases.map((phase) => (
              <li class={phase.running ? 'phase running' : phase.endDate < today ? 'phase done' : 'phase'}>
                <span class="phase-name" safe>
                  {phase.name}
                </span>
                <span class="phase-dates" safe>
                  {`${formatChineseDate(phase.startDate, today)}–${formatChineseDate(phase.endDate, today)}`}
                </span>
              </li>
            ))}
          </ol>
          <p class="deadline" safe>
            {deadline}
          </p>
        </section>
        <section class="card">
          <h2>台账</h2>
          <Totals tally={totals} rate={totals.onTimeRate} />
        </section>
        {props.responsiveness ? <ResponsivenessPanel panel={props.responsiveness} scope={props.scope} unitLink={props.unitLink} /> : ''}
        <section class="card">
          <h2>每日趋势</h2>
          <figure class="chart" id="trend">
            {props.trendSvg as 'safe'}
          </figure>
        </section>
        <section class="card">
          <h2>逾期事项按问题类别</h2>
          <figure class="chart" id="categories">
            {props.categorySvg as 'safe'}
          </figure>
        </section>
        <section class="card">
          <h2>各单位</h2>
          <form method="get" action="/dash" class="filters">
            <input type="hidden" name="sort" value={query.sort} />
            <input type="hidden" name="dir" value={query.dir} />
            <select name="kind" aria-label="单位类别">
              <option value="all" selected={query.kind === 'all'}>
                全部单位
              </option>
              <option value="town" selected={query.kind === 'town'}>
                乡镇
              </option>
              <option value="county_department" selected={query.kind === 'county_department'}>
                县直部门
              </option>
            </select>
            <input type="search" name="q" value={query.q} placeholder="搜索单位" maxlength="20" />
            <button type="submit">筛选</button>
          </form>
          <div class="table-wrap">
            <table class="units">
              <thead>
                <tr>
                  {header('light', '状态')}
                  {header('name', '单位')}
                  {header('total', '事项')}
                  {header('overdue', '逾期')}
                  {header('onTime', '按期率')}
                  {header('reports', '最近月报')}
                </tr>
              </thead>
              <tbody>
                {rows.map((u) => (
                  <tr>
                    <td>
                      <Light light={u.light} />
                    </td>
                    <td>{unitCell(u.unitName, props.unitLink(u.unitId))}</td>
                    <td>{u.total}</td>
                    <td class={u.overdue > 0 ? 'bad' : ''}>{u.overdue}</td>
                    <td safe>{percent(u.onTimeRate)}</td>
                    <td title={u.lastReport ? `共 ${u.reportsSubmitted} 份，最近 ${formatBeijingDateTime(u.lastReport.submittedAt)} 报送` : '未报送月报'}>
                      {u.lastReport ? monthName(u.lastReport.month) : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <TableFooter xlsx={xlsxHref('/dash', { sort: query.sort, dir: query.dir, kind: query.kind, q: query.q })} count={rows.length === overview.units.length ? `共 ${rows.length} 个单位` : `显示 ${rows.length} / ${overview.units.length} 个单位`} />
        </section>
      </>,
    ),
  })
}

/**
 * 总览's 响应时效 (docs/responsiveness.md, Where they are shown): the month's figures in chat's
 * words (时效: responsiveness-text.ts) — the county's and its slowest units, each linked to its
 * page; for a unit head, their units' own.
 */
function ResponsivenessPanel(props: { panel: OverviewResponsiveness; scope: string; unitLink: (unitId: number) => string | null }): JSX.Element {
  const { panel } = props
  return (
    <section class="card" id="responsiveness">
      <h2>响应时效</h2>
      <p class="scope" safe>
        {`${props.scope} · ${periodText(panel.period)}`}
      </p>
      {panel.county === null ? (
        panel.units.map((u) => (
          <>
            <h3>{unitCell(u.unitName, props.unitLink(u.unitId))}</h3>
            <FigureLines lines={scopeLines(u)} />
          </>
        ))
      ) : (
        <>
          <FigureLines lines={scopeLines(panel.county)} />
          <h3>响应最慢的单位（未响应比例高者在前，再按响应中位）</h3>
          {panel.units.length === 0 ? (
            <p>本期没有可排名的单位（没有已到判定时点的提醒）。</p>
          ) : (
            <>
              <dl class="fields">
                {panel.units.map((u) => (
                  <>
                    <dt>
                      <span safe>{`${u.rank}. `}</span>
                      {unitCell(u.unitName, props.unitLink(u.unitId))}
                    </dt>
                    <dd safe>{unitFigures(u)}</dd>
                  </>
                ))}
              </dl>
              <p class="count" safe>
                {panel.ranked > panel.units.length ? `最慢的 ${panel.units.length} 个，共 ${panel.ranked} 个单位参与排名` : `共 ${panel.ranked} 个单位参与排名`}
              </p>
            </>
          )}
        </>
      )}
    </section>
  )
}


/** Lines of 时效 ("提醒响应：提醒 4 次，…") as a two-column list: the name before the first "：", the figures after it. */
export function FigureLines(props: { lines: readonly string[] }): JSX.Element {
  return (
    <dl class="fields">
      {props.lines.map((line) => {
        const colon = Math.max(0, line.indexOf('：'))
        return (
          <>
            <dt safe>{line.slice(0, colon)}</dt>
            <dd safe>{line.slice(colon === 0 ? 0 : colon + 1)}</dd>
          </>
        )
      })}
    </dl>
  )
}

/** A unit's name, linked to its page when the viewer may open it. */
export function unitCell(name: string, href: string | null): JSX.Element {
  return href === null ? <span safe>{name}</span> : <a href={href} safe>{name}</a>
}

/** "2015-08" → "8月" (the campaign runs within a year or two; the export has the full date). */
const monthName = (month: string): string => `${Number(month.slice(5))}月`

/** The ledger's counts as a grid (总览's totals, a unit's row): the same figures and names everywhere, 逾期 marked when any. */
export function Totals(props: { tally: LedgerTally; rate: number | null; more?: [string, number][] }): JSX.Element {
  const { tally } = props
  const entries: [string, number | string][] = [
    ['总数', tally.total],
    ['未开始', tally.notStarted],
    ['整改中', tally.inProgress],
    ['待销号', tally.awaitingVerification],
    ['已销号', tally.closed],
    ['逾期', tally.overdue],
    ['按期率', percent(props.rate)],
    ...(props.more ?? []),
  ]
  return (
    <dl class="totals">
      {entries.map(([name, value]) => (
        <div class={name === '逾期' && Number(value) > 0 ? 'total bad' : 'total'}>
          <dt safe>{name}</dt>
          <dd safe>{String(value)}</dd>
        </div>
      ))}
    </dl>
  )
}
