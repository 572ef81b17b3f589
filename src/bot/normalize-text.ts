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

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const x = [...a]
  const y = [...b]
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i)
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i]
    for (let j = 1; j <= y.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[y.length]!
}
