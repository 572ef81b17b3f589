import { EntitySchema } from 'typeorm'
import { instant, integer, longText, primaryId, shortText } from '../columns.js'

/**
 * A button card's current version, written the first time a tap changes what it shows
 * (docs/cards.md, Updating a card): what was sent is the outbox row's payload; this is what
 * the card shows now, and what each of its subjects came to.
 */
export interface CardState {
  id: number
  /** The outbox row's task id (outbox_message.task_id). */
  taskId: string
  /** JSON: the card as it is now (TemplateCard). */
  card: string
  /** JSON: subject key (e.g. "item:12") → the outcome shown for it (e.g. "已批准"). */
  outcomes: string
  /** How many updates were made. */
  version: number
  updatedAt: Date
}

export const CardStateSchema = new EntitySchema<CardState>({
  name: 'CardState',
  tableName: 'card_state',
  columns: {
    id: primaryId(),
    taskId: shortText(128),
    card: longText(),
    outcomes: longText(),
    version: integer(),
    updatedAt: instant(),
  },
  uniques: [{ name: 'uq_card_state_task', columns: ['taskId'] }],
})
