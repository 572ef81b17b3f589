import { cutIntoPages, keepPages, type ListToPage } from '../domain/conversation/list-pages.js'
import { markdown, type CardMessage } from '../wecom/messages.js'
import type { CommandContext } from './define-command.js'

/**
 * Answers with a list: its first page, the rest kept for 更多 with the message to send again once
 * they expire (`command` and the first line of what was typed; docs/chat.md, Long lists); or
 * `empty` when it has no lines. Every list a command answers with goes through this, instead of
 * cutting it and saying "另有 N 项". `asCard` makes a one-page answer a card (its text the fallback).
 */
export async function replyList(context: CommandContext, command: string, list: ListToPage, asCard?: (text: string) => CardMessage | null): Promise<void> {
  const empty = list.lines.length === 0 && list.empty !== undefined
  const pages = empty ? [] : cutIntoPages(list)
  // An empty or one-page list is the last list too: 更多 then has nothing older to continue.
  // What to send again once the kept pages expired: the command with what was asked ("逾期 城关镇").
  const resend = [...`${command} ${context.args.text.split('\n')[0]}`.trim()].slice(0, 60).join('')
  await keepPages(context.dataSource, context.sender.id, resend, pages, context.now())
  // A one-page answer that asks for one decision may go as a card with that page as its fallback (docs/cards.md).
  const card = !empty && pages.length === 1 && asCard ? asCard(pages[0]!) : null
  context.reply(empty ? list.empty! : (card ?? markdown(pages[0]!)))
}
