import { UserFacingError } from '../../errors.js'

/**
 * The longest free text each field takes, in characters (docs/limits.md). A note a leader types
 * on a phone is a few sentences; a report, a circular or minutes a page or two. Beyond its limit
 * the text is refused with the limit named, and nothing is written.
 */
export const TEXT_LIMITS = {
  /** 进度 说明 */
  progressNote: { name: '进展说明', max: 500 },
  /** 完成 整改说明 */
  rectificationNote: { name: '整改说明', max: 500 },
  /** 延期 理由, 退回 理由, 参会 请假 理由, 会议 取消 原因 */
  reason: { name: '理由', max: 200 },
  /** 销号 意见, 批准 / 驳回 意见 */
  opinion: { name: '意见', max: 200 },
  /** 登记: 问题, 措施 */
  problem: { name: '问题描述', max: 500 },
  measures: { name: '整改措施', max: 500 },
  /** 登记: 目标 */
  target: { name: '整治目标', max: 200 },
  /** 登记: 责任部门; 会议: 名称、地点、每个议题 */
  shortField: { name: '该项', max: 100 },
  /** 月报 */
  monthlyReport: { name: '月报', max: 5000 },
  /** 通报 正文 */
  circularBody: { name: '通报正文', max: 5000 },
  /** 通报 标题 */
  circularTitle: { name: '通报标题', max: 100 },
  /** 会议 纪要 (all lines) */
  minutes: { name: '会议纪要', max: 5000 },
} as const

export type TextField = keyof typeof TEXT_LIMITS

/** How many lines a list may hold: a meeting's topics, the decisions of one 会议 纪要 (each a ledger item). */
export const MAX_LINES = { topics: 30, decisions: 50 } as const

/** Characters as a person counts them: one per Chinese character or emoji (code points). */
export function characters(text: string): number {
  let count = 0
  for (const _ of text) count += 1
  return count
}

/** Refuses `text` when it is longer than its field allows; returns it as it is otherwise. */
export function withinLimit(text: string, field: TextField, label?: string): string {
  const { name, max } = TEXT_LIMITS[field]
  const length = characters(text)
  if (length > max) {
    throw new UserFacingError(
      'too_long',
      `${label ?? name}太长：${length.toLocaleString('en-US')} 字，上限 ${max.toLocaleString('en-US')} 字。请精简后重发，未保存任何内容${max >= 5000 ? '；篇幅较长的材料请线下报送' : ''}。`,
    )
  }
  return text
}

/**
 * Something a person typed, quoted back in an answer: at most 20 characters, then "…". A
 * mistyped word is recognisable from its start, and a 15,000-character token must not come back
 * as twenty messages.
 */
export function quoteTyped(typed: string, max = 20): string {
  const chars = [...typed]
  return chars.length <= max ? typed : `${chars.slice(0, max).join('')}…`
}
