import type { LedgerItem } from '../../db/entities/index.js'
import { overdueText, statusLight } from '../../read-model/figures.js'
import { formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { markdown, type CardMessage } from '../../wecom/messages.js'
import { fitCard, type CardButton, type TemplateCard } from '../../wecom/template-card.js'
import { shorten } from '../ledger/format-item.js'

/**
 * The button cards (docs/cards.md, Which cards): each carries the message people got before
 * cards as its fallback, and buttons whose keys say what to do ("approve:3") or, on a reminder
 * digest, which item the drop-down chose (question key "item"). Keys are ours: a tap is checked
 * against the card as stored before anything runs (src/bot/card-tap.ts).
 */

/** What a button does; with its subject id ("close:12") except on the digest, where the item comes from the drop-down. */
export type CardAction = 'progress' | 'done' | 'extend' | 'detail' | 'approve' | 'reject' | 'close' | 'return' | 'ack' | 'attend' | 'leave' | 'read'

export const CARD_ACTIONS: readonly CardAction[] = ['progress', 'done', 'extend', 'detail', 'approve', 'reject', 'close', 'return', 'ack', 'attend', 'leave', 'read']

/** The drop-down of a digest card. */
export const ITEM_QUESTION = 'item'

/** A button key read back: the action and, for single-subject cards, the id it names. */
export function readCardKey(key: string): { action: CardAction; id: number | null } | null {
  const match = /^([a-z]+)(?::(\d{1,9}))?$/.exec(key)
  if (!match || !CARD_ACTIONS.includes(match[1] as CardAction)) return null
  return { action: match[1] as CardAction, id: match[2] === undefined ? null : Number(match[2]) }
}

const button = (text: string, key: string, style: CardButton['style'] = 1): CardButton => ({ text, key, style })

/** Most urgent first: overdue by earliest due date, then due soon. */
function byUrgency(items: readonly LedgerItem[], today: CalendarDate): LedgerItem[] {
  const rank = (item: LedgerItem) => (statusLight(item, today) === '🔴' ? 0 : 1)
  return [...items].sort((a, b) => rank(a) - rank(b) || (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.id - b.id))
}

/** "#12 招商引资…" for the drop-down (16 characters). */
const optionText = (item: LedgerItem) => `#${item.id} ${shorten(item.problem, 12)}`

/** "#12 招商引资项目跑办不积极 · 逾期3个工作日" for a row (30 characters). */
function rowValue(item: LedgerItem, today: CalendarDate): string {
  const when = statusLight(item, today) === '🔴' ? overdueText(item.dueDate, today) : `${formatChineseDate(item.dueDate, today)}到期`
  return `#${item.id} ${shorten(item.problem, 12)} · ${when}`
}

export interface DigestCardInput {
  /** The items this person can act on that need it now (overdue or due soon), their own and those of whom they stand in for. */
  items: readonly LedgerItem[]
  /** What else the digest says, in a few words ("本单位逾期 3 项已升级给您"), shown in the sub-title. */
  more: readonly string[]
  today: CalendarDate
  /** The digest as text: the card's fallback. */
  text: string
}

/**
 * A leader's reminder digest as a card: how many items need action, the six most urgent as rows,
 * a drop-down of the ten most urgent (the first chosen), and 更新进度 · 已整改 · 申请延期 · 详情.
 * null when there is nothing to act on (the digest then goes as text).
 */
export function digestCard({ items, more, today, text }: DigestCardInput): CardMessage | null {
  if (items.length === 0) return null
  const sorted = byUrgency(items, today)
  const overdue = sorted.filter((item) => statusLight(item, today) === '🔴').length
  const soon = sorted.length - overdue
  const counts = [overdue > 0 ? `逾期 ${overdue} 项` : '', soon > 0 ? `即将到期 ${soon} 项` : ''].filter(Boolean).join(' · ')
  const options = sorted.slice(0, 10)
  const rest = sorted.length > options.length ? [`另有 ${sorted.length - options.length} 项，发送「我的」查看`] : []
  const card: TemplateCard = {
    card_type: 'button_interaction',
    main_title: { title: `专项治理提醒（${formatChineseDate(today, today)}）`, desc: counts },
    sub_title_text: ['选择事项后点按钮反馈。', ...rest, ...more].join('\n'),
    horizontal_content_list: sorted.slice(0, 6).map((item) => ({ keyname: statusLight(item, today) === '🔴' ? '逾期' : '将到期', value: rowValue(item, today) })),
    button_selection: { question_key: ITEM_QUESTION, title: '选择事项', option_list: options.map((item) => ({ id: String(item.id), text: optionText(item) })), selected_id: String(options[0]!.id) },
    button_list: [button('更新进度', 'progress'), button('已整改', 'done'), button('申请延期', 'extend', 4), button('详情', 'detail', 2)],
  }
  return cardMessage(card, text)
}

/** Tapping the card outside its buttons opens the item's page, when the dashboard is on (docs/dashboard.md, Links). */
const opens = (link: string | null | undefined) => (link ? { card_action: { type: 1 as const, url: link } } : {})

/** 组织部's card for an extension request: 批准 · 驳回. */
export function extensionCard(input: { requestId: number; itemId: number; problem: string; requester: string; from: string; to: string; reason: string; text: string; link?: string | null }): CardMessage {
  return cardMessage(
    {
      card_type: 'button_interaction',
      main_title: { title: `延期申请 #${input.requestId}`, desc: `${input.requester} · 事项 #${input.itemId}` },
      sub_title_text: `${shorten(input.problem, 60)}\n理由：${shorten(input.reason, 40)}`,
      horizontal_content_list: [
        { keyname: '原时限', value: input.from },
        { keyname: '申请延至', value: input.to },
      ],
      button_list: [button('批准', `approve:${input.requestId}`), button('驳回', `reject:${input.requestId}`, 3)],
      ...opens(input.link),
    },
    input.text,
  )
}

/** 组织部's card for an item reported rectified: 销号 · 退回. */
export function verifyCard(input: { itemId: number; problem: string; reporter: string; detail: string; evidence?: string; text: string; link?: string | null }): CardMessage {
  return cardMessage(
    {
      card_type: 'button_interaction',
      main_title: { title: `待核实销号 #${input.itemId}`, desc: `${input.reporter}报告整改完成` },
      sub_title_text: `${shorten(input.problem, 60)}\n${shorten(input.detail, 46)}`,
      // What evidence there is when it was reported (docs/evidence.md, Showing).
      ...(input.evidence === undefined ? {} : { horizontal_content_list: [{ keyname: '佐证', value: input.evidence }] }),
      button_list: [button('销号', `close:${input.itemId}`), button('退回', `return:${input.itemId}`, 3)],
      ...opens(input.link),
    },
    input.text,
  )
}

/**
 * A circular's copy as a card: its title, sender and the start of its text, 收到 and 全文 (which
 * answers with the whole text, the card's fallback: a card shows 112 characters).
 */
export function circularCard(input: { id: number; label: string; title: string; body: string; from: string; text: string }): CardMessage {
  return cardMessage(
    {
      card_type: 'button_interaction',
      main_title: { title: `【${input.label}】${input.title}`, desc: `${input.from} · 第 ${input.id} 号` },
      sub_title_text: input.body,
      button_list: [button('收到', `ack:${input.id}`), button('全文', `read:${input.id}`, 2)],
    },
    input.text,
  )
}

/** A joint meeting's notice as a card: time, place, the topics, 参加 · 请假 · 全文 (the whole notice with the campaign's figures). */
export function meetingCard(input: { id: number; title: string; when: string; place: string; topics: readonly string[]; text: string }): CardMessage {
  return cardMessage(
    {
      card_type: 'button_interaction',
      main_title: { title: input.title, desc: `第 ${input.id} 次会议通知` },
      sub_title_text: input.topics.map((topic, i) => `${i + 1}. ${topic}`).join('\n'),
      horizontal_content_list: [
        { keyname: '时间', value: input.when },
        { keyname: '地点', value: input.place },
        { keyname: '议题', value: `${input.topics.length} 项` },
      ],
      button_list: [button('参加', `attend:${input.id}`), button('请假', `leave:${input.id}`, 3), button('全文', `read:${input.id}`, 2)],
    },
    input.text,
  )
}

/** A card with its fallback (markdown), every field fitted to WeCom's limits. */
export function cardMessage(card: TemplateCard, fallback: string): CardMessage {
  return { msgtype: 'template_card', template_card: fitCard(card), fallback: markdown(fallback) as CardMessage['fallback'] }
}
