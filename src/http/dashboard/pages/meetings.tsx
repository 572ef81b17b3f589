import type { MeetingStatus } from '../../../db/entities/index.js'
import type { MeetingDecision, RollPerson } from '../../../read-model/dashboard-meetings.js'
import { STATE_NAMES } from '../../../read-model/figures.js'
import type { Roll } from '../../../read-model/meetings.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate, type CalendarDate } from '../../../time/calendar-date.js'
import type { TableExport } from '../xlsx-export.js'
import { xlsxHref } from '../xlsx-export.js'
import { Page, sync, TableFooter, type Viewer } from './layout.js'
import { unitCell } from './overview.js'

/** A meeting's status as people read it. */
export const MEETING_STATUS: Record<MeetingStatus, string> = { scheduled: '待召开', held: '已召开', cancelled: '已取消' }

/** An answer to the notice as people read it (参会 参加 / 请假, or none yet). */
const RESPONSES: Record<RollPerson['response'], string> = { attend: '参加', leave: '请假', pending: '未回复' }

/** One meeting of the list: its number, Beijing time (as chat writes it), place and status. */
export interface MeetingRow {
  id: number
  title: string
  when: string
  place: string
  status: MeetingStatus
}

/** The meetings table as .xlsx: the rows the page shows. */
export function meetingListExport(rows: readonly MeetingRow[], scope: string): TableExport {
  return {
    title: `联席会议（${scope}）`,
    columns: [
      { header: '编号', kind: 'number' },
      { header: '时间', kind: 'text' },
      { header: '地点', kind: 'text' },
      { header: '状态', kind: 'text' },
    ],
    rows: rows.map((m) => [m.id, m.when, m.place, MEETING_STATUS[m.status]]),
  }
}

/** 会议 (docs/dashboard.md, 会议): the list chat's 会议 gives this person. */
export function MeetingsPage(props: { viewer: Viewer; rows: readonly MeetingRow[]; scope: string; empty: string }): string {
  return Page({
    title: '会议 · 专项治理督办',
    viewer: props.viewer,
    section: 'meetings',
    children: sync(
      <>
        <h1>联席会议</h1>
        <p class="scope" safe>
          {props.scope}
        </p>
        <section class="card">
          {props.rows.length === 0 ? (
            <p safe>{props.empty}</p>
          ) : (
            <>
              <div class="table-wrap">
                <table class="meetings">
                  <thead>
                    <tr>
                      <th>编号</th>
                      <th>时间</th>
                      <th class="text">地点</th>
                      <th>状态</th>
                    </tr>
                  </thead>
                  <tbody>
                    {props.rows.map((m) => (
                      <tr>
                        <td>
                          <a href={`/dash/meetings/${m.id}`}>#{m.id}</a>
                        </td>
                        <td>
                          <a href={`/dash/meetings/${m.id}`} safe>
                            {m.when}
                          </a>
                        </td>
                        <td class="text" safe>
                          {m.place}
                        </td>
                        <td class={m.status === 'cancelled' ? 'bad' : ''} safe>
                          {MEETING_STATUS[m.status]}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <TableFooter xlsx={xlsxHref('/dash/meetings')} count={`共 ${props.rows.length} 次会议`} />
            </>
          )}
        </section>
      </>,
    ),
  })
}

/** What one meeting's page shows. */
export interface MeetingView {
  id: number
  title: string
  when: string
  place: string
  status: MeetingStatus
  /** The notice as 会议 详情 gives it (meetingNotice, full): the agenda and where the campaign stands. */
  notice: string
  roll: Roll
  people: readonly RollPerson[]
  minutes: string | null
  decisions: readonly MeetingDecision[]
  today: CalendarDate
}

/** When someone answered: "9月2日 10:00" in Beijing time (the year too when it is not this year's). */
const respondedText = (p: RollPerson, today: CalendarDate) =>
  p.response === 'pending' || p.respondedAt === null ? '' : `${formatChineseDate(beijingDate(p.respondedAt), today)} ${formatBeijingDateTime(p.respondedAt).slice(11)}`

/** The roll call as .xlsx: one row per participant, as the page lists them. */
export function rollCallExport(view: MeetingView): TableExport {
  return {
    title: `联席会议 #${view.id} 回复情况（${view.when}）`,
    columns: [
      { header: '姓名', kind: 'text' },
      { header: '单位', kind: 'text' },
      { header: '回复', kind: 'text' },
      { header: '请假理由', kind: 'text' },
      { header: '回复时间', kind: 'text' },
    ],
    rows: view.people.map((p) => [p.name, p.unitName, RESPONSES[p.response], p.reason ?? '', respondedText(p, view.today)]),
  }
}

/** A line of the notice: its **bold** parts (our own markup; what people typed was made inert) as bold. */
function NoticeLine(props: { line: string }): JSX.Element {
  return (
    <p>
      {props.line.split('**').map((part, i) =>
        i % 2 === 1 ? (
          <strong safe>{part}</strong>
        ) : (
          <span safe>{part}</span>
        ),
      )}
    </p>
  )
}

/** A meeting (docs/dashboard.md, 会议): what 会议 详情 says, with the roll call person by person and the minutes' decisions. */
export function MeetingPage(props: { viewer: Viewer; view: MeetingView; unitLink: (unitId: number) => string | null }): string {
  const { view } = props
  const { roll } = view
  const unit = (id: number | null, name: string) => (id === null ? <span safe>{name}</span> : unitCell(name, props.unitLink(id)))
  return Page({
    title: `会议 #${view.id} · 专项治理督办`,
    viewer: props.viewer,
    section: 'meetings',
    children: sync(
      <>
        <h1 safe>{`${view.title}（#${view.id}）`}</h1>
        <p class="scope">
          <a href="/dash/meetings">全部会议</a>
        </p>
        <section class="card">
          <dl class="fields">
            <dt>时间</dt>
            <dd safe>{view.when}</dd>
            <dt>地点</dt>
            <dd safe>{view.place}</dd>
            <dt>状态</dt>
            <dd class={view.status === 'cancelled' ? 'bad' : ''} safe>
              {MEETING_STATUS[view.status]}
            </dd>
          </dl>
        </section>
        <section class="card" id="agenda">
          <h2>会议通知</h2>
          <div class="body">
            {view.notice.split('\n').map((line) => (
              <NoticeLine line={line} />
            ))}
          </div>
        </section>
        <section class="card" id="roll">
          <h2>回复情况</h2>
          <dl class="totals">
            <div class="total">
              <dt>已确认参加</dt>
              <dd>{roll.attend.length}</dd>
            </div>
            <div class="total">
              <dt>请假</dt>
              <dd>{roll.leave.length}</dd>
            </div>
            <div class={roll.pending.length > 0 ? 'total bad' : 'total'}>
              <dt>未回复</dt>
              <dd>{roll.pending.length}</dd>
            </div>
          </dl>
          <div class="table-wrap">
            <table class="roll">
              <thead>
                <tr>
                  <th class="name">姓名</th>
                  <th class="text">单位</th>
                  <th>回复</th>
                  <th class="text">请假理由</th>
                  <th>回复时间</th>
                </tr>
              </thead>
              <tbody>
                {view.people.map((p) => (
                  <tr>
                    <td class="name" safe>
                      {p.name}
                    </td>
                    <td class="text">{unit(p.unitId, p.unitName)}</td>
                    <td class={p.response === 'pending' ? 'bad' : ''} safe>
                      {RESPONSES[p.response]}
                    </td>
                    <td class="text" safe>
                      {p.reason ?? ''}
                    </td>
                    <td safe>{respondedText(p, view.today)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <TableFooter xlsx={xlsxHref(`/dash/meetings/${view.id}`)} />
        </section>
        {view.decisions.length > 0 || view.minutes ? (
          <section class="card" id="minutes">
            <h2>会议纪要</h2>
            {view.decisions.length > 0 ? (
              <div class="table-wrap">
                <table class="decisions">
                  <thead>
                    <tr>
                      <th>序号</th>
                      <th class="text">决定事项</th>
                      <th class="text">交办单位</th>
                      <th>完成时限</th>
                      <th>台账事项</th>
                    </tr>
                  </thead>
                  <tbody>
                    {view.decisions.map((d, i) => (
                      <tr>
                        <td>{i + 1}</td>
                        <td class="text" safe>
                          {d.text}
                        </td>
                        <td class="text">{d.item ? unit(d.item.unitId, d.item.unitName) : ''}</td>
                        <td>{d.item ? formatChineseDate(d.item.dueDate, view.today) : ''}</td>
                        <td>
                          {d.item ? (
                            <a href={`/dash/items/${d.item.id}`} safe>
                              {`#${d.item.id} ${STATE_NAMES[d.item.status]}`}
                            </a>
                          ) : (
                            ''
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              (view.minutes ?? '').split('\n').map((line) => <p safe>{line}</p>)
            )}
          </section>
        ) : (
          ''
        )}
      </>,
    ),
  })
}
