import type { Evidence, ExtensionStatus } from '../../../db/entities/index.js'
import { HISTORY_KIND_NAMES } from '../../../domain/ledger/format-item.js'
import { TEXT_LIMITS } from '../../../domain/text/text-limits.js'
import { EVIDENCE_NAMES, evidenceFilename, evidenceLine, evidenceType } from '../../../read-model/evidence.js'
import { isOverdue, overdueText, STATE_NAMES, statusLight } from '../../../read-model/figures.js'
import type { ItemPageData } from '../../../read-model/item-page.js'
import { beijingDate, formatBeijingDateTime, formatChineseDate, type CalendarDate } from '../../../time/calendar-date.js'
import { Page, sync, type Viewer } from './layout.js'
import { Light } from './overview.js'

const EXTENSION_STATES: Record<ExtensionStatus, string> = { pending: '待审批', approved: '已批准', denied: '已驳回', expired: '已失效' }

/**
 * The only types an evidence file is served as to be shown in the browser (docs/dashboard.md,
 * 事项): images it draws and never runs. Anything else is a download (application/octet-stream).
 */
export const INLINE_EVIDENCE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])

/** How an evidence row's file is served: its type (whitelisted), whether shown inline, and its names. */
export interface EvidenceServing {
  contentType: string
  inline: boolean
  /** 佐证-照片-20151205-1032.jpg (Beijing time), for RFC 5987's filename*. */
  filename: string
  /** An ASCII name for browsers without filename*: evidence-12.jpg. */
  asciiFilename: string
}

export function evidenceServing(e: Pick<Evidence, 'id' | 'kind' | 'contentType' | 'format' | 'receivedAt'>): EvidenceServing {
  const type = evidenceType(e)
  const inline = INLINE_EVIDENCE_TYPES.has(type)
  const { filename, extension } = evidenceFilename(e)
  return { contentType: inline ? type : 'application/octet-stream', inline, filename, asciiFilename: `evidence-${e.id}.${extension}` }
}

/** "35 KB", "1.2 MB". */
function sizeText(bytes: number | null): string {
  if (bytes === null) return ''
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/**
 * 整改佐证 (docs/dashboard.md, 事项): the evidence line; photos as thumbnails opening the full image;
 * voice notes and videos as downloads (WeCom's voice is AMR, which browsers do not play); locations
 * as text. One still being fetched says 保存中.
 */
function EvidenceSection(props: { itemId: number; evidence: readonly Evidence[]; line: string; name: (id: number) => string }): JSX.Element {
  const { itemId, evidence, name } = props
  const href = (e: Evidence) => `/dash/items/${itemId}/evidence/${e.id}`
  const stored = (e: Evidence) => e.status === 'stored' && e.storedFileId !== null
  const photos = evidence.filter((e) => e.kind === 'image')
  const recordings = evidence.filter((e) => e.kind === 'voice' || e.kind === 'video')
  const places = evidence.filter((e) => e.kind === 'location')
  const when = (e: Evidence) => formatBeijingDateTime(e.receivedAt)
  return (
    <section class="card" id="evidence">
      <h2>整改佐证</h2>
      {evidence.length === 0 ? (
        <p>暂无佐证</p>
      ) : (
        <>
          <p safe>{props.line}</p>
          {photos.length > 0 ? (
            <ul class="thumbs">
              {photos.map((e) => {
                const serving = evidenceServing(e)
                const caption = `${when(e).slice(5)} ${name(e.personId)}`
                return (
                  <li>
                    {!stored(e) ? (
                      <span class="thumb waiting">保存中</span>
                    ) : serving.inline ? (
                      <a href={href(e)} target="_blank" rel="noopener">
                        <img class="thumb" src={href(e)} loading="lazy" alt={`照片（${name(e.personId)}，${when(e)}）`} />
                      </a>
                    ) : (
                      <a class="thumb" href={href(e)} safe>
                        {`下载照片 ${sizeText(e.byteSize)}`}
                      </a>
                    )}
                    <span safe>{caption}</span>
                  </li>
                )
              })}
            </ul>
          ) : (
            ''
          )}
          {recordings.length > 0 ? (
            <ul class="evidence-list">
              {recordings.map((e) => {
                const kind = EVIDENCE_NAMES[e.kind].name
                return (
                  <li>
                    {stored(e) ? (
                      <a href={href(e)} safe>
                        {evidenceServing(e).filename}
                      </a>
                    ) : (
                      <span safe>{`${kind} 保存中`}</span>
                    )}
                    <span class="count" safe>{` ${[stored(e) ? sizeText(e.byteSize) : '', when(e), name(e.personId)].filter(Boolean).join(' · ')}`}</span>
                  </li>
                )
              })}
            </ul>
          ) : (
            ''
          )}
          {recordings.some((e) => e.kind === 'voice') ? <p class="count">语音为企业微信的 AMR 格式，浏览器不能直接播放，请下载后收听。</p> : ''}
          {places.length > 0 ? (
            <ul class="evidence-list">
              {places.map((e) => (
                <li safe>{`${e.label || '（无地名）'}（${e.latitude ?? '—'}, ${e.longitude ?? '—'}）${when(e)}`}</li>
              ))}
            </ul>
          ) : (
            ''
          )}
        </>
      )}
    </section>
  )
}

/** What the viewer may do from the page: the same roles the commands check (they check again). */
export interface ItemActions {
  /** 销号 / 退回: a verifier, while the item waits to be verified. */
  verify: boolean
  /** 批准 / 驳回 of pending extension requests: 组织部. */
  decideExtensions: boolean
}

/** 事项 (docs/dashboard.md, 事项): every field, the history as a timeline, extension requests, circulars; the actions allowed. */
export function ItemPage(props: { data: ItemPageData; today: CalendarDate; viewer: Viewer; actions: ItemActions; unitHref: string | null; notice: { text: string; ok: boolean } | null }): string {
  const { data, today, viewer, actions } = props
  const { item } = data
  const name = (id: number | null) => (id === null ? '—' : (data.names.get(id) ?? '—'))
  const due = `${formatChineseDate(item.dueDate, today)}${item.dueDate !== item.originalDueDate ? `（原定 ${formatChineseDate(item.originalDueDate, today)}）` : ''}${isOverdue(item, today) ? `，${overdueText(item.dueDate, today)}` : ''}`
  const fields: [string, string][] = [
    ['问题', item.problem],
    ...(data.findingId !== null ? ([['来源', `督查#${data.findingId}`]] as [string, string][]) : []),
    ['类别', data.category ? `${data.category.label}${data.category.name}` : '—'],
    ['措施', item.measures],
    ['目标', item.target],
    ['时限', due],
    ['责任部门', item.responsibleDepartment || '—'],
    ['责任领导', name(item.responsibleLeaderId)],
    ['责任人', name(item.responsiblePersonId)],
    ['状态', `${STATE_NAMES[item.status]}，进度 ${item.progress}%`],
  ]
  const pending = data.extensions.filter((r) => r.status === 'pending')
  const form = (action: string, extra: JSX.Element) => (
    <form method="post" action={`/dash/items/${item.id}`} class="decide">
      <input type="hidden" name="csrf" value={viewer.csrf} />
      <input type="hidden" name="action" value={action} />
      {extra}
    </form>
  )
  const noteField = (label: string, required: boolean, limit: number) => (
    <label>
      <span safe>{label}</span>
      <textarea name="note" rows="2" maxlength={String(limit)} required={required}></textarea>
    </label>
  )
  return Page({
    title: `#${item.id} · 专项治理督办`,
    viewer,
    children: sync(
      <>
        {props.notice ? (
          <p class={props.notice.ok ? 'notice' : 'notice bad'} role="status" safe>
            {props.notice.text}
          </p>
        ) : (
          ''
        )}
        <h1>
          <Light light={statusLight(item, today)} /> #{item.id}{' '}
          {props.unitHref ? (
            <a href={props.unitHref} safe>
              {data.unitName}
            </a>
          ) : (
            <span safe>{data.unitName}</span>
          )}
        </h1>
        <section class="card">
          <dl class="fields">
            {fields.map(([label, value]) => (
              <>
                <dt safe>{label}</dt>
                <dd safe>{value}</dd>
              </>
            ))}
          </dl>
        </section>
        {EvidenceSection({ itemId: item.id, evidence: data.evidence, line: evidenceLine(data.evidenceCount, today), name: (id) => name(id) })}
        {actions.verify && item.status === 'rectified' ? (
          <section class="card" id="verify">
            <h2>核实</h2>
            <p>责任单位已报告整改完成，请核实。</p>
            {form(
              'close',
              <>
                {noteField('意见（可不填）', false, TEXT_LIMITS.opinion.max)}
                <button type="submit" class="primary">
                  销号
                </button>
              </>,
            )}
            {form(
              'reopen',
              <>
                {noteField('退回理由', true, TEXT_LIMITS.reason.max)}
                <button type="submit">退回</button>
              </>,
            )}
          </section>
        ) : (
          ''
        )}
        <section class="card" id="extensions">
          <h2>延期申请</h2>
          {data.extensions.length === 0 ? (
            <p>没有延期申请。</p>
          ) : (
            <ul class="timeline">
              {data.extensions.map((r) => (
                <li>
                  <time safe>{`#${r.id} · ${formatBeijingDateTime(r.createdAt)} · ${r.requestedBy}申请`}</time>
                  <span safe>{`${formatChineseDate(r.oldDueDate, today)} → ${formatChineseDate(r.newDueDate, today)}：${r.reason}`}</span>
                  <br />
                  <strong safe>{EXTENSION_STATES[r.status]}</strong>
                  {r.decidedAt ? <span safe>{`（${r.decidedBy ?? '—'} ${formatChineseDate(beijingDate(r.decidedAt), today)}${r.decisionNote ? `：${r.decisionNote}` : ''}）`}</span> : ''}
                  {actions.decideExtensions && r.status === 'pending' ? (
                    <>
                      {form(
                        'approve',
                        <>
                          <input type="hidden" name="request" value={String(r.id)} />
                          {noteField('意见（可不填）', false, TEXT_LIMITS.opinion.max)}
                          <button type="submit" class="primary">
                            批准
                          </button>
                        </>,
                      )}
                      {form(
                        'deny',
                        <>
                          <input type="hidden" name="request" value={String(r.id)} />
                          {noteField('驳回意见（可不填）', false, TEXT_LIMITS.opinion.max)}
                          <button type="submit">驳回</button>
                        </>,
                      )}
                    </>
                  ) : (
                    ''
                  )}
                </li>
              ))}
            </ul>
          )}
          {pending.length > 0 && !actions.decideExtensions ? <p class="count">延期申请由组织部审批。</p> : ''}
        </section>
        {data.circulars.length > 0 ? (
          <section class="card" id="circulars">
            <h2>典型案例通报</h2>
            <ul>
              {data.circulars.map((c) => (
                <li>
                  <a href={`/dash/circulars/${c.id}`} safe>
                    {`#${c.id}《${c.title}》`}
                  </a>
                  <span safe>{`${c.sentAt ? ` ${formatChineseDate(beijingDate(c.sentAt), today)}` : ''}${c.status === 'recalled' ? ' 已撤回' : ''}`}</span>
                </li>
              ))}
            </ul>
          </section>
        ) : (
          ''
        )}
        <section class="card" id="history">
          <h2>办理过程</h2>
          <ol class="timeline">
            {data.updates.map((u) => (
              <li>
                <time safe>{`${formatBeijingDateTime(u.createdAt)} · ${name(u.personId)}`}</time>
                <span safe>{`${HISTORY_KIND_NAMES[u.kind]} · ${u.newProgress}%${u.note ? ` · ${u.note}` : ''}`}</span>
              </li>
            ))}
          </ol>
        </section>
      </>,
    ),
  })
}
