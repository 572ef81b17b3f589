import { ROLE_NAMES } from '../../../bot/command-registry.js'
import type { Circular, OutboxStatus, Role } from '../../../db/entities/index.js'
import { kindLabel } from '../../../domain/circulars/circular-message.js'
import type { CircularStatus, ReceiptLine } from '../../../domain/circulars/circular-status.js'
import type { LinkedCase } from '../../../read-model/circulars.js'
import { acknowledgementByUnit, acknowledgementTotals, type ReceivedCircular } from '../../../read-model/dashboard-circulars.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate, type CalendarDate } from '../../../time/calendar-date.js'
import { TEXT_LIMITS } from '../../../domain/text/text-limits.js'
import type { TableExport } from '../xlsx-export.js'
import { xlsxHref } from '../xlsx-export.js'
import { Page, sync, TableFooter, type Viewer } from './layout.js'
import { unitCell } from './overview.js'

/** A circular's status as people read it. */
export const CIRCULAR_STATUS: Record<Circular['status'], string> = { draft: '草稿', sent: '已发出', recalled: '已撤回' }

/** Where a recipient's copy stands (通报 状态 counts 已送达 from these). */
const DELIVERY: Record<OutboxStatus, string> = { sent: '已送达', pending: '待发送', sending: '发送中', dead: '发送失败', cancelled: '已取消' }

/** "9月7日 10:00" in Beijing time (the year too when it is not this year's). */
const timeText = (at: Date, today: CalendarDate) => `${formatChineseDate(beijingDate(at), today)} ${formatBeijingDateTime(at).slice(11)}`
const sentText = (c: Circular, today: CalendarDate) => (c.sentAt ? timeText(c.sentAt, today) : '')
/** A recipient's unit as 通报 状态 names it ('其他' for none). */
const unitText = (name: string) => name || '其他'
const roleText = (role: string | null) => (role ? (ROLE_NAMES[role as Role] ?? '') : '')
const deliveryText = (r: ReceiptLine) => (r.delivery ? DELIVERY[r.delivery] : '—')
const ackText = (at: Date | null, today: CalendarDate) => (at ? timeText(at, today) : '未确认')
/** What a circular's count cell says: acknowledged / recipients, or — when it went to nobody (a draft, group robots only). */
const countText = (receipts: readonly ReceiptLine[]) => {
  const { recipients, acknowledged } = acknowledgementTotals(receipts)
  return recipients === 0 ? '—' : `${acknowledged}/${recipients}`
}

/** A body kept with its lines: one paragraph each. */
function Lines(props: { text: string }): JSX.Element {
  return (
    <div class="body">
      {props.text.split(/\r?\n/).map((line) => (
        <p safe>{line}</p>
      ))}
    </div>
  )
}

/** The circulars table of 组织部 as .xlsx. */
export function circularListExport(list: readonly CircularStatus[], today: CalendarDate): TableExport {
  return {
    title: '通报（全部）',
    columns: [
      { header: '编号', kind: 'number' },
      { header: '类别', kind: 'text' },
      { header: '标题', kind: 'text' },
      { header: '状态', kind: 'text' },
      { header: '发出时间', kind: 'text' },
      { header: '受众', kind: 'text' },
      { header: '已确认/收件人', kind: 'text' },
    ],
    rows: list.map((s) => [s.circular.id, kindLabel(s.circular.kind), s.circular.title, CIRCULAR_STATUS[s.circular.status], sentText(s.circular, today), s.audienceText, countText(s.receipts)]),
  }
}

/** 通报 for 组织部 (docs/dashboard.md, 通报): every circular 通报 列表 lists, with 通报 状态's figures. */
export function CircularListPage(props: { viewer: Viewer; list: readonly CircularStatus[]; today: CalendarDate }): string {
  return Page({
    title: '通报 · 专项治理督办',
    viewer: props.viewer,
    section: 'circulars',
    children: sync(
      <>
        <h1>通报</h1>
        <p class="scope">全部通报，最新的在前；确认情况与企业微信中「通报 状态 编号」一致</p>
        <section class="card">
          {props.list.length === 0 ? (
            <p>还没有通报。发布通报请在企业微信中发送「通报 发布 受众 标题」（第二行起写正文）。</p>
          ) : (
            <>
              <div class="table-wrap">
                <table class="circulars">
                  <thead>
                    <tr>
                      <th class="text">通报</th>
                      <th>已确认/收件人</th>
                    </tr>
                  </thead>
                  <tbody>
                    {props.list.map(({ circular: c, audienceText, receipts }) => (
                      <tr>
                        <td class="text">
                          <CircularLink circular={c} />
                          <br />
                          <span class={c.status === 'recalled' ? 'count bad' : 'count'} safe>
                            {[CIRCULAR_STATUS[c.status], sentText(c, props.today), audienceText].filter(Boolean).join(' · ')}
                          </span>
                        </td>
                        <td safe>{countText(receipts)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <TableFooter xlsx={xlsxHref('/dash/circulars')} count={`共 ${props.list.length} 份通报`} />
            </>
          )}
        </section>
      </>,
    ),
  })
}

/** Whether a person acknowledged a circular sent to them (when: on its page). */
const receivedState = (r: ReceivedCircular) => (r.circular.status === 'recalled' ? '已撤回' : r.acknowledgedAt ? '已确认' : '未确认')

/** "#12 【典型】title", linked to the circular's page. */
function CircularLink(props: { circular: Circular }): JSX.Element {
  const { circular: c } = props
  return (
    <a href={`/dash/circulars/${c.id}`} safe>
      {`#${c.id} ${c.kind === 'typical_case' ? '【典型】' : ''}${c.title}`}
    </a>
  )
}

/** The circulars sent to one person as .xlsx. */
export function receivedListExport(list: readonly ReceivedCircular[], today: CalendarDate): TableExport {
  return {
    title: '发给我的通报',
    columns: [
      { header: '编号', kind: 'number' },
      { header: '类别', kind: 'text' },
      { header: '标题', kind: 'text' },
      { header: '发出时间', kind: 'text' },
      { header: '确认', kind: 'text' },
    ],
    rows: list.map((r) => [r.circular.id, kindLabel(r.circular.kind), r.circular.title, sentText(r.circular, today), receivedState(r)]),
  }
}

/** 通报 for anyone but 组织部: the circulars sent to them, and whether they acknowledged each. */
export function ReceivedListPage(props: { viewer: Viewer; list: readonly ReceivedCircular[]; today: CalendarDate }): string {
  const waiting = props.list.filter((r) => r.circular.status === 'sent' && r.acknowledgedAt === null).length
  return Page({
    title: '通报 · 专项治理督办',
    viewer: props.viewer,
    section: 'circulars',
    children: sync(
      <>
        <h1>发给我的通报</h1>
        <p class="scope">
          {waiting > 0 ? `${waiting} 份待确认：阅后在企业微信中回复「收到 编号」` : '最新的在前'}
        </p>
        <section class="card">
          {props.list.length === 0 ? (
            <p>没有发给您的通报。</p>
          ) : (
            <>
              <div class="table-wrap">
                <table class="circulars">
                  <thead>
                    <tr>
                      <th class="text">通报</th>
                      <th>确认</th>
                    </tr>
                  </thead>
                  <tbody>
                    {props.list.map((r) => (
                      <tr>
                        <td class="text">
                          <CircularLink circular={r.circular} />
                          <br />
                          <span class="count" safe>
                            {sentText(r.circular, props.today)}
                          </span>
                        </td>
                        <td class={r.circular.status === 'sent' && r.acknowledgedAt === null ? 'bad' : ''}>
                          {receivedState(r)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <TableFooter xlsx={xlsxHref('/dash/circulars')} />
            </>
          )}
        </section>
      </>,
    ),
  })
}

/** The acknowledgement table (one row per recipient) as .xlsx; `units`: the table by unit. */
export function acknowledgementExport(status: CircularStatus, table: 'people' | 'units', today: CalendarDate): TableExport {
  const { circular } = status
  if (table === 'units') {
    return {
      title: `通报 #${circular.id} 各单位确认情况`,
      columns: [
        { header: '单位', kind: 'text' },
        { header: '收件人', kind: 'number' },
        { header: '已确认', kind: 'number' },
        { header: '未确认', kind: 'number' },
      ],
      rows: acknowledgementByUnit(status.receipts).map((u) => [unitText(u.unitName), u.recipients, u.acknowledged, u.recipients - u.acknowledged]),
    }
  }
  return {
    title: `通报 #${circular.id} 确认情况`,
    columns: [
      { header: '姓名', kind: 'text' },
      { header: '单位', kind: 'text' },
      { header: '身份', kind: 'text' },
      { header: '送达', kind: 'text' },
      { header: '确认', kind: 'text' },
    ],
    rows: status.receipts.map((r) => [r.name, unitText(r.unitName), roleText(r.role), deliveryText(r), ackText(r.acknowledgedAt, today)]),
  }
}

/** The heading and fields both views of a circular show. */
function CircularHead(props: { circular: Circular; fields: [string, string][]; back: string }): JSX.Element {
  const { circular: c } = props
  return (
    <>
      <h1 safe>{`【${kindLabel(c.kind)}】${c.title}`}</h1>
      <p class="scope">
        <a href="/dash/circulars" safe>
          {props.back}
        </a>
      </p>
      <section class="card">
        <dl class="fields">
          <dt>编号</dt>
          <dd>#{c.id}</dd>
          {props.fields.map(([name, value]) => (
            <>
              <dt safe>{name}</dt>
              <dd safe>{value}</dd>
            </>
          ))}
        </dl>
      </section>
    </>
  )
}

/**
 * A draft's title and text in a form (docs/dashboard.md, 通报): saved through 通报 修改's editDraft.
 * The text's paragraphs are separated by blank lines, as in chat.
 */
function DraftEditForm(props: { circular: Circular; csrf: string }): JSX.Element {
  const { circular: c } = props
  return (
    <section class="card" id="edit">
      <h2>修改草稿</h2>
      <form method="post" action={`/dash/circulars/${c.id}`} class="decide">
        <input type="hidden" name="csrf" value={props.csrf} />
        <input type="hidden" name="action" value="edit" />
        <label>
          <span>标题</span>
          {/* An attribute escapes only its quotes: "&" written as &amp; so that the title comes back as it is. */}
          <input type="text" name="title" value={c.title.replace(/&/g, '&amp;')} maxlength={String(TEXT_LIMITS.circularTitle.max)} required />
        </label>
        <label>
          <span>正文（段与段之间空一行）</span>
          {/* A browser drops the line break right after <textarea>: one is written, so that the text keeps its own first line. */}
          <textarea name="body" rows="20" maxlength={String(TEXT_LIMITS.circularBody.max)} required safe>
            {`\n${c.body}`}
          </textarea>
        </label>
        <button type="submit" class="primary">
          保存修改
        </button>
      </form>
    </section>
  )
}

/** One circular for 组织部 (docs/dashboard.md, 通报): its text and 通报 状态 — who got it, who acknowledged, by unit and by person; a draft's text editable. */
export function CircularStatusPage(props: {
  viewer: Viewer
  status: CircularStatus
  from: string
  cases: { items: readonly LinkedCase[]; inspections: readonly LinkedCase[] }
  unitLink: (unitId: number) => string | null
  today: CalendarDate
  /** The result of an edit just saved, shown once. */
  notice?: { text: string; ok: boolean } | null
}): string {
  const { status } = props
  const { circular: c, receipts } = status
  const totals = acknowledgementTotals(receipts)
  const units = acknowledgementByUnit(receipts)
  const unit = (id: number | null, name: string) => (id === null ? <span safe>{unitText(name)}</span> : unitCell(unitText(name), props.unitLink(id)))
  const fields: [string, string][] = [
    ['状态', CIRCULAR_STATUS[c.status]],
    ...(c.sentAt ? [['发出时间', timeText(c.sentAt, props.today)] as [string, string]] : []),
    ...(c.recalledAt ? [['撤回时间', timeText(c.recalledAt, props.today)] as [string, string]] : []),
    ['受众', status.audienceText],
  ]
  const robotStatus: Record<string, string> = { sent: '已发送', pending: '待发送', sending: '发送中', dead: '发送失败', cancelled: '已取消' }
  return Page({
    title: `通报 #${c.id} · 专项治理督办`,
    viewer: props.viewer,
    section: 'circulars',
    children: sync(
      <>
        {props.notice ? (
          <p class={props.notice.ok ? 'notice' : 'notice bad'} role="status" safe>
            {props.notice.text}
          </p>
        ) : (
          ''
        )}
        <CircularHead circular={c} fields={fields} back="全部通报" />
        {c.status === 'draft' ? <p class="notice" safe>{`草稿，尚未发送。发送请在企业微信中发送「通报 发送 ${c.id}」。`}</p> : ''}
        <section class="card" id="text">
          <h2>正文</h2>
          <Lines text={c.body} />
          <p safe>{`——${props.from}`}</p>
        </section>
        {props.cases.items.length + props.cases.inspections.length > 0 ? (
          <section class="card" id="cases">
            <h2>通报的典型案例</h2>
            <ul>
              {props.cases.items.map((i) => (
                <li>
                  <a href={`/dash/items/${i.id}`}>#{i.id}</a> <span safe>{`${i.unitName} ${i.text}`}</span>
                </li>
              ))}
              {props.cases.inspections.map((i) => (
                <li safe>{`督查#${i.id} ${i.unitName} ${i.text}`}</li>
              ))}
            </ul>
          </section>
        ) : (
          ''
        )}
        {c.status === 'draft' ? (
          <DraftEditForm circular={c} csrf={props.viewer.csrf} />
        ) : (
          <section class="card" id="acknowledgement">
            <h2 safe>{`确认情况${c.status === 'recalled' ? '（已撤回）' : ''}`}</h2>
            {totals.recipients === 0 ? (
              <p>本通报只发给了群机器人，群消息无需确认。</p>
            ) : (
              <>
                <dl class="totals">
                  <div class="total">
                    <dt>收件人</dt>
                    <dd>{totals.recipients}</dd>
                  </div>
                  <div class="total">
                    <dt>已送达</dt>
                    <dd>{totals.delivered}</dd>
                  </div>
                  <div class="total">
                    <dt>已确认</dt>
                    <dd>{totals.acknowledged}</dd>
                  </div>
                  <div class={totals.recipients > totals.acknowledged ? 'total bad' : 'total'}>
                    <dt>未确认</dt>
                    <dd>{totals.recipients - totals.acknowledged}</dd>
                  </div>
                </dl>
                <h3>各单位</h3>
                <div class="table-wrap">
                  <table class="ack-units">
                    <thead>
                      <tr>
                        <th class="text">单位</th>
                        <th>已确认/收件人</th>
                        <th>未确认</th>
                      </tr>
                    </thead>
                    <tbody>
                      {units.map((u) => (
                        <tr>
                          <td class="text">{unit(u.unitId, u.unitName)}</td>
                          <td safe>{`${u.acknowledged}/${u.recipients}`}</td>
                          <td class={u.recipients > u.acknowledged ? 'bad' : ''}>{u.recipients - u.acknowledged}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <TableFooter xlsx={xlsxHref(`/dash/circulars/${c.id}`, { table: 'units' })} />
                <h3>各收件人</h3>
                <div class="table-wrap">
                  <table class="ack-people">
                    <thead>
                      <tr>
                        <th class="name">姓名</th>
                        <th class="text">单位</th>
                        <th class="text">身份</th>
                        <th>送达</th>
                        <th>确认</th>
                      </tr>
                    </thead>
                    <tbody>
                      {receipts.map((r) => (
                        <tr>
                          <td class="name" safe>
                            {r.name}
                          </td>
                          <td class="text">{unit(r.unitId, r.unitName)}</td>
                          <td class="text" safe>
                            {roleText(r.role)}
                          </td>
                          <td safe>{deliveryText(r)}</td>
                          <td class={r.acknowledgedAt ? '' : 'bad'} safe>
                            {ackText(r.acknowledgedAt, props.today)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <TableFooter xlsx={xlsxHref(`/dash/circulars/${c.id}`)} />
              </>
            )}
            {status.robots.length > 0 ? <p safe>{`群：${status.robots.map((r) => `${r.name} ${robotStatus[r.status] ?? r.status}`).join('、')}`}</p> : ''}
          </section>
        )}
      </>,
    ),
  })
}

/** One circular for a recipient: its full text and whether they acknowledged it; a recalled one says so, without its text (chat recalled it). */
export function ReceivedCircularPage(props: { viewer: Viewer; received: ReceivedCircular; from: string; today: CalendarDate }): string {
  const { circular: c, acknowledgedAt } = props.received
  const recalled = c.status === 'recalled'
  const fields: [string, string][] = [
    ['发出时间', sentText(c, props.today)],
    ...(recalled ? [['撤回时间', c.recalledAt ? timeText(c.recalledAt, props.today) : ''] as [string, string]] : [['确认', acknowledgedAt ? `已于 ${timeText(acknowledgedAt, props.today)} 确认收到` : '未确认'] as [string, string]]),
  ]
  return Page({
    title: `通报 #${c.id} · 专项治理督办`,
    viewer: props.viewer,
    section: 'circulars',
    children: sync(
      <>
        <CircularHead circular={c} fields={fields} back="发给我的通报" />
        {recalled ? (
          <p class="notice bad" safe>{`通报 #${c.id} 已撤回，请勿执行，以组织部后续通知为准。`}</p>
        ) : (
          <>
            {acknowledgedAt ? '' : <p class="notice bad" safe>{`阅后请在企业微信中回复「收到 ${c.id}」确认。`}</p>}
            <section class="card" id="text">
              <h2>正文</h2>
              <Lines text={c.body} />
              <p safe>{`——${props.from}`}</p>
            </section>
          </>
        )}
      </>,
    ),
  })
}
