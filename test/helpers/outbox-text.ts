/**
 * What a person reads in a stored outbox payload: a text's or markdown's content, and for a card
 * its fallback — the same text as before cards (docs/cards.md, Fallback). '' for anything else.
 */
export function readerText(payload: string): string {
  const message = JSON.parse(payload) as { markdown?: { content: string }; text?: { content: string }; fallback?: { markdown?: { content: string }; text?: { content: string } } }
  const shown = message.fallback ?? message
  return shown.markdown?.content ?? shown.text?.content ?? ''
}
