import type { Children } from '@kitajs/html'

/** What every signed-in page shows in its header: who is signed in, and the token of the 退出登录 form. */
export interface Viewer {
  name: string
  csrf: string
}

/** The dashboard's sections, in the header of every signed-in page. */
export const SECTIONS = [
  { key: 'overview', href: '/dash', name: '总览' },
  { key: 'mine', href: '/dash/mine', name: '我的' },
  { key: 'overdue', href: '/dash/overdue', name: '逾期' },
  { key: 'reports', href: '/dash/reports', name: '月报' },
  { key: 'meetings', href: '/dash/meetings', name: '会议' },
  { key: 'circulars', href: '/dash/circulars', name: '通报' },
] as const

export type Section = (typeof SECTIONS)[number]['key']

/** A whole page: our CSS only (no CDN, no external fonts; docs/dashboard.md), readable at 390 px. */
export function Page(props: { title: string; viewer?: Viewer; section?: Section; children?: Children }): string {
  return sync(
    <>
      {'<!doctype html>'}
      <html lang="zh-CN">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{props.title}</title>
          <link rel="stylesheet" href="/dash/static/dash.css" />
          {/* No icon to fetch: the browser would ask for /favicon.ico, outside the dashboard. */}
          <link rel="icon" href="data:," />
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/dash">
              专项治理督办
            </a>
            {props.viewer ? (
              <form method="post" action="/dash/logout" class="logout">
                <span class="who" safe>
                  {props.viewer.name}
                </span>
                <input type="hidden" name="csrf" value={props.viewer.csrf} />
                <button type="submit">退出登录</button>
              </form>
            ) : (
              ''
            )}
          </header>
          {props.viewer ? (
            <nav class="sections">
              {SECTIONS.map((s) => (
                <a href={s.href} class={s.key === props.section ? 'current' : ''} aria-current={s.key === props.section ? 'page' : undefined}>
                  {s.name}
                </a>
              ))}
            </nav>
          ) : (
            ''
          )}
          <main>{props.children}</main>
        </body>
      </html>
    </>,
  )
}

/** Our pages are synchronous: a JSX tree is a string (an async component would make it a promise). */
export function sync(html: JSX.Element): string {
  if (typeof html !== 'string') throw new Error('dashboard page rendered asynchronously')
  return html
}

/** A page that only says something: a refusal, a sign-out, an error. */
export function MessagePage(props: { title: string; lines: readonly string[]; link?: { href: string; text: string } }): string {
  return sync(
    <Page title={props.title}>
      <section class="card message">
        <h1 safe>{props.title}</h1>
        {props.lines.map((line) => (
          <p safe>{line}</p>
        ))}
        {props.link ? (
          <p>
            <a href={props.link.href} safe>
              {props.link.text}
            </a>
          </p>
        ) : (
          ''
        )}
      </section>
    </Page>,
  )
}

/** Under a table: its 导出 Excel link (the same view as .xlsx; docs/dashboard.md, Exports) and, given, the line counting its rows. */
export function TableFooter(props: { xlsx: string; count?: string }): JSX.Element {
  return (
    <>
      <p class="actions">
        <a href={props.xlsx}>导出 Excel</a>
      </p>
      {props.count === undefined ? (
        ''
      ) : (
        <p class="count" safe>
          {props.count}
        </p>
      )}
    </>
  )
}
