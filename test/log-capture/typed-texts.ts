import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { commands } from '../../commands/index.js'
import { splitMessage } from '../../src/bot/command-args.js'
import { createCommandRegistry } from '../../src/bot/command-registry.js'

/** Shorter typed texts ("1 50%", "完成 3") say nothing about a person and are too common to look for. */
export const MIN_TYPED_LENGTH = 6

/** A text is looked for by its first 24 characters, so that one quoted cut short (a driver quotes 64) is found too. */
const PREFIX_LENGTH = 24

/** The files test/helpers/wecom-callback-client.ts records the typed texts in. */
export const TYPED_TEXTS_FILE = /^typed-texts-.*\.jsonl$/

const registry = createCommandRegistry(commands)
const isCommandWord = (word: string) => registry.find(word) !== undefined

/** Every text the tests typed, from the files recorded in `dir`. */
export function readTypedTexts(dir: string, names: readonly string[]): Set<string> {
  const texts = new Set<string>()
  for (const name of names.filter((n) => TYPED_TEXTS_FILE.test(n))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line !== '') texts.add(JSON.parse(line) as string)
  }
  return texts
}

/**
 * What of a typed text no log line may hold: the arguments after the command word (the whole
 * text when its first word is no command), and each later part of them that a command keeps on
 * its own (the note of "进度 12 60% 已完成初步整改") unless that part is one ASCII token (a date,
 * a userid: those are logged for other reasons); each of at least MIN_TYPED_LENGTH characters,
 * cut to its first PREFIX_LENGTH.
 */
export function typedParts(text: string, isCommand: (word: string) => boolean = isCommandWord): string[] {
  const { word, args } = splitMessage(text)
  const parts = new Set<string>()
  if (!isCommand(word)) parts.add(text.trim())
  for (let index = 0; args.rest(index) !== ''; index += 1) {
    const part = args.rest(index)
    if (index === 0 || /[\s\u0080-\uffff]/.test(part)) parts.add(part)
  }
  const cut = [...parts].map((part) => Array.from(part)).filter((characters) => characters.length >= MIN_TYPED_LENGTH)
  return [...new Set(cut.map((characters) => characters.slice(0, PREFIX_LENGTH).join('')))]
}

export interface TypedTextMatcher {
  /** The part of a typed text (see typedParts) that the line holds, as typed or as a JSON string escapes it, if any. */
  find(line: string): string | undefined
}

/** The width of the index key; every pattern is at least this many UTF-16 units long. */
const KEY = MIN_TYPED_LENGTH
const pairSlot = (first: number, second: number) => ((first << 10) ^ second) & 0xfffff

/**
 * A matcher for many patterns at once: the patterns are indexed by their first KEY units, and a
 * line is looked up only where its two units at a position begin some pattern (a bit table of
 * pairs), so a line costs about one table read per character, whatever the number of texts.
 */
export function createTypedTextMatcher(texts: Iterable<string>, isCommand?: (word: string) => boolean): TypedTextMatcher {
  const byKey = new Map<string, { pattern: string; part: string }[]>()
  const pairs = new Uint8Array(0x100000)
  for (const text of texts) {
    for (const part of typedParts(text, isCommand)) {
      for (const pattern of new Set([part, JSON.stringify(part).slice(1, -1)])) {
        const key = pattern.slice(0, KEY)
        const entries = byKey.get(key) ?? byKey.set(key, []).get(key)!
        entries.push({ pattern, part })
        pairs[pairSlot(pattern.charCodeAt(0), pattern.charCodeAt(1))] = 1
      }
    }
  }
  return {
    find(line) {
      if (byKey.size === 0) return undefined
      for (let at = 0; at + KEY <= line.length; at += 1) {
        if (pairs[pairSlot(line.charCodeAt(at), line.charCodeAt(at + 1))] === 0) continue
        for (const { pattern, part } of byKey.get(line.slice(at, at + KEY)) ?? []) if (line.startsWith(pattern, at)) return part
      }
      return undefined
    },
  }
}
