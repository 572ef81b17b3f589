import type { Children } from '@kitajs/html'
import type { DisclosedItem, DisclosedUnit } from '../../read-model/public-disclosure.js'
import { formatChineseDate } from '../../time/calendar-date.js'

/** What 整改公示 shows (docs/disclosure.md): the running campaign's public items, as of a minute. */
export interface GongshiView {
  campaignName: string
  /** "2015年8月31日 09:00", Beijing time: when the rows were read. */
  updatedAt: string
  units: DisclosedUnit[]
}

/** The columns of each unit's table, and of the CSV after 单位. */
export const ITEM_COLUMNS = ['问题', '整改措施', '整改目标', '整改时限', '责任部门', '状态', '进度'] as const

/** A public page of its own: no dashboard header, navigation or login; our CSS only, no CDN, no web fonts. */
function PublicPage(props: { title: string; heading: string; children?: Children }): string {
  return sync(
    <>
      {'<!doctype html>'}
      <html lang="zh-CN">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{props.title}</title>
          <link rel="stylesheet" href="/gongshi/gongshi.css" />
          {/* No icon to fetch: the browser would ask for /favicon.ico, which is not ours to serve. */}
          <link rel="icon" href="data:," />
        </head>
        <body>
          <header class="top">
            <h1 safe>{props.heading}</h1>
          </header>
          <main>{props.children}</main>
        </body>
      </html>
    </>,
  )
}

/** 整改公示: one section per unit (name order), one row per item — a table on paper and wide screens, a block per item on a phone. */
export function GongshiPage(view: GongshiView): string {
  const heading = `整改公示 · ${view.campaignName}`
  const count = view.units.reduce((sum, unit) => sum + unit.items.length, 0)
  return PublicPage({
    title: heading,
    heading,
    children: sync(
      <>
        <p class="lead">根据专项治理工作要求，现将各单位问题整改措施及整改进展予以公示，接受社会监督。</p>
        <p class="meta">
          <span safe>{`更新于 ${view.updatedAt}`}</span>
          <span> · 共 {count} 项</span>
          <a class="no-print" href="/gongshi.csv">
            下载 CSV
          </a>
        </p>
        {view.units.length === 0 ? (
          <p class="empty">本期暂无公示的整改事项。</p>
        ) : (
          view.units.map((unit) => (
            <section class="unit">
              <h2 safe>{unit.unitName}</h2>
              <table class="items">
                <thead>
                  <tr>
                    {ITEM_COLUMNS.map((name) => (
                      <th scope="col">{name}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>{unit.items.map(ItemRow)}</tbody>
              </table>
            </section>
          ))
        )}
      </>,
    ),
  })
}

function ItemRow(item: DisclosedItem): JSX.Element {
  return (
    <tr>
      <td data-label="问题" class="problem" safe>
        {item.problem}
      </td>
      <td data-label="整改措施" safe>
        {item.measures}
      </td>
      <td data-label="整改目标" safe>
        {item.target}
      </td>
      <td data-label="整改时限" class="date">
        <span safe>{formatChineseDate(item.dueDate)}</span>
        {item.originalDueDate ? (
          <span class="was" safe>
            {`原定 ${formatChineseDate(item.originalDueDate)}`}
          </span>
        ) : (
          ''
        )}
      </td>
      <td data-label="责任部门" safe>
        {item.department ?? '—'}
      </td>
      <td data-label="状态" class={`state ${item.status}`} safe>
        {item.statusName}
      </td>
      <td data-label="进度" class="progress">
        {item.progress}%
      </td>
    </tr>
  )
}

/** No campaign running or started: nothing to disclose. */
export function NothingToDisclosePage(): string {
  return PublicPage({
    title: '整改公示',
    heading: '整改公示',
    children: sync(<p class="empty">目前没有开展中的专项治理，暂无需要公示的整改事项。</p>),
  })
}

/** 429: the address asked too often in this minute. */
export function TooManyRequestsPage(seconds: number): string {
  return PublicPage({
    title: '访问过于频繁 · 整改公示',
    heading: '整改公示',
    children: sync(
      <section class="message">
        <h2>访问过于频繁</h2>
        <p>您的访问过于频繁，请 {seconds} 秒后再试。</p>
      </section>,
    ),
  })
}

/** Our pages are synchronous: a JSX tree is a string (an async component would make it a promise). */
function sync(html: JSX.Element): string {
  if (typeof html !== 'string') throw new Error('public page rendered asynchronously')
  return html
}
