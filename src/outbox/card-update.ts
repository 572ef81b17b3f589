import type { AppMessage } from '../wecom/messages.js'
import type { TemplateCard } from '../wecom/template-card.js'

/**
 * How long after a tap its response code is used to update the card (docs/cards.md, Updating a
 * card). WeCom's current documents give 72 hours, older ones 24: we design for 24, so a row
 * older than this sends its outcome as a message instead.
 */
export const CARD_UPDATE_HOURS = 24

/** The payload of a 'card_update' outbox row (docs/cards.md): the whole new card, and the outcome as a message for when the code cannot be used. */
export interface CardUpdatePayload {
  msgtype: 'update_template_card'
  response_code: string
  template_card: TemplateCard
  fallback: AppMessage
  /** card_state.version this update shows: one older than the card's current version is superseded by a later row. */
  version: number
}

export const isCardUpdate = (payload: unknown): payload is CardUpdatePayload => (payload as { msgtype?: string } | null)?.msgtype === 'update_template_card'
