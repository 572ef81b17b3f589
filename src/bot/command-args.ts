import { normalizeCommandText } from '../domain/text/normalize-text.js'

/**
 * A command's arguments two ways: normalized tokens for what is parsed (numbers, percentages,
 * dates: "＃１２" is "#12"), and the person's own words, untouched, for what is free text
 * (a progress note keeps its "，" and "："; NFKC would turn them half-width).
 */
export interface CommandArgs {
  /** All the arguments, normalized. */
  readonly text: string
  /** Whitespace-separated tokens (full-width spaces count), each normalized. */
  readonly tokens: readonly string[]
  /** The original text from token `index` on, trimmed; '' when there is none. */
  rest(index: number): string
}

interface Span {
  start: number
  token: string
}

/** A command word, then a number (digits, or "#" and digits, either width), then maybe more: "进度10", "详情#15", "完成12已整改". */
const GLUED = /^(\D+?)([#＃]?[0-9０-９]+)(.*)$/su
/** What follows a number that makes it part of a date or a month, not an item number. */
const DATE_TAIL = /^[月日号年\-/.．:：]/u

/**
 * Splits a raw message into its command word (normalized, leading "/" or "#" dropped) and its
 * arguments. With `isCommand`, a first token that is no command but starts with one glued to a
 * number ("进度10") is read as the command, the number, and what followed the number, each its own
 * token (docs/chat-input.md); the original text is kept, so free text stays as typed.
 */
export function splitMessage(raw: string, isCommand?: (word: string) => boolean): { word: string; args: CommandArgs } {
  let spans: Span[] = [...raw.matchAll(/\S+/g)].map((m) => ({ start: m.index!, token: m[0] }))
  if (spans.length > 0 && isCommand) spans = unglue(spans, isCommand)
  const word = spans.length > 0 ? normalizeCommandText(spans[0]!.token) : ''
  const rest = spans.slice(1)
  const argsRaw = rest.length > 0 ? raw.slice(rest[0]!.start).trim() : ''
  return {
    word,
    args: {
      text: normalizeCommandText(argsRaw),
      tokens: rest.map((span) => span.token.normalize('NFKC')),
      rest: (index) => (index < rest.length ? raw.slice(rest[index]!.start).trim() : ''),
    },
  }
}

/** The first token split at its number when it is no command itself but its head is one. */
function unglue(spans: Span[], isCommand: (word: string) => boolean): Span[] {
  const [first, ...others] = spans as [Span, ...Span[]]
  if (isCommand(normalizeCommandText(first.token))) return spans
  const match = GLUED.exec(first.token)
  if (!match || !isCommand(normalizeCommandText(match[1]!))) return spans
  const [, head, number, tail] = match as unknown as [string, string, string, string]
  // A date or month keeps its number: 查看月报8月, 查看月报2015-08.
  if (DATE_TAIL.test(tail)) return [{ start: first.start, token: head }, { start: first.start + head.length, token: number + tail }, ...others]
  const split: Span[] = [
    { start: first.start, token: head },
    { start: first.start + head.length, token: number },
  ]
  if (tail) split.push({ start: first.start + head.length + number.length, token: tail })
  return [...split, ...others]
}
