/**
 * Text that a person typed (a progress note, a reason, a meeting topic, a circular's body) or
 * that an import brought in (names, problems), made inert before it goes into a message that
 * someone else reads. WeCom's markdown (docs/wecom.md, Markdown) renders `<font color>`, `[text](url)`,
 * `**bold**`, `` `code` ``, `# heading` and `> quote` at a line start, and `<@userid>` mentions;
 * text messages render `<a href>` links (§4.2). WeCom documents no escape character, so the
 * characters that open markup become their full-width forms, which read the same in Chinese
 * text and are never markup: ＜ ＞ ［ ］ ＊ ｀ ＆, and ＃ at a line start.
 *
 * Control characters, bidirectional overrides (which can make text read backwards) and lone
 * surrogate halves are removed or replaced; line breaks become a space in inertText (one line:
 * a value cannot start a line of its own, such as a fake heading) and a plain "\n" in
 * inertLines (a body that is meant to have lines).
 */

const MARKUP: Record<string, string> = { '<': '＜', '>': '＞', '[': '［', ']': '］', '*': '＊', '`': '｀', '&': '＆' }
const MARKUP_CHARS = /[<>[\]*`&]/g
/** Line breaks of every kind: CR LF, CR, LF, NEL, LINE and PARAGRAPH SEPARATOR. */
const LINE_BREAKS = /\r\n|[\r\n\u0085\u2028\u2029]/g
/** C0 and C1 controls (but tab and line breaks, handled above), DEL, and the bidi embeddings, overrides and isolates. */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
/** A heading marker at the start of a line (after any spaces). */
const LINE_START_HASH = /^([ \t\u3000]*)#/gm

/** Anything one of the replacements below would change; most text has none, and is returned as it is. */
const SUSPECT = /[<>[\]*`&#\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/

function neutralize(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(INVISIBLE, '')
    .replace(/\t/g, ' ')
    .replace(MARKUP_CHARS, (char) => MARKUP[char]!)
}

/** One line of inert text: line breaks become spaces. */
export function inertText(text: string): string {
  if (!SUSPECT.test(text)) return text
  return neutralize(text.replace(LINE_BREAKS, ' ')).replace(LINE_START_HASH, '$1＃')
}

/** Inert text that keeps its lines (a circular's body, a meeting's minutes). */
export function inertLines(text: string): string {
  if (!SUSPECT.test(text)) return text
  return neutralize(text.replace(LINE_BREAKS, '\n')).replace(LINE_START_HASH, '$1＃')
}
