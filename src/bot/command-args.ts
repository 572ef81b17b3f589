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

/** Splits a raw message into its command word (normalized, leading "/" or "#" dropped) and its arguments. */
export function splitMessage(raw: string): { word: string; args: CommandArgs } {
  const spans = [...raw.matchAll(/\S+/g)].map((m) => ({ start: m.index!, token: m[0] }))
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
