import type { TemplateCard } from './template-card.js'

/** ① to ⑩: a selection has at most 10 options (docs/cards.md, Limits). */
const CIRCLED = '①②③④⑤⑥⑦⑧⑨⑩'

/**
 * A template card as legible text, for console delivery and the chat simulator, where nothing
 * renders cards: its texts in the order WeCom shows them, then what a tap needs — the option
 * ids, the button keys and the task id (npm run chat -- --click <task id> <key>).
 */
export function describeCard(card: TemplateCard): string {
  const lines: string[] = []
  if (card.source) lines.push(`〔${card.source.desc}〕`)
  lines.push(card.main_title.title)
  if (card.main_title.desc) lines.push(card.main_title.desc)
  if (card.sub_title_text) lines.push(card.sub_title_text)
  for (const row of card.horizontal_content_list ?? []) lines.push(`${row.keyname}：${row.value}`)
  const selection = card.button_selection
  if (selection) {
    const options = selection.option_list.map((option, i) => `${CIRCLED[i] ?? `(${i + 1})`} ${option.text}(id=${option.id})${option.id === selection.selected_id ? '（已选）' : ''}`)
    lines.push(`${selection.title}：${options.join(' ')}`)
  }
  const buttons = card.button_list ?? []
  if (card.replace_text !== undefined) lines.push(`[${card.replace_text}]（按钮已置灰）`)
  else if (buttons.length > 0) lines.push(buttons.map((button) => `[${button.text}](key=${button.key})`).join(' '))
  if (card.card_action) lines.push(`链接：${card.card_action.url}`)
  if (card.task_id) lines.push(`任务 ${card.task_id}`)
  return lines.join('\n')
}
