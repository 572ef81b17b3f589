import type { DataSource } from 'typeorm'
import { findOneForUpdate } from '../../db/row-lock.js'
import { CircularLinkSchema, CircularSchema } from '../../db/entities/index.js'
import { UserFacingError } from '../../errors.js'
import { formatWhen } from '../../time/calendar-date.js'
import { withinLimit } from '../text/text-limits.js'
import { describeAudience, resolveAudience, type Audience } from './audience.js'
import { checkLinks, findLinks } from './links.js'
import { senderSignature, type Drafted } from './publish-circular.js'

/** What 通报 修改 changes: the title, one paragraph, or (the dashboard's form) the whole title and text. */
export type DraftEdit = { title: string } | { paragraph: number; text: string } | { title: string; body: string }

/** Blank lines (with spaces on them) between paragraphs. */
const PARAGRAPH_BREAK = /\n[ \t\u3000]*(?:\n[ \t\u3000]*)+/

/**
 * A circular's body as its paragraphs: split on blank lines, each without the blank lines and the
 * trailing spaces around it (a leading indent is kept). `通报 修改 编号 段 N` names the N-th, from 1.
 */
export function paragraphsOf(body: string): string[] {
  return body
    .replace(/\r\n?/g, '\n')
    .split(PARAGRAPH_BREAK)
    .map((p) => p.replace(/^\n+/, '').trimEnd())
    .filter((p) => p.trim() !== '')
}

/** The body of some paragraphs: one blank line between each. */
export const joinParagraphs = (paragraphs: readonly string[]) => paragraphs.join('\n\n')

/** A text as typed, its line breaks made "\n" and the blank lines around it gone. */
const cleanText = (text: string) => text.replace(/\r\n?/g, '\n').replace(/^\s*\n/, '').trimEnd()

function checkedTitle(typed: string): string {
  const title = typed.replace(/\s+/g, ' ').trim()
  if (!title) throw new UserFacingError('empty_title', '缺少新标题：「标题」后面写新的标题。')
  return withinLimit(title, 'circularTitle')
}

/**
 * Edits a draft circular (docs/responsiveness.md, The drafted circular), in one transaction that
 * locks its row: two edits at once are applied one after the other, each to what the other wrote,
 * and an edit waiting for a 发送 finds the circular sent. Only a draft is edited; the text keeps
 * the limits of 通报 预览; a typical-case draft's links follow the cases its new text names.
 * Returns the draft as 通报 预览 shows it, signed as by `editorId`.
 */
export async function editDraft(
  ds: DataSource,
  options: { circularId: number; edit: DraftEdit; editorId: number; now: Date },
): Promise<{ drafted: Drafted; from: string }> {
  const { circularId, edit, now } = options
  return ds.transaction(async (manager) => {
    const circular = await findOneForUpdate(manager, CircularSchema, { id: circularId })
    if (!circular) throw new UserFacingError('unknown_draft', `没有编号为 #${circularId} 的通报草稿（发送「通报 列表」查看编号）。`)
    if (circular.status !== 'draft') {
      const when = circular.status === 'sent' ? `已于 ${formatWhen(circular.sentAt ?? now, now)} 发出` : '已撤回'
      throw new UserFacingError('not_draft', `通报 #${circularId} ${when}，只有草稿可以修改；如需更正，请另发通报。`)
    }
    let { title, body } = circular
    if ('paragraph' in edit) {
      const paragraphs = paragraphsOf(body)
      if (!Number.isInteger(edit.paragraph) || edit.paragraph < 1 || edit.paragraph > paragraphs.length) {
        throw new UserFacingError('bad_paragraph', `通报 #${circularId} 的正文共 ${paragraphs.length} 段，没有第 ${edit.paragraph} 段（段号见预览中的【段N】）。`)
      }
      const text = cleanText(edit.text)
      if (!text.trim()) throw new UserFacingError('empty_text', `缺少第 ${edit.paragraph} 段的新内容：请从第二行起写这一段的新内容。`)
      paragraphs[edit.paragraph - 1] = text
      body = joinParagraphs(paragraphs)
    } else {
      title = checkedTitle(edit.title)
      if ('body' in edit) {
        body = cleanText(edit.body)
        if (!body.trim()) throw new UserFacingError('no_body', '缺少正文：通报正文不能为空。')
      }
    }
    withinLimit(body, 'circularBody')
    const links = circular.kind === 'typical_case' ? findLinks(`${title}\n${body}`) : { ledgerItemIds: [], inspectionIds: [] }
    if (circular.kind === 'typical_case') {
      if (links.ledgerItemIds.length + links.inspectionIds.length === 0) {
        throw new UserFacingError('no_case', '典型案例通报请在标题或正文中写明所涉台账编号（如 #12）或督查编号（如 督查#3）。')
      }
      await checkLinks(manager, circular.campaignId, links)
      await manager.delete(CircularLinkSchema, { circularId })
      const rows = [
        ...links.ledgerItemIds.map((ledgerItemId) => ({ circularId, ledgerItemId, inspectionId: null })),
        ...links.inspectionIds.map((inspectionId) => ({ circularId, ledgerItemId: null, inspectionId })),
      ]
      await manager.insert(CircularLinkSchema, rows)
    }
    await manager.update(CircularSchema, { id: circularId, status: 'draft' }, { title, body })
    const updated = { ...circular, title, body }
    const audience = JSON.parse(circular.audience) as Audience
    const resolved = await resolveAudience(manager, circular.campaignId, audience)
    return {
      drafted: { circular: updated, audience: resolved, links, audienceText: describeAudience(audience, resolved.units.map((u) => u.name)) },
      from: await senderSignature(manager, options.editorId),
    }
  })
}
