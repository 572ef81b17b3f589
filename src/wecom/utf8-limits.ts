/**
 * WeCom counts message limits in UTF-8 bytes (a Chinese character is 3 bytes) and silently cuts
 * what is over (docs/wecom.md, Sending app messages and Pitfalls). These helpers cut at character boundaries only:
 * never inside a UTF-8 sequence, never between the halves of a surrogate pair.
 */
export const BYTE_LIMITS = {
  text: 2048,
  markdown: 2048,
  robotText: 2048,
  robotMarkdown: 4096,
  textcardTitle: 128,
  textcardDescription: 512,
} as const

export const TRUNCATION_NOTE = '…（内容过长，已截断）'

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** The longest prefix of `text` (whole code points) that fits in `maxBytes`. */
export function utf8Prefix(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text
  let bytes = 0
  let end = 0
  for (const char of text) {
    const size = utf8Length(char)
    if (bytes + size > maxBytes) break
    bytes += size
    end += char.length
  }
  return text.slice(0, end)
}

/** `text` unchanged if it fits, otherwise cut with a visible note so the reader knows. */
export function truncateUtf8(text: string, maxBytes: number, note = TRUNCATION_NOTE): string {
  if (utf8Length(text) <= maxBytes) return text
  return utf8Prefix(text, maxBytes - utf8Length(note)) + note
}

/**
 * Splits `text` into numbered parts that each fit in `maxBytes` with their "（1/3）" header,
 * preferring to break at a line end; a single line longer than a part is cut at a character
 * boundary. Text that fits is returned as one part without a header.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (utf8Length(text) <= maxBytes) return [text]
  // A header of "（99/99）\n" is 16 bytes; reserve room for it in every part.
  const room = maxBytes - 16
  const chunks: string[] = []
  let current = ''
  for (const line of text.split('\n')) {
    let rest = current === '' ? line : `\n${line}`
    while (rest !== '') {
      const free = room - utf8Length(current)
      const piece = utf8Prefix(rest, free)
      if (piece.length === rest.length) {
        current += rest
        rest = ''
      } else if (current !== '' && utf8Length(rest) <= room) {
        chunks.push(current)
        current = ''
        rest = rest.replace(/^\n/, '')
      } else {
        current += piece
        chunks.push(current)
        current = ''
        rest = rest.slice(piece.length).replace(/^\n/, '')
      }
    }
  }
  if (current !== '') chunks.push(current)
  return chunks.map((chunk, index) => `（${index + 1}/${chunks.length}）\n${chunk}`)
}
