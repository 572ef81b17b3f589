/**
 * What people type on phones, made regular: full-width letters, digits, spaces and punctuation
 * become half-width (NFKC: "１２" → "12", "％" → "%", "，" → ","), runs of spaces become one,
 * and a leading "/" or "#" before the command word is dropped ("#12" as an item number stays).
 */
export function normalizeCommandText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[ \t\u3000]+/g, ' ')
    .replace(/^\s+|\s+$/g, '')
    .replace(/^[/#](?=\D)/, '')
}

/** Levenshtein distance, for "did you mean" suggestions (kept for the domain's callers). */
export { distance as editDistance } from 'fastest-levenshtein'
