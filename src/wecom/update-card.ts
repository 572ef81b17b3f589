import type { ClientContext } from './client-context.js'
import { call } from './client-request.js'
import type { TemplateCard } from './template-card.js'

/**
 * A card's update after it was sent or tapped: either the whole new card, or the tapped
 * button greyed with a new text (`replaceName`). `responseCode` comes from message/send or from
 * the tap, and works once (docs/cards.md, Updating a card).
 */
export interface CardUpdate {
  userids: readonly string[]
  responseCode: string
  card?: TemplateCard
  replaceName?: string
}

/** update_template_card takes at most 1,000 userids (docs/cards.md, Updating a card). */
const MAX_USERIDS = 1000

/** POST message/update_template_card; throws WeComApiError when WeCom refuses (a used or expired code among others). */
export async function updateTemplateCard(context: ClientContext, update: CardUpdate): Promise<void> {
  if ((update.card === undefined) === (update.replaceName === undefined)) throw new Error('updateTemplateCard: give either card or replaceName')
  // A code works once: the recipients cannot be split over several calls.
  if (update.userids.length > MAX_USERIDS) throw new Error(`updateTemplateCard: ${update.userids.length} userids (at most ${MAX_USERIDS})`)
  await call(context, 'message/update_template_card', {
    method: 'POST',
    json: {
      userids: [...update.userids],
      agentid: context.agentId,
      response_code: update.responseCode,
      ...(update.card ? { template_card: update.card } : { button: { replace_name: update.replaceName } }),
    },
  })
}
