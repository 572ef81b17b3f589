import { randomBytes } from 'node:crypto'
import { utf8Length } from './utf8-limits.js'

/**
 * WeCom's template cards as this bot sends them (docs/cards.md): the notice card, and the
 * button card whose taps come back to the callback. Every limit is checked here, when the card
 * is built, never left to WeCom's error: free text is shortened to fit (with "…"), and what the
 * code itself chose (button texts, keys, how many buttons) throws CardLimitError.
 */
export interface TemplateCard {
  card_type: 'text_notice' | 'button_interaction'
  source?: { desc: string; desc_color?: 0 | 1 | 2 | 3 }
  main_title: { title: string; desc?: string }
  sub_title_text?: string
  horizontal_content_list?: CardRow[]
  card_action?: { type: 1; url: string }
  /** Required for button cards: unique within the app for all time (docs/cards.md, Task ids). */
  task_id?: string
  button_selection?: ButtonSelection
  button_list?: CardButton[]
  /** On an update: greys every button with this text (nothing is left to do). */
  replace_text?: string
}

export interface CardRow {
  keyname: string
  value: string
}

export interface CardButton {
  text: string
  /** 1 blue, 2 grey, 3 red, 4 light blue. */
  style?: 1 | 2 | 3 | 4
  key: string
}

export interface ButtonSelection {
  question_key: string
  title: string
  option_list: { id: string; text: string }[]
  selected_id?: string
}

/** The limits this bot builds to: the stricter of what WeCom's documents say (docs/cards.md, Limits). */
export const CARD_LIMITS = {
  titleChars: 26,
  titleDescChars: 30,
  subTitleChars: 112,
  rows: 6,
  rowKeyChars: 5,
  rowValueChars: 30,
  buttons: 6,
  buttonTextChars: 10,
  keyBytes: 1024,
  options: 10,
  optionIdBytes: 128,
  optionTextChars: 16,
  selectionTitleChars: 10,
  replaceTextChars: 10,
  taskIdBytes: 128,
  sourceChars: 13,
} as const

/** A card the code built wrongly (too many buttons, a key too long): a bug, never a person's input. */
export class CardLimitError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CardLimitError'
  }
}

const chars = (text: string) => [...text].length

/** `text` cut to `max` characters (whole code points), ending "…" when cut. */
export function fitChars(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const points = [...flat]
  return points.length <= max ? flat : `${points.slice(0, max - 1).join('')}…`
}

const TASK_ID = /^[A-Za-z0-9_\-@]{1,128}$/

/**
 * A new task id: letters, digits, "-" and "_" (docs/cards.md, Task ids). Made when the outbox row
 * is written, never again for another row: the stored column is unique, and 72 random bits
 * after the time make a collision practically impossible.
 */
export function newTaskId(now: Date): string {
  return `c${now.getTime().toString(36)}${randomBytes(9).toString('base64url')}`
}

export const isTaskId = (value: string): boolean => TASK_ID.test(value) && utf8Length(value) <= CARD_LIMITS.taskIdBytes

/**
 * The card with every free text fitted to its limit; throws CardLimitError for what cannot be
 * fitted without changing what the card does (buttons, keys, options).
 */
export function fitCard(card: TemplateCard): TemplateCard {
  const fitted: TemplateCard = {
    ...card,
    // A title of blanks only (an imported name, say) still makes a card WeCom takes.
    main_title: { title: fitChars(card.main_title.title, CARD_LIMITS.titleChars) || '（无标题）', ...(card.main_title.desc ? { desc: fitChars(card.main_title.desc, CARD_LIMITS.titleDescChars) } : {}) },
    ...(card.source ? { source: { ...card.source, desc: fitChars(card.source.desc, CARD_LIMITS.sourceChars) } } : {}),
    ...(card.sub_title_text !== undefined ? { sub_title_text: fitSubTitle(card.sub_title_text) } : {}),
    ...(card.horizontal_content_list
      ? { horizontal_content_list: card.horizontal_content_list.map((row) => ({ keyname: fitChars(row.keyname, CARD_LIMITS.rowKeyChars), value: fitChars(row.value, CARD_LIMITS.rowValueChars) })) }
      : {}),
    ...(card.button_selection
      ? {
          button_selection: {
            ...card.button_selection,
            title: fitChars(card.button_selection.title, CARD_LIMITS.selectionTitleChars),
            option_list: card.button_selection.option_list.map((option) => ({ id: option.id, text: fitChars(option.text, CARD_LIMITS.optionTextChars) })),
          },
        }
      : {}),
    ...(card.replace_text !== undefined ? { replace_text: fitChars(card.replace_text, CARD_LIMITS.replaceTextChars) } : {}),
  }
  checkCard(fitted)
  return fitted
}

/** The sub-title keeps its line breaks (they render), only its length is cut. */
function fitSubTitle(text: string): string {
  const points = [...text.trim()]
  return points.length <= CARD_LIMITS.subTitleChars ? points.join('') : `${points.slice(0, CARD_LIMITS.subTitleChars - 1).join('')}…`
}

/** Throws CardLimitError unless the card is within every limit (docs/cards.md, Limits). */
export function checkCard(card: TemplateCard): void {
  const fail = (what: string) => {
    throw new CardLimitError(`template card: ${what}`)
  }
  if (chars(card.main_title.title) === 0 || chars(card.main_title.title) > CARD_LIMITS.titleChars) fail('main_title.title empty or too long')
  if (card.main_title.desc !== undefined && chars(card.main_title.desc) > CARD_LIMITS.titleDescChars) fail('main_title.desc too long')
  if (card.sub_title_text !== undefined && chars(card.sub_title_text) > CARD_LIMITS.subTitleChars) fail('sub_title_text too long')
  if (card.source && chars(card.source.desc) > CARD_LIMITS.sourceChars) fail('source.desc too long')
  const rows = card.horizontal_content_list ?? []
  if (rows.length > CARD_LIMITS.rows) fail(`${rows.length} horizontal rows (at most ${CARD_LIMITS.rows})`)
  for (const row of rows) if (chars(row.keyname) > CARD_LIMITS.rowKeyChars || chars(row.value) > CARD_LIMITS.rowValueChars) fail('horizontal row too long')
  if (card.replace_text !== undefined && (chars(card.replace_text) === 0 || chars(card.replace_text) > CARD_LIMITS.replaceTextChars)) fail('replace_text empty or too long')
  if (card.card_type === 'text_notice') {
    if (!card.card_action) fail('a notice card needs card_action')
    return
  }
  // The task id is made when the outbox row is written (enqueue); before that a card has none.
  if (card.task_id !== undefined && !isTaskId(card.task_id)) fail('task_id not letters, digits and _-@ within 128 bytes')
  const buttons = card.button_list ?? []
  if (buttons.length === 0 || buttons.length > CARD_LIMITS.buttons) fail(`${buttons.length} buttons (1 to ${CARD_LIMITS.buttons})`)
  const keys = new Set<string>()
  for (const button of buttons) {
    if (chars(button.text) === 0 || chars(button.text) > CARD_LIMITS.buttonTextChars) fail(`button text "${button.text}" empty or over ${CARD_LIMITS.buttonTextChars} characters`)
    if (utf8Length(button.key) === 0 || utf8Length(button.key) > CARD_LIMITS.keyBytes) fail('button key empty or over 1,024 bytes')
    if (keys.has(button.key)) fail(`button key "${button.key}" used twice`)
    keys.add(button.key)
  }
  const selection = card.button_selection
  if (selection) {
    if (utf8Length(selection.question_key) === 0 || utf8Length(selection.question_key) > CARD_LIMITS.keyBytes) fail('question_key empty or over 1,024 bytes')
    if (chars(selection.title) > CARD_LIMITS.selectionTitleChars) fail('selection title too long')
    const options = selection.option_list
    if (options.length === 0 || options.length > CARD_LIMITS.options) fail(`${options.length} options (1 to ${CARD_LIMITS.options})`)
    const ids = new Set<string>()
    for (const option of options) {
      if (utf8Length(option.id) === 0 || utf8Length(option.id) > CARD_LIMITS.optionIdBytes) fail('option id empty or over 128 bytes')
      if (chars(option.text) === 0 || chars(option.text) > CARD_LIMITS.optionTextChars) fail('option text empty or too long')
      if (ids.has(option.id)) fail(`option id "${option.id}" used twice`)
      ids.add(option.id)
    }
    if (selection.selected_id !== undefined && !ids.has(selection.selected_id)) fail('selected_id is not an option')
  }
}

/** The card's interactive types: a tap comes back as template_card_event (docs/cards.md). */
export const isInteractive = (card: TemplateCard): boolean => card.card_type !== 'text_notice'
