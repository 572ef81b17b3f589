import type { DataSource } from 'typeorm'
import { findOneForUpdate } from '../../db/row-lock.js'
import { ListPageSchema, PersonSchema } from '../../db/entities/index.js'

/** How long 更多 can continue a list (docs/chat.md, Long lists). */
export const LIST_KEPT_MINUTES = 30
/** A page holds at most this many lines of the list… */
export const PAGE_LINES = 15
/** …and at most this many bytes with its title and footer: a text message holds 2,048 (docs/wecom.md). */
export const PAGE_BYTES = 1800
/** The pages kept for 更多, stored as JSON, stay under MySQL's TEXT of 65,535 bytes (docs/chat.md, Long lists). */
export const KEPT_BYTES = 60_000

export interface ListToPage {
  /** The head of the first page, e.g. "**逾期未整改 23 项**"; later pages repeat its first line with "（续）". */
  title: string
  lines: readonly string[]
  /** The last line of the last page, e.g. what command acts on the list. */
  footer?: string
  /** The whole answer when there are no lines, e.g. "没有逾期未整改的事项。". */
  empty?: string
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8')

/**
 * Cuts a list into pages of at most PAGE_LINES lines and PAGE_BYTES bytes; every page but the
 * last ends with how to see the next one (`发送「更多」查看下一页（第 1/3 页）`), the last with
 * its number and the footer.
 */
export function cutIntoPages({ title, lines, footer }: ListToPage): string[] {
  // Room for the longest title and paging line any page could have.
  const continued = `${title.split('\n')[0]}（续）`
  const reserve = bytes(`${title}（续）\n\n发送「更多」查看下一页（第 999/999 页）`) + (footer ? bytes(`\n${footer}`) : 0)
  const chunks: string[][] = []
  let chunk: string[] = []
  let size = reserve
  for (const line of lines) {
    const length = bytes(line) + 1
    if (chunk.length > 0 && (chunk.length >= PAGE_LINES || size + length > PAGE_BYTES)) {
      chunks.push(chunk)
      chunk = []
      size = reserve
    }
    chunk.push(line)
    size += length
  }
  if (chunk.length > 0 || chunks.length === 0) chunks.push(chunk)
  const count = chunks.length
  return chunks.map((page, index) => {
    const head = index === 0 ? title : continued
    const last = index === count - 1
    const tail = last ? [...(count > 1 ? [`（第 ${count}/${count} 页，完）`] : []), ...(footer ? [footer] : [])] : [`发送「更多」查看下一页（第 ${index + 1}/${count} 页）`]
    return [head, ...page, ...tail].join('\n')
  })
}

/**
 * Keeps pages 2… of a list for the person (replacing any list kept before), or forgets the
 * kept list when this one fits one page: 更多 then continues this list, not an older one.
 */
export async function keepPages(ds: DataSource, personId: number, command: string, pages: readonly string[], now: Date): Promise<void> {
  await ds.transaction(async (manager) => {
    // The person's row serializes two lists asked for at once by the same person.
    await findOneForUpdate(manager, PersonSchema, { id: personId })
    await manager.delete(ListPageSchema, { personId })
    if (pages.length <= 1) return
    const expiresAt = new Date(now.getTime() + LIST_KEPT_MINUTES * 60_000)
    await manager.insert(ListPageSchema, { personId, command, pages: JSON.stringify(keptPart(pages)), nextPage: 2, expiresAt })
  })
}

/**
 * As many pages as fit KEPT_BYTES; when some do not, the last kept one ends saying how many there
 * were instead of pointing to the next: a list that long is narrowed, not read on a phone.
 */
function keptPart(pages: readonly string[]): string[] {
  const size = (list: readonly string[]) => Buffer.byteLength(JSON.stringify(list), 'utf8')
  if (size(pages) <= KEPT_BYTES) return [...pages]
  const kept: string[] = []
  // Room for the note that replaces the last kept page's paging line.
  while (size([...kept, pages[kept.length]!]) + 200 <= KEPT_BYTES) kept.push(pages[kept.length]!)
  const last = kept.pop()!
  const note = `（列表共 ${pages.length} 页，只保留到第 ${kept.length + 1} 页；请缩小范围后重新查询）`
  kept.push(`${last.slice(0, last.lastIndexOf('\n'))}\n${note}`)
  return kept
}

export type NextPage = { kind: 'page'; text: string; command: string } | { kind: 'expired'; command: string } | { kind: 'none' }

/** 更多: the next page of the person's kept list, moving on by one page (locked: two 更多 at once show two pages, not one twice). */
export async function takeNextPage(ds: DataSource, personId: number, now: Date): Promise<NextPage> {
  return ds.transaction(async (manager) => {
    const kept = await findOneForUpdate(manager, ListPageSchema, { personId })
    if (!kept) return { kind: 'none' }
    if (kept.expiresAt.getTime() <= now.getTime()) {
      await manager.delete(ListPageSchema, { id: kept.id })
      return { kind: 'expired', command: kept.command }
    }
    const pages = JSON.parse(kept.pages) as string[]
    const text = pages[kept.nextPage - 1] ?? ''
    if (kept.nextPage >= pages.length) await manager.delete(ListPageSchema, { id: kept.id })
    else await manager.update(ListPageSchema, { id: kept.id }, { nextPage: kept.nextPage + 1 })
    return { kind: 'page', text, command: kept.command }
  })
}
