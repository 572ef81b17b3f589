import type { QuestionKind } from '../db/entities/index.js'
import type { CardAction } from '../domain/cards/build-cards.js'
import { EVIDENCE_QUESTION } from '../domain/evidence/attach-evidence.js'

/**
 * What each card button does, as the typed command it stands for (docs/cards.md, Buttons): a
 * tap runs exactly that command, so it has the command's permissions, history and notices.
 * Buttons that need words first ask a question; its answer completes the command.
 */
export interface ActionSpec {
  /** What the button acts on: its outcome is kept per subject ("item:12"). */
  subject: 'item' | 'extension' | 'circular' | 'meeting'
  /** The command typed for it; `answer` is the reply to its question. */
  command: (id: number, answer?: string) => string
  /** Asked before the command runs, when the button cannot carry what the command needs. */
  question?: QuestionKind
  /** Only reads: the card stays as it is. */
  readOnly?: boolean
  /** Each recipient answers for themselves (a circular, a meeting): the outcome shows on the tapper's card alone. */
  personal?: boolean
  /** Shown on the card once done (at most 10 characters). */
  word: string
  /** Nothing more to do about the subject from this card afterwards. */
  settles: boolean
}

export const ACTIONS: Readonly<Record<CardAction, ActionSpec>> = {
  progress: { subject: 'item', command: (id, answer = '') => `进度 ${id} ${answer}`, question: 'progress', word: '已更新进度', settles: false },
  done: { subject: 'item', command: (id, answer = '') => `完成 ${id} ${answer}`, question: 'done', word: '已报整改', settles: true },
  extend: { subject: 'item', command: (id, answer = '') => `延期 ${id} ${answer}`, question: 'extend', word: '已申请延期', settles: true },
  detail: { subject: 'item', command: (id) => `详情 ${id}`, readOnly: true, word: '', settles: false },
  approve: { subject: 'extension', command: (id) => `批准 ${id}`, word: '已批准', settles: true },
  reject: { subject: 'extension', command: (id, answer = '') => `驳回 ${id} ${answer}`, question: 'reject_extension', word: '已驳回', settles: true },
  close: { subject: 'item', command: (id) => `销号 ${id}`, word: '已销号', settles: true },
  return: { subject: 'item', command: (id, answer = '') => `退回 ${id} ${answer}`, question: 'send_back', word: '已退回', settles: true },
  ack: { subject: 'circular', command: (id) => `收到 ${id}`, word: '已收到', settles: true, personal: true },
  attend: { subject: 'meeting', command: (id) => `参会 ${id} 参加`, word: '已确认参加', settles: true, personal: true },
  leave: { subject: 'meeting', command: (id, answer = '') => `参会 ${id} 请假 ${answer}`, question: 'meeting_leave', word: '已请假', settles: true, personal: true },
  // 全文: the card's whole text (its fallback), to whoever it went to; no command needed.
  read: { subject: 'item', command: () => '', readOnly: true, word: '', settles: false },
}

/**
 * Each question: the button it came from (none for a question the bot asks by itself), what it
 * asks, the command typed instead (named when the question expired), and, without a button, the
 * command its answer completes.
 */
export interface QuestionSpec {
  action: CardAction | null
  prompt: (id: number) => string
  typed: (id: number) => string
  answer?: (id: number, reply: string) => string
}

export const QUESTIONS: Readonly<Record<QuestionKind, QuestionSpec>> = {
  progress: { action: 'progress', prompt: (id) => `请回复 #${id} 的进度百分比和说明，如：60% 已完成主体整改`, typed: (id) => `进度 ${id} 60% 已完成主体整改` },
  done: { action: 'done', prompt: (id) => `请回复 #${id} 的整改说明，如：已建立首问负责制并公示`, typed: (id) => `完成 ${id} 整改说明` },
  extend: { action: 'extend', prompt: (id) => `请回复 #${id} 的新时限和理由，如：9月30日 需等待省厅批复`, typed: (id) => `延期 ${id} 9月30日 理由` },
  reject_extension: { action: 'reject', prompt: (id) => `请回复驳回延期申请 #${id} 的意见，如：理由不充分，请按期完成`, typed: (id) => `驳回 ${id} 意见` },
  send_back: { action: 'return', prompt: (id) => `请回复退回 #${id} 的理由，如：公示材料不全，请补充`, typed: (id) => `退回 ${id} 理由` },
  meeting_leave: { action: 'leave', prompt: (id) => `请回复第 ${id} 号会议的请假理由，如：赴市里参加培训`, typed: (id) => `参会 ${id} 请假 理由` },
  // Media sent with no item named (docs/evidence.md, Attaching): the answer is the item's number.
  evidence_item: { action: null, prompt: () => EVIDENCE_QUESTION, typed: () => '佐证 编号', answer: (_id, reply) => `佐证 ${itemNumberReply(reply)}` },
}

/** "已批准（李娜 10:32）": the line a card shows for an outcome. */
export const outcomeLine = (word: string, name: string, when: string): string => `${word}（${name} ${when}）`

/** "12号", "第12项", "#12" as the number a person answers with (the question asks for an item's number). */
const itemNumberReply = (reply: string): string => reply.trim().replace(/^第\s*/, '').replace(/\s*[号项]([。.!！]*)$/, '$1')
