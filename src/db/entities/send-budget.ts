import { EntitySchema } from 'typeorm'
import { shortText } from '../columns.js'

/**
 * One row per recipient whose sends are budgeted ("user:<userid>", "robot:<name>"): on
 * MySQL/MariaDB a worker locks it (SELECT … FOR UPDATE semantics, through an upsert) while it
 * counts the recipient's recent sends and takes a slot, so two instances cannot both take the
 * last one (docs/delivery.md). SQLite serializes those transactions itself.
 */
export interface SendBudget {
  recipient: string
}

export const SendBudgetSchema = new EntitySchema<SendBudget>({
  name: 'SendBudget',
  tableName: 'send_budget',
  columns: {
    recipient: { ...shortText(191), primary: true },
  },
})
